"""The recency prior and date windows in the top-k sweep, against exhaustive scoring."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.bm25 import BM25Params, Index, Scorer
from retrieval.recency import UNDATED, DateWindow, Recency, factors, preferring, stamp, window
from retrieval.topk import select_top_k

NOW = datetime(2024, 6, 15, 12, tzinfo=UTC)
PRIOR = Recency(half_life_days=14.0, weight=0.5)


def exhaustive(
    index: Index, query: list[str], k: int, dates: DateWindow
) -> tuple[list[int], list[float]]:
    """Every passage scored, times its factor, ordered by (-score, id), score > 0 only."""
    scores = index.scores(query) * factors(dates)
    ids, top = select_top_k(np.arange(index.n_docs, dtype=np.int64), scores, k)
    return ids.tolist(), top.tolist()


def assert_exact(index: Index, query: list[str], k: int, dates: DateWindow) -> None:
    """The pruned sweep with dates returns exactly the exhaustive ranking."""
    ids, scores = index.top_k(query, k, dates)
    want_ids, want_scores = exhaustive(index, query, k, dates)
    assert ids.tolist() == want_ids
    np.testing.assert_allclose(scores, want_scores, rtol=0, atol=1e-9)


def days_ago(*days: float | None) -> np.ndarray:
    """Stamps of passages published that many days before NOW (None: undated)."""
    return np.array(
        [UNDATED if d is None else stamp(NOW - timedelta(days=d)) for d in days], dtype=np.int64
    )


def test_factor_is_one_plus_weight_today_and_halves_each_half_life() -> None:
    """A passage from today gets 1 + w, one a half-life old 1 + w/2, an undated one 1."""
    dates = window(days_ago(0, 14, 28, None), NOW, PRIOR)
    np.testing.assert_allclose(factors(dates), [1.5, 1.25, 1.125, 1.0], rtol=0, atol=1e-12)


def test_future_passages_are_hidden_and_undated_kept() -> None:
    """A passage published after as_of scores 0; an undated one keeps its plain score."""
    dates = window(days_ago(-1, 3, None), NOW, Recency())
    assert factors(dates).tolist() == [0.0, 1.0, 1.0]


def test_a_range_keeps_dated_passages_inside_it_and_undated_ones_without_prior() -> None:
    """since/until keep dated passages in [since, until) and undated ones; the prior is off."""
    dates = window(
        days_ago(1, 10, 20, None), NOW, PRIOR, NOW - timedelta(days=15), NOW - timedelta(days=5)
    )
    assert factors(dates).tolist() == [0.0, 1.0, 0.0, 1.0]


def test_a_preferred_range_boosts_the_passages_inside_it_and_hides_nothing() -> None:
    """Preferring [NOW-15d, NOW-5d) by 0.25: the passage inside gets its prior times 1.25, the
    ones outside keep their prior, the undated one 1, the future one stays hidden."""
    plain = window(days_ago(1, 10, 20, None, -1), NOW, PRIOR)
    dates = preferring(plain, NOW - timedelta(days=15), NOW - timedelta(days=5), 0.25)
    base = factors(plain)
    assert factors(dates).tolist() == [base[0], base[1] * 1.25, base[2], 1.0, 0.0]
    assert dates.top == (1.0 + PRIOR.weight) * 1.25


def test_a_preference_without_a_prior_boosts_by_its_weight_alone() -> None:
    """No prior: 1.5 inside an open-ended preferred range, 1 elsewhere; weight 0 changes nothing."""
    plain = window(days_ago(1, 30, None), NOW, Recency())
    dates = preferring(plain, NOW - timedelta(days=7), None, 0.5)
    assert factors(dates).tolist() == [1.5, 1.0, 1.0]
    assert dates.top == 1.5
    assert factors(preferring(plain, NOW - timedelta(days=7), None, 0.0)).tolist() == [1, 1, 1]


def test_a_recent_passage_outranks_an_older_equal_one_but_not_a_better_match() -> None:
    """Equal text: the recent one wins; an old passage holding every query word still wins."""
    corpus = [["quake", "kabul", "deaths"], ["quake", "kabul"], ["quake", "kabul"]]
    index = Index.build(corpus, BM25Params())
    dates = window(days_ago(900, 900, 1), NOW, PRIOR)
    ids, _ = index.top_k(["quake", "kabul", "deaths"], 3, dates)
    assert ids.tolist() == [0, 2, 1]


@pytest.mark.parametrize("scorer", ["lucene", "okapi"])
@pytest.mark.parametrize("k", [1, 5, 40])
def test_pruned_sweep_with_prior_and_ranges_matches_exhaustive(scorer: Scorer, k: int) -> None:
    """On a multi-segment Zipf corpus, every window shape ranks exactly like exhaustive scoring."""
    rng = np.random.default_rng(11)
    weights = 1.0 / np.arange(1, 301)
    weights /= weights.sum()
    corpus = [
        [f"t{w}" for w in rng.choice(300, size=int(rng.integers(0, 25)), p=weights)]
        for _ in range(9000)
    ]
    params = BM25Params(scorer=scorer)
    index = Index.build(corpus[:5000], params).add(corpus[5000:8000]).add(corpus[8000:])
    assert index.segment_count > 1
    ages = rng.uniform(-30, 3000, size=len(corpus))
    stamps = np.where(rng.random(len(corpus)) < 0.2, UNDATED, days_ago(*ages.tolist()))
    windows = [
        window(stamps, NOW, Recency()),
        window(stamps, NOW, PRIOR),
        window(stamps, NOW, Recency(half_life_days=1.0, weight=5.0)),
        window(stamps, NOW, PRIOR, NOW - timedelta(days=400)),
        window(stamps, NOW, PRIOR, None, NOW - timedelta(days=1000)),
        window(stamps, NOW, PRIOR, NOW - timedelta(days=60), NOW - timedelta(days=30)),
        preferring(window(stamps, NOW, PRIOR), NOW - timedelta(days=60), NOW, 0.25),
        preferring(window(stamps, NOW, Recency()), NOW - timedelta(days=900), None, 3.0),
        preferring(window(stamps, NOW, PRIOR), None, NOW - timedelta(days=1000), 0.5),
    ]
    for _ in range(12):
        query = [f"t{w}" for w in rng.choice(300, size=int(rng.integers(1, 6)))]
        for dates in windows:
            assert_exact(index, query, k, dates)


@settings(max_examples=60, deadline=None)
@given(
    corpus=st.lists(st.lists(st.sampled_from("abcdef"), max_size=8), min_size=1, max_size=40),
    ages=st.lists(st.one_of(st.none(), st.floats(-5, 200)), min_size=40, max_size=40),
    query=st.lists(st.sampled_from("abcdefg"), min_size=1, max_size=4),
    weight=st.floats(0, 3),
    half_life=st.sampled_from([0.0, 0.5, 7.0, 60.0]),
    k=st.integers(1, 12),
    prefer=st.tuples(st.floats(0, 4), st.floats(-10, 200), st.floats(0, 100)),
)
def test_generated_corpora_rank_exactly_with_dates(
    corpus: list[list[str]],
    ages: list[float | None],
    query: list[str],
    weight: float,
    half_life: float,
    k: int,
    prefer: tuple[float, float, float],
) -> None:
    """Generated corpora, dates, priors and preferred ranges: the sweep equals the exhaustive
    reference, the preference's boost included in the bound it prunes with."""
    index = Index.build(corpus, BM25Params())
    stamps = days_ago(*ages[: len(corpus)])
    assert_exact(index, query, k, window(stamps, NOW, Recency(half_life, weight)))
    since = NOW - timedelta(days=50)
    assert_exact(index, query, k, window(stamps, NOW, Recency(half_life, weight), since))
    boost, newest, days = prefer
    until = NOW - timedelta(days=newest)
    plain = window(stamps, NOW, Recency(half_life, weight))
    assert_exact(index, query, k, preferring(plain, until - timedelta(days=days), until, boost))


def test_dates_must_cover_every_passage() -> None:
    """A stamp array of the wrong length is refused, never read past its end."""
    index = Index.build([["a"], ["a"]], BM25Params())
    with pytest.raises(ValueError, match="1 passage dates for 2 passages"):
        index.top_k(["a"], 2, window(days_ago(1), NOW, PRIOR))


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")], ids=["negative", "nan", "inf"])
def test_recency_settings_must_be_finite_and_not_negative(bad: float) -> None:
    """A negative or non-finite half-life or weight is refused with a clear message."""
    with pytest.raises(ValueError, match="finite numbers >= 0"):
        Recency(half_life_days=bad, weight=0.3)
    with pytest.raises(ValueError, match="finite numbers >= 0"):
        Recency(half_life_days=14, weight=bad)
