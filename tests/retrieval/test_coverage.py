"""A question's share held by a passage as a factor on its words' score: exact, as specified."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from retrieval.answerable import rarity_weights
from retrieval.bm25 import BM25Params, Index
from retrieval.coverage import COVERAGE, covered_scores, form_coverage, shares
from retrieval.engine import Engine
from retrieval.models import Article
from retrieval.ranking import diversify
from retrieval.recency import DateWindow, Recency, window
from retrieval.retired import LiveIndex
from retrieval.topk import Bonus, select_top_k


def corpus(seed: int, scorer: str = "lucene") -> tuple[Index, np.ndarray, list[str]]:
    """A random corpus of 400 passages over 80 articles and a four-word query."""
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(15)]
    docs = [list(rng.choice(words, size=rng.integers(1, 9))) for _ in range(400)]
    owners = np.sort(rng.integers(0, 80, size=len(docs))).astype(np.int32)
    index = Index.build(docs, BM25Params(scorer=scorer))
    return index, owners, [*rng.choice(words, size=3).tolist(), "unknown"]


def extras(seed: int, owners: np.ndarray) -> tuple[Bonus, DateWindow, DateWindow]:
    """A title bonus on 30% of articles, a date window with a prior, and a prior alone."""
    rng = np.random.default_rng(seed + 100)
    firsts = np.searchsorted(owners, np.unique(owners))
    ends = np.append(firsts[1:], owners.shape[0])
    chosen = rng.random(firsts.shape[0]) < 0.3
    bonus = Bonus(firsts[chosen].astype(np.int64), ends[chosen].astype(np.int64),
                  rng.random(int(chosen.sum())) * 2)  # fmt: skip
    today = datetime(2024, 6, 1, tzinfo=UTC)
    days = rng.integers(0, 60, size=firsts.shape[0])
    stamps = np.repeat(
        [int((today - timedelta(days=int(d))).timestamp()) for d in days], ends - firsts
    ).astype(np.int64)
    dates = window(stamps, today, Recency(14.0, 0.6), since=today - timedelta(days=45))
    return bonus, dates, window(stamps, today, Recency(14.0, 0.6))


@pytest.mark.parametrize("scorer", ["lucene", "okapi"])
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("alpha", [0.25, 0.5, 2.0], ids=["a0.25", "a0.5", "a2"])
def test_covered_top_k_equals_exhaustive_scoring(seed: int, alpha: float, scorer: str) -> None:
    """At every ``k``, with and without the title field and dates, the pruned list is the
    exhaustive covered scores' top ``k``, ordered by ``(-score, id)``, to the bit, and the
    plain list from the same sweep is ``top_k``'s."""
    index, owners, terms = corpus(seed, scorer)
    bonus, dates, prior = extras(seed, owners)
    every = np.arange(index.n_docs, dtype=np.int64)
    for b, d in ((None, None), (bonus, None), (bonus, dates), (None, prior)):
        expected = covered_scores(index, terms, alpha, d, b)
        for k in (1, 3, 10, 50, 500):
            ids, scores, plain_ids, plain = index.top_k_covered(terms, k, alpha, d, b)
            want_ids, want = select_top_k(every, expected, k)
            assert ids.tolist() == want_ids.tolist()
            assert scores.tolist() == want.tolist()
            top_ids, top = index.top_k(terms, k, d, b)
            assert plain_ids.tolist() == top_ids.tolist()
            assert plain.tolist() == top.tolist()


@pytest.mark.parametrize("seed", range(3))
def test_without_coverage_the_plain_sweep_is_unchanged(seed: int) -> None:
    """``alpha`` 0 is ``top_k`` exactly, its plain scores the scores themselves."""
    index, owners, terms = corpus(seed, "okapi")
    bonus, dates, _ = extras(seed, owners)
    ids, scores, plain_ids, plain = index.top_k_covered(terms, 20, 0.0, dates, bonus)
    top_ids, top = index.top_k(terms, 20, dates, bonus)
    assert ids.tolist() == plain_ids.tolist() == top_ids.tolist()
    assert scores.tolist() == plain.tolist() == top.tolist()


def test_the_factor_is_the_share_of_squared_idf_to_the_power_alpha() -> None:
    """A passage holding every word keeps its score; one holding some is scaled by its share
    of the rarity weight (unknown words count in the total) to the power ``alpha``."""
    index = Index.build([["a", "b"], ["a"], ["b"], ["c", "c"], ["d"]])
    terms = ["a", "b", "b", "zzz"]
    weights = rarity_weights(index, terms)
    total = weights.sum()
    expected = [(weights[0] + weights[1]) / total, weights[0] / total, weights[1] / total, 0, 0]
    np.testing.assert_allclose(shares(index, terms, np.arange(5)), expected, rtol=1e-12)
    scores = covered_scores(index, ["a", "b"], 0.5)
    plain = index.scores(["a", "b"])
    assert scores[0] == plain[0]  # holds both: unchanged to the bit
    share = shares(index, ["a", "b"], np.arange(5))
    np.testing.assert_allclose(scores[1:3], plain[1:3] * np.sqrt(share[1:3]), rtol=1e-12)


