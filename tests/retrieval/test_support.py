"""Articles ranked by best passage plus a share of their second best: exact, and as specified."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from retrieval.bm25 import Index
from retrieval.engine import Engine
from retrieval.models import Article
from retrieval.query_form import STATEMENT_SUPPORT
from retrieval.ranking import diversify
from retrieval.recency import RECENCY, DateWindow, Recency, factors, window
from retrieval.retired import LiveIndex
from retrieval.support import SUPPORT, SUPPORT_FROM, SUPPORT_TERMS, form_weight, support_weight
from retrieval.topk import Bonus


def reference(
    index: Index,
    owners: np.ndarray,
    terms: list[str],
    weight: float,
    dates: DateWindow | None = None,
    bonus: Bonus | None = None,
    dead: np.ndarray | None = None,
) -> list[int]:
    """Every article's best passage, by (-(best + weight * second), -best, best id), scored
    exhaustively."""
    scores = index.scores(terms, bonus)
    if dates is not None:
        scores = scores * factors(dates)
    if dead is not None:
        scores[dead] = 0.0
    ranked = []
    for article in np.unique(owners).tolist():
        ids = [int(i) for i in np.flatnonzero(owners == article) if scores[i] > 0]
        if not ids:
            continue
        ids.sort(key=lambda i: (-scores[i], i))
        second = scores[ids[1]] if len(ids) > 1 else 0.0
        ranked.append((-(scores[ids[0]] + weight * second), -scores[ids[0]], ids[0]))
    return [best for _, _, best in sorted(ranked)]


def corpus(seed: int) -> tuple[Index, np.ndarray, list[str]]:
    """A random corpus of 400 passages over 80 articles and a three-word query."""
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(15)]
    docs = [list(rng.choice(words, size=rng.integers(1, 9))) for _ in range(400)]
    owners = np.sort(rng.integers(0, 80, size=len(docs))).astype(np.int32)
    return Index.build(docs), owners, list(rng.choice(words, size=3))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    "weight", [0.05, 0.15, 0.3, 0.6, 1.0], ids=["w0.05", "w0.15", "w0.3", "w0.6", "w1"]
)
def test_diversify_with_support_matches_exhaustive_scoring(seed: int, weight: float) -> None:
    """The first articles equal the exhaustive order by combined score, at every depth, both
    for weights that start at the plain depth (``SHALLOW_SUPPORT``) and deeper ones."""
    index, owners, terms = corpus(seed)
    expected = reference(index, owners, terms, weight)
    for k in (1, 3, 10, 25):
        for depth in (0, 40):
            ranking = diversify(index, owners, terms, k, depth, support=weight)
            wanted = min(k, len(expected))
            assert [p for p, _ in ranking.passages][:wanted] == expected[:wanted]


@pytest.mark.parametrize("seed", range(4))
def test_support_is_exact_with_the_title_field_recency_and_retired_passages(seed: int) -> None:
    """A title bonus, a recency prior and a date window apply to the second passage as ranked."""
    index, owners, terms = corpus(seed)
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
    dead = np.zeros(owners.shape[0], dtype=np.bool_)
    dead[firsts[3] : ends[3]] = True  # one retired article
    live = LiveIndex(index, dead)
    expected = reference(index, owners, terms, 0.6, dates, bonus, dead)
    prior = window(stamps, today, Recency(14.0, 0.6))
    expected_prior = reference(index, owners, terms, 0.6, prior, bonus)
    for k in (1, 5, 12):
        ranking = diversify(live, owners, terms, k, 0, dates, bonus, support=0.6)
        wanted = min(k, len(expected))
        assert [p for p, _ in ranking.passages][:wanted] == expected[:wanted]
        ranking = diversify(index, owners, terms, k, 0, prior, bonus, support=0.6)
        wanted = min(k, len(expected_prior))
        assert [p for p, _ in ranking.passages][:wanted] == expected_prior[:wanted]


def test_each_article_shows_its_best_passage_with_its_own_score() -> None:
    """Support reorders articles; the passage and score shown are still the article's best."""
    index = Index.build([["quake", "quake"], ["quake"], ["quake"], ["other"]])
    owners = np.array([0, 1, 1, 2], dtype=np.int32)
    scores = index.scores(["quake"])
    ranking = diversify(index, owners, ["quake"], 2, support=1.0)
    assert ranking.passages == [(1, scores[1]), (0, scores[0])]
    assert diversify(index, owners, ["quake"], 2).passages == [(0, scores[0]), (1, scores[1])]


def test_a_one_article_collection_still_shows_all_its_matches() -> None:
    """With fewer articles than ``k`` the later passages follow, as without support."""
    index = Index.build([["a", "b"], ["a"], ["b"], ["c"]])
    owners = np.zeros(4, dtype=np.int32)
    plain = diversify(index, owners, ["a", "b"], 5)
    assert diversify(index, owners, ["a", "b"], 5, support=0.6).passages == plain.passages


