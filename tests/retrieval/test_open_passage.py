"""Opening one passage whole: its article, the query's words highlighted, its neighbours."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval import Engine, load_path

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.fixture(scope="module")
def seeded() -> Engine:
    engine = Engine.open()
    engine.ingest(load_path(SEEDS))
    return engine


def test_an_unknown_passage_opens_nothing(seeded: Engine) -> None:
    """An id past the last passage, or below zero, gives None rather than an error."""
    assert seeded.open_passage(seeded.stats().passages, "weapons") is None
    assert seeded.open_passage(-1, "weapons") is None


def test_neighbours_stay_inside_the_article(seeded: Engine) -> None:
    """Previous and next point at the same article's passages, None at its first and last."""
    hit = seeded.search("weapons Ukraine").hits[0]
    article = hit.article
    first = hit.passage.id - hit.passage.ordinal
    ids = range(first, first + article.passages)
    assert article.passages >= 2
    for passage_id in ids:
        opened = seeded.open_passage(passage_id, "weapons")
        assert opened is not None
        assert opened.article == seeded.article(opened.passage.article_id)
        assert opened.passage == seeded.passage(passage_id)
        assert opened.previous == (passage_id - 1 if passage_id > first else None)
        assert opened.next == (passage_id + 1 if passage_id < ids[-1] else None)


def test_the_query_words_are_highlighted(seeded: Engine) -> None:
    """Every highlight covers a word the query stems to, and each such word is highlighted."""
    hit = seeded.search("weapons").hits[0]
    opened = seeded.open_passage(hit.passage.id, "weapons")
    assert opened is not None
    words = [span.slice(opened.passage.text).lower() for span in opened.highlights]
    assert words
    assert set(words) <= {"weapon", "weapons"}
    assert len(words) == opened.passage.text.lower().count("weapon")


@pytest.mark.parametrize("query", ["", "the and of", "x" * 600], ids=["empty", "stop", "long"])
def test_a_query_the_engine_refuses_still_opens_the_passage(seeded: Engine, query: str) -> None:
    """A question search would refuse shows the passage with nothing highlighted."""
    opened = seeded.open_passage(0, query)
    assert opened is not None
    assert opened.passage == seeded.passage(0)
    assert opened.highlights == ()