def test_a_passage_holding_every_rare_word_beats_one_repeating_one() -> None:
    """The case coverage is for: a short note repeating one of a question's words outranks a
    longer one holding all three; weighed by the share it holds, it no longer does."""
    filler = [[f"f{i}", f"g{i}", f"h{i}"] for i in range(40)]
    docs = [
        ["storm"] * 3,
        ["coast", "ferry", "storm", *(f"z{i}" for i in range(12))],
        *filler,
        *[[word, "q"] for word in ("storm", "coast", "ferry")],
    ]
    index = Index.build(docs)
    owners = np.arange(len(docs), dtype=np.int32)
    terms = ["storm", "coast", "ferry"]
    plain = diversify(index, owners, terms, 2, 60)
    covered = diversify(index, owners, terms, 2, 60, coverage=0.5)
    assert plain.passages[0][0] == 0
    assert covered.passages[0][0] == 1
    assert covered.top == plain.top  # the decline rule reads the plain scores


@pytest.mark.parametrize("seed", range(4))
def test_diversify_with_coverage_support_and_retired_passages_matches_exhaustive(
    seed: int,
) -> None:
    """Coverage with the article support, a title bonus, dates and a retired article: the
    articles' order is the exhaustive one by best + weight * second of covered scores."""
    index, owners, terms = corpus(seed)
    bonus, dates, _ = extras(seed, owners)
    dead = np.zeros(owners.shape[0], dtype=np.bool_)
    firsts = np.searchsorted(owners, np.unique(owners))
    dead[firsts[3] : firsts[4]] = True
    scores = covered_scores(index, terms, 0.5, dates, bonus)
    scores[dead] = 0.0
    ranked = []
    for article in np.unique(owners).tolist():
        ids = [int(i) for i in np.flatnonzero(owners == article) if scores[i] > 0]
        if ids:
            ids.sort(key=lambda i: (-scores[i], i))
            second = scores[ids[1]] if len(ids) > 1 else 0.0
            ranked.append((-(scores[ids[0]] + 0.6 * second), -scores[ids[0]], ids[0]))
    expected = [best for _, _, best in sorted(ranked)]
    for k in (1, 5, 12):
        got = diversify(
            LiveIndex(index, dead),
            owners,
            terms,
            k,
            0,
            dates,
            bonus,
            0.6,
            0.5,
        )
        wanted = min(k, len(expected))
        assert [p for p, _ in got.passages][:wanted] == expected[:wanted]


def test_questions_get_coverage_statements_and_related_searches_do_not() -> None:
    """Coverage is for questions; a statement or a related search describes a whole article."""
    assert form_coverage("Which city hosted the summit?", False, 0.5) == 0.5
    assert form_coverage("Storm hits the coast of Kent", False, 0.5) == 0.0
    assert form_coverage("Which city hosted the summit?", True, 0.5) == 0.0
    assert form_coverage("Which city hosted the summit?", False, 0.0) == 0.0


def test_engine_coverage_is_off_by_default_and_refuses_a_negative_weight() -> None:
    """The shipped default, and ``coverage`` validated like the other weights."""
    engine = Engine.open(":memory:")
    assert engine.coverage == COVERAGE
    engine.close()
    with pytest.raises(ValueError, match="coverage"):
        Engine.open(":memory:", coverage=-1.0)


def test_engine_with_coverage_ranks_the_note_holding_the_question_first_and_explains_it() -> None:
    """Through ``search``: the note holding the question's rare words comes first, and
    "Why?" gives the factor as a line whose product is the score searched."""
    words = ["apple", "baker", "cider", "dough", "eagle", "fable", "gable", "hinge", "ingot"]
    notes = [
        "Storm, storm, storm.",
        "A ferry left the coast as a storm began; crews, pilots, porters, guards, cooks and "
        "clerks waited in rooms near ports.",
        *(f"Filler {w} note about {w}s and {w}ing." for w in words),
        "Storm warning.",
        "Coast road.",
        "Ferry times.",
    ]
    articles = [Article(id=f"n{i}", title="", text=t) for i, t in enumerate(notes)]
    question = "Which storm hit the coast ferry?"
    for coverage, first in ((0.0, "n0"), (0.5, "n1")):
        engine = Engine.open(":memory:", coverage=coverage)
        engine.ingest(articles)
        result = engine.search(question, 3, min_share=0.0)
        assert result.hits[0].article.id == first
        why = engine.explain(question, result.hits[0].ranked.id)
        assert why is not None
        assert why.score == pytest.approx(result.hits[0].score, rel=1e-12)
        names = [f.name for f in why.factors]
        assert ("coverage" in names) == (coverage > 0)
        engine.close()