def test_support_weight_grows_with_the_question_up_to_its_cap() -> None:
    """Up to ``SUPPORT_FROM`` terms no support, then a growing share, in full from
    ``SUPPORT_TERMS``, never more."""
    middle = (SUPPORT_FROM + SUPPORT_TERMS) / 2
    assert support_weight([], 0.6) == 0.0
    assert support_weight(["a"] * SUPPORT_FROM, 0.6) == 0.0
    if middle == int(middle):
        assert support_weight(["a"] * int(middle), 0.6) == pytest.approx(0.3)
    assert support_weight(["a"] * SUPPORT_TERMS, 0.6) == 0.6
    assert support_weight(["a"] * (3 * SUPPORT_TERMS), 0.6) == 0.6
    assert support_weight(["a"] * SUPPORT_TERMS, 0.0) == 0.0
    assert support_weight(["a"] * SUPPORT_TERMS) == SUPPORT


def test_engine_ranks_an_article_that_answers_twice_above_one_that_answers_once() -> None:
    """Two matching passages outrank one slightly better passage; ``article_support=0`` does not."""
    filler = " ".join(f"filler{i}" for i in range(120))
    once = f"Flood defences in Lagos failed overnight after record rain. {filler}"
    twice = (
        f"Lagos flood defences were overwhelmed by rain. {filler}\n\n"
        f"Officials said the flood defences of Lagos will be rebuilt. {filler}"
    )
    articles = [Article("One mention", once, id="once"), Article("Two", twice, id="twice")]
    query = "Lagos flood defences record rain overnight officials rebuilt failed overwhelmed " * 2
    firsts = {}
    for support in (0.0, 1.0):
        engine = Engine.open(":memory:", article_support=support, statement_support=support)
        engine.ingest(articles)
        result = engine.search(query, 2, min_share=0)
        firsts[support] = [hit.article.id for hit in result.hits]
        engine.close()
    assert firsts[0.0][0] == "once"
    assert firsts[1.0][0] == "twice"


def test_a_negative_article_support_is_refused() -> None:
    """``article_support`` must be a number of at least 0."""
    with pytest.raises(ValueError, match="article_support"):
        Engine.open(":memory:", article_support=-0.5)


def test_a_negative_statement_support_is_refused() -> None:
    """``statement_support`` must be a number of at least 0, like ``article_support``."""
    with pytest.raises(ValueError, match="statement_support"):
        Engine.open(":memory:", statement_support=float("nan"))


def test_form_weight_gives_statements_and_related_searches_the_statement_weight() -> None:
    """Statements and related searches get ``statement_support``, questions ``support``, each
    scaled by length; equal weights skip the form."""
    terms = ["a"] * SUPPORT_TERMS
    assert form_weight("Ad sales boost Time Warner profit", terms) == STATEMENT_SUPPORT
    assert form_weight("Who bought Time Warner?", terms) == support_weight(terms, SUPPORT)
    assert form_weight("Who bought Time Warner?", terms, related=True) == STATEMENT_SUPPORT
    assert form_weight("Who bought it?", terms, False, 0.3, 0.9) == 0.3
    assert form_weight("Time Warner profit", terms, False, 0.3, 0.9) == 0.9
    assert form_weight("Time Warner profit", terms[:1], False, 0.3, 0.9) == support_weight(
        terms[:1], 0.9
    )
    assert form_weight("Time Warner profit", terms, False, 0.4, 0.4) == 0.4


WORDS = ["harbour", "strike", "grain", "tariff", "flood", "senate", "vaccine", "budget", "rally"]


@pytest.mark.parametrize("seed", range(3))
def test_engine_ranks_a_statement_with_support_as_exhaustive_scoring_does(seed: int) -> None:
    """Through ``Engine.search``: a statement's articles in the exhaustive order with
    ``statement_support``, the same words asked as a question in the order without support."""
    rng = np.random.default_rng(seed)

    def paragraph() -> str:
        return " ".join(rng.choice(WORDS, size=int(rng.integers(60, 110)))) + "."

    articles = [
        Article(f"Report {i}", "\n\n".join(paragraph() for _ in range(rng.integers(1, 4))),
                id=f"a{i}")
        for i in range(40)
    ]  # fmt: skip
    engine = Engine.open(":memory:", recency=Recency(), copy_threshold=2.0)
    assert (engine.article_support, engine.statement_support) == (SUPPORT, STATEMENT_SUPPORT)
    engine.ingest(articles)
    snapshot = engine._snapshot
    assert engine.recency != RECENCY
    assert snapshot.owners.shape[0] > len(articles)  # articles of several passages
    words = " ".join(rng.choice(WORDS, size=SUPPORT_TERMS))
    for query, weight in ((words, STATEMENT_SUPPORT), (f"Why {words}?", SUPPORT)):
        terms = engine.query_terms(query)
        expected = reference(snapshot.index, snapshot.owners, terms, weight)
        hits = engine.search(query, 10, min_share=0).hits
        assert [(h.ranked or h.passage).id for h in hits] == expected[:10]
    engine.close()
