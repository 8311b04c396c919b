"""Answer counts and latencies for the operator's /stats, kept in memory by the polling process.

A bounded window of recent latencies is enough for p50/p95 and never grows with uptime. Worker
processes (see ``bot.pool``) pass each answer time on through ``on_record``.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

WINDOW = 1000


@dataclass(frozen=True, slots=True)
class StatsSnapshot:
    """What /stats reports about the bot process itself."""

    answered: int
    p50: float | None
    p95: float | None
    uptime: float


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile (an observed value, no interpolation); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


class Stats:
    """Counts answered questions and remembers the latest ``WINDOW`` answer times."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._started = clock()
        # Questions being searched right now; changed only on the event loop, so no lock.
        self.in_flight = 0
        self._answered = 0
        self._latencies: deque[float] = deque(maxlen=WINDOW)
        # Handlers run concurrently; deque appends are atomic but the pair of updates is not.
        self._lock = threading.Lock()
        # Also told each answer time: how a worker process reports its answers to the parent.
        self.on_record: Callable[[float], None] | None = None

    def record(self, seconds: float) -> None:
        """Count one answered question that took ``seconds`` from update to reply."""
        with self._lock:
            self._answered += 1
            self._latencies.append(seconds)
        if self.on_record is not None:
            self.on_record(seconds)

    def snapshot(self) -> StatsSnapshot:
        """Return the counters now."""
        with self._lock:
            latencies = list(self._latencies)
            answered = self._answered
        return StatsSnapshot(
            answered=answered,
            p50=percentile(latencies, 0.50),
            p95=percentile(latencies, 0.95),
            uptime=self._clock() - self._started,
        )
