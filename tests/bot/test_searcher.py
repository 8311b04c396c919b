"""The search process answers exactly as the bot's own engine would, ingests included."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.searcher import Searcher
from retrieval import Article, Engine, StopwordsOnlyError


def test_search_process_matches_the_engine_and_sees_new_ingests(tmp_path: Path) -> None:
    """Hits from the child process equal in-process ones, before and after an ingest."""
    engine = Engine.open(tmp_path / "s.sqlite3")
    engine.ingest([Article("Grain deal", "Grain exports resume.", url="https://x.test/1")])
    searcher = Searcher(engine)
    try:
        before = searcher.search("grain", 5, offset=0, limit=5)
        assert before.hits == engine.search("grain", 5, offset=0, limit=5).hits
        assert len(before.hits) == 1
        engine.ingest([Article("More grain", "A grain convoy left.", url="https://x.test/2")])
        after = searcher.search("grain", 5, offset=0, limit=5)
        assert after.hits == engine.search("grain", 5, offset=0, limit=5).hits
        assert {hit.article.title for hit in after.hits} == {"Grain deal", "More grain"}
        with pytest.raises(StopwordsOnlyError):
            searcher.search("the of", 5, offset=0, limit=5)
    finally:
        searcher.close()
        engine.close()


def test_in_memory_store_is_searched_in_process() -> None:
    """An in-memory store cannot be shared: the searcher uses the engine directly."""
    engine = Engine.open()
    engine.ingest([Article("Grain deal", "Grain exports resume.")])
    searcher = Searcher(engine)
    found = searcher.search("grain", 5, offset=0, limit=5)
    assert [hit.article.title for hit in found.hits] == ["Grain deal"]
    searcher.close()
