"""Answer statistics: nearest-rank percentiles checked against numpy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.stats import WINDOW, Stats, percentile


@given(
    st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=200),
    st.sampled_from([0.5, 0.95]),
)
def test_percentile_matches_numpy_inverted_cdf(values: list[float], fraction: float) -> None:
    """Our nearest-rank percentile equals numpy's "inverted_cdf" method."""
    expected = float(np.percentile(values, fraction * 100, method="inverted_cdf"))
    assert percentile(values, fraction) == expected


def test_snapshot_counts_and_bounds_memory() -> None:
    """Every answer is counted, only the latest WINDOW times feed the percentiles."""
    now = [0.0]
    stats = Stats(lambda: now[0])
    assert stats.snapshot().p50 is None
    for n in range(WINDOW + 500):
        stats.record(1000.0 if n < 500 else 0.002)
    now[0] = 90.0
    snap = stats.snapshot()
    assert snap.answered == WINDOW + 500
    assert snap.p95 == pytest.approx(0.002)
    assert snap.uptime == 90.0
