"""Worker processes chunk and analyze exactly as the engine's own process does."""

from __future__ import annotations

import pytest

from retrieval import pipeline
from retrieval.text import Analyzer
from seeds import SEEDS, seed_body

Pair = tuple[str, str]


@pytest.fixture
def articles() -> list[Pair]:
    """The seed bodies plus variations, enough for several worker slices."""
    bodies = [seed_body(path) for path in SEEDS]
    return [
        (f"Talks, day {i}", f"{body}\n\nUpdate {i}: Kyiv said talks go on.")
        for i in range(12)
        for body in bodies
    ]


def test_every_passage_carries_its_title_terms(articles: list[Pair]) -> None:
    """Each passage is indexed with its article's title terms first, then its own."""
    analyzer = Analyzer("english")
    (title, text), (spans, terms) = (
        articles[0],
        pipeline.Pipeline(analyzer, 1).prepare(articles[:1])[0],
    )
    assert len(spans) == len(terms) > 1
    for span, passage_terms in zip(spans, terms, strict=True):
        assert passage_terms == analyzer.terms(title) + analyzer.terms(span.slice(text))


def test_parallel_prepare_equals_local(
    articles: list[Pair], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spread over two processes, prepare gives the same spans and terms, in order."""
    analyzer = Analyzer("english")
    local = pipeline.Pipeline(analyzer, workers=1).prepare(articles)
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_CHARS", 1)
    spread = pipeline.Pipeline(analyzer, workers=2)
    assert spread.prepare(articles) == local
    assert spread.prepare(articles[3:]) == local[3:]  # the same warm workers, a second batch
    spread.close()


def test_parallel_analyze_equals_local(
    articles: list[Pair], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Re-analysing stored passages in worker processes matches analysing them here."""
    analyzer = Analyzer("english")
    local = pipeline.Pipeline(analyzer, workers=2).analyze(articles)
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_CHARS", 1)
    spread = pipeline.Pipeline(analyzer, workers=2)
    assert spread.analyze(articles) == local
    spread.close()
    assert local == [analyzer.terms(title) + analyzer.terms(text) for title, text in articles]
