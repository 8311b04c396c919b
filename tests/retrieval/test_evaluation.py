"""Eval metrics as pure functions: answer matching rules, article-level ranking, intervals."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from retrieval.coverage import COVERAGE
from retrieval.engine import Engine
from retrieval.eval_metrics import (
    Outcome,
    answer_hit,
    estimate,
    ndcg_at,
    recall_at,
    reciprocal_rank,
    score,
)
from retrieval.eval_sets import EvalQuery, EvalSet
from retrieval.evaluation import ask, evaluate
from retrieval.models import Article, DateRange, SearchResult
from retrieval.query_form import STATEMENT_SUPPORT
from retrieval.rerank import PROXIMITY
from retrieval.support import SUPPORT


@pytest.mark.parametrize(
    ("answer", "text", "hit"),
    [
        ("Tsai Ing-wen", "President TSAI   ING-WEN said", True),
        ("Tsai Ing-wen", "Tsai Ing-wenx said", False),
        ("rate", "interest rates rose", False),
        ("rate", "the rate rose", True),
        ("O'Neill", "Mr ONeill left", True),
        ("“Oppenheimer”", "the film 'Oppenheimer' won", True),
        ("ﬁnance", "Finance ministers", True),
        ("U.S.", "the U.S.-led talks", True),
        ("$5", "costs US$5 now", True),
        ("5", "costs $50 now", False),
        ("Straße", "STRASSE closed", True),
        ("", "anything", False),
        ("“”", "anything", False),
    ],
    ids=["case-space", "word-end", "plural", "word", "apostrophe", "curly-quotes", "nfkc",
         "dot-end", "symbol-start", "digit-bound", "casefold", "empty", "only-quotes"],
)  # fmt: skip
def test_answer_matching_follows_the_readme(answer: str, text: str, hit: bool) -> None:
    """NFKC, case folding, quotes removed, spaces collapsed, word-bounded at letters and digits."""
    assert answer_hit([answer], [text]) is hit


def test_ranking_metrics_use_the_standard_forms() -> None:
    """Recall@k divides by min(relevant, k); MRR and nDCG count only the top k."""
    relevant = frozenset({"a", "b", "c"})
    ranked = ["x", "a", "y", "b"]
    assert recall_at(ranked, relevant, 1) == 0.0
    assert recall_at(ranked, relevant, 2) == 0.5
    assert recall_at(["a"], relevant, 1) == 1.0
    assert reciprocal_rank(ranked, relevant, 10) == 0.5
    assert reciprocal_rank(ranked, relevant, 1) == 0.0
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at(ranked, relevant, 10) == pytest.approx(dcg / ideal)


def test_estimate_half_width_and_edge_cases() -> None:
    """The interval is 1.96·sd/√n with the sample sd; it is undefined for fewer than two values."""
    found = estimate([1.0, 0.0, 0.0, 1.0])
    assert found.mean == 0.5
    assert found.half_width == pytest.approx(1.96 * math.sqrt(1 / 3) / 2)
    assert math.isnan(estimate([1.0]).half_width)
    assert estimate([]).n == 0


def test_score_is_article_level_and_keeps_passage_and_excerpt_apart() -> None:
    """A dropped duplicate's judgement goes to its kept copy; the excerpt may miss the answer."""
    articles = (
        Article("Same", "Same words here.", id="kept"),
        Article("Same", "Same words here.", id="copy"),
        Article("Other", "Other words.", id="other"),
    )
    data = EvalSet(
        "s",
        articles,
        (EvalQuery("q", "same", answers=("Etna",)),),
        {"q": frozenset({"copy"})},
    )
    outcome = Outcome(("other", "kept"), ("no", "Etna erupted"), ("no", "It erupted"))
    metrics = score(data, [outcome])
    assert metrics["Recall@1"].mean == 0.0
    assert metrics["MRR@10"].mean == 0.5
    assert metrics["AnsHit@1 passage"].mean == 0.0
    assert metrics["AnsHit@5 passage"].mean == 1.0
    assert metrics["AnsHit@5 excerpt"].mean == 0.0


def test_unanswered_and_unjudged_sets_report_only_what_applies() -> None:
    """Without qrels there are no ranking metrics; without answers no AnsHit; declines count."""
    data = EvalSet("s", (Article("t", "x", id="a"),), (EvalQuery("q", "x"),), {})
    assert list(score(data, [Outcome(("a",), ("x",), ("x",))])) == ["Declined"]


def test_a_declined_search_shows_no_excerpt_but_keeps_its_ranking() -> None:
    """When the engine declines, the reader sees titles only: excerpts miss, passages count."""
    articles = (
        Article("Volcano", "The Etna volcano covered Catania in ash.", id="a1"),
        Article("Rail", "Train drivers went on strike.", id="a2"),
    )
    data = EvalSet("s", articles, (EvalQuery("q", "volcano unheardofword", answers=("Etna",)),), {})
    result = evaluate(data, ask=lambda engine, query, k: engine.search(query.text, k, min_share=1))
    assert result.metrics["Declined"].mean == 1.0
    assert result.metrics["AnsHit@1 passage"].mean == 1.0
    assert result.metrics["AnsHit@1 excerpt"].mean == 0.0


def test_evaluate_runs_an_engine_with_the_support_weights_it_is_given() -> None:
    """``article_support``, ``statement_support``, ``coverage`` and ``proximity`` reach the
    engine; None keeps its default."""
    articles = (Article("Volcano", "Etna erupted again on Sunday.", id="a1"),)
    data = EvalSet("s", articles, (EvalQuery("q", "Etna erupted"),), {})
    seen: list[tuple[float, float, float, float]] = []

    def recording(engine: Engine, query: EvalQuery, k: int) -> SearchResult:
        seen.append(
            (engine.article_support, engine.statement_support, engine.coverage, engine.proximity)
        )
        return engine.search(query.text, k)

    evaluate(
        data, ask=recording, article_support=0.3, statement_support=0.9, coverage=0.5,
        proximity=0.2,
    )  # fmt: skip
    evaluate(data, ask=recording)
    assert seen == [(0.3, 0.9, 0.5, 0.2), (SUPPORT, STATEMENT_SUPPORT, COVERAGE, PROXIMITY)]


class RecordingEngine:
    """Answers every search with one declined result for a dated question, and records the
    queries it was asked."""

    def __init__(self, preferred: bool) -> None:
        self.preferred = preferred
        self.asked: list[str] = []

    def too_long(self, text: str) -> bool:
        return False

    def search(self, query: str, k: int, **options: object) -> SearchResult:
        self.asked.append(query)
        since = datetime(2024, 5, 1, tzinfo=UTC)
        return SearchResult(
            query, (), 0, abstained=True, date_range=DateRange(since), undated="flood aid",
            preferred=self.preferred,
        )  # fmt: skip


@pytest.mark.parametrize(("preferred", "asked"), [(False, 2), (True, 1)], ids=["filter", "prefer"])
def test_a_declined_dated_question_is_searched_again_only_when_its_range_filtered(
    preferred: bool, asked: int
) -> None:
    """A filtered range that declined is followed by the question without it, as the bot
    offers; a preferred range hid nothing, so the question is not searched again."""
    engine = RecordingEngine(preferred)
    ask(engine, EvalQuery("q", "flood aid last month"), 10)  # type: ignore[arg-type]
    assert engine.asked == ["flood aid last month", "flood aid"][:asked]
