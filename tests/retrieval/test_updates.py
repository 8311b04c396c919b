"""Updates kept and removals: a changed article replaces the stored one, in every engine."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from updaters import corrected, update_then_remove
from writers import check_store_whole, numbered, unsearchable

from retrieval import Article, Engine

SPAWN = multiprocessing.get_context("spawn")


def story(text: str, *, url: str = "https://wire.test/quake?utm_source=feed") -> Article:
    """A briefing under one canonical URL, whatever tracking parameters it carries."""
    return Article("Quake in the valley", text, url=url, source="Wire")


OLD = "An earthquake struck the valley at dawn. Officials counted twelve injured."
NEW = "An earthquake struck the valley at dawn. Officials now count forty injured and rescuers."


def texts(engine: Engine, query: str) -> list[str]:
    """The passage text of every hit of ``query``."""
    return [hit.passage.text for hit in engine.search(query, k=20).hits]


def test_changed_text_under_the_same_url_replaces_the_stored_article() -> None:
    """The new version is found, the old passages never are, and the summary says updated."""
    engine = Engine.open()
    engine.ingest([story(OLD), Article("Grain", "Grain exports resumed.", url="https://w.test/g")])
    summary = engine.ingest([story(NEW, url="https://wire.test/quake")])
    assert [info.title for info in summary.updated] == ["Quake in the valley"]
    assert (summary.added, summary.duplicates, summary.passages) == ((), 0, 1)
    assert texts(engine, "earthquake injured") == [NEW]
    assert engine.search("twelve").hits == ()
    assert engine.count_articles() == 2
    assert engine.stats().retired == 1
    assert [info.url for info in engine.latest()].count("https://wire.test/quake") == 1


@pytest.mark.parametrize(
    "again",
    [OLD, "  An earthquake struck the valley at dawn.\n\nOfficials counted  twelve injured. "],
    ids=["identical", "whitespace-only"],
)
def test_the_same_text_again_is_a_no_op(again: str) -> None:
    """Identical text (or only spacing changed) is already stored: nothing added or retired."""
    engine = Engine.open()
    engine.ingest([story(OLD)])
    summary = engine.ingest([story(again)])
    assert (summary.added, summary.updated, summary.duplicates) == ((), (), 1)
    assert [info.url for info in summary.unchanged] == [story(OLD).url]
    assert engine.stats().passages == 1
    assert engine.stats().retired == 0


def test_watch_matching_never_sees_a_replaced_passage() -> None:
    """Watch hits over every passage (since 0) find the new version only."""
    engine = Engine.open()
    engine.ingest([story(OLD)])
    engine.ingest([story(NEW)])
    hits = engine.watch_hits("earthquake injured", since=0, min_match=0.1)
    assert [hit.passage.text for hit in hits] == [NEW]


def test_a_replaced_passage_names_its_successor_and_a_removed_one_none() -> None:
    """``retirement`` says a replaced passage's article was updated and where the new version
    starts; a removed one has no successor; a live one is not retired."""
    engine = Engine.open()
    engine.ingest([story(OLD), Article("Grain", "Grain exports resumed.", url="https://w.test/g")])
    engine.ingest([story(NEW)])
    retired = engine.retirement(0)
    assert retired is not None
    assert retired.replaced
    assert retired.successor is not None
    assert retired.successor_first == 2
    assert engine.passage(retired.successor_first).text == NEW  # type: ignore[union-attr]
    assert engine.retirement(2) is None
    engine.remove(["https://w.test/g"])
    gone = engine.retirement(1)
    assert gone is not None
    assert not gone.replaced
    assert gone.successor is None


def test_remove_by_id_url_and_source_in_one_go() -> None:
    """Articles named by id, by URL (tracking parameters aside) or by source leave results at
    once; the result lists them with their passages; nothing matching removes nothing."""
    engine = Engine.open()
    engine.ingest([*numbered("a", 3), Article("Other", "Grain port news.", source="Other Wire")])
    assert engine.remove(["nothing-like-this"]).articles == ()
    gone = engine.remove(["a-0", "https://a.test/1?utm_source=x"])
    assert [info.id for info in gone.articles] == ["a-0", "a-1"]
    assert gone.passages == 2
    other = engine.latest(5)[0].id
    assert {hit.article.id for hit in engine.search("grain", k=10).hits} == {"a-2", other}
    by_source = engine.remove(source="other wire")
    assert [info.title for info in by_source.articles] == ["Other"]
    assert {hit.article.id for hit in engine.search("grain", k=10).hits} == {"a-2"}
    assert engine.count_articles() == 1


def test_a_removed_url_is_refused_when_a_feed_offers_it_again() -> None:
    """A removed article does not come back with the next poll: it is skipped with a reason."""
    engine = Engine.open()
    engine.ingest([story(OLD)])
    engine.remove([story(OLD).url or ""])
    summary = engine.ingest([story(OLD)])
    assert summary.added == ()
    (skipped,) = summary.skipped
    assert skipped.source == story(OLD).url
    assert skipped.reason.startswith("it was removed from the store on ")
    assert engine.search("earthquake").hits == ()


def test_replacements_and_removals_survive_a_restart(tmp_path: Path) -> None:
    """Reopened, the store still hides retired passages, and the saved index is reused, not
    rebuilt, even when the article holding its last passage was replaced."""
    db = tmp_path / "b.sqlite3"
    engine = Engine.open(db)
    engine.ingest([Article("Grain", "Grain exports resumed.", url="https://w.test/g"), story(OLD)])
    engine.ingest([story(NEW)])
    engine.remove(["https://w.test/g"])
    engine.close()
    reopened = Engine.open(db)
    assert reopened.check().repaired is None
    assert texts(reopened, "earthquake grain") == [NEW]
    assert reopened.count_articles() == 1
    reopened.close()
    check_store_whole(db)


def test_another_engine_stops_returning_what_one_replaced_or_removed(tmp_path: Path) -> None:
    """A second engine on the store drops a replaced article's old passages and a removed
    article when it refreshes, even when no passage was added (a removal alone); before it
    refreshes, a removed article is already never cited."""
    db = tmp_path / "b.sqlite3"
    writer = Engine.open(db)
    writer.ingest(numbered("a", 3))
    reader = Engine.open(db, read_only=True)
    writer.ingest([corrected(numbered("a", 1)[0])])
    assert reader.refresh() == 1
    assert [hit.article.id for hit in reader.search("harbourmaster").hits] == ["a-0"]
    assert len(reader.search("a000000q").hits) == 1
    writer.remove(["a-1"])
    assert reader.search("a000001q").hits == ()  # ranked from a stale mask, but never cited
    assert reader.refresh() == 0
    assert reader.search("a000001q").hits == ()
    assert reader.count_articles() == 2
    writer.close()
    reader.close()


@pytest.mark.slow
def test_a_process_replacing_and_removing_while_another_searches(tmp_path: Path) -> None:
    """Another process replaces 30 articles one batch at a time, then removes one: this
    process, after a refresh and after a restart, finds each corrected article exactly once
    and the removed one nowhere."""
    db = tmp_path / "b.sqlite3"
    running = Engine.open(db)
    running.ingest(numbered("u", 30))
    process = SPAWN.Process(target=update_then_remove, args=(str(db), "u", 30))
    process.start()
    process.join()
    assert process.exitcode == 0
    running.refresh()
    for engine in (running, Engine.open(db)):
        found = [hit.article.id for hit in engine.search("harbourmaster", k=100).hits]
        assert sorted(found) == sorted(f"u-{n}" for n in range(1, 30))
        assert engine.search("u000000q").hits == ()
        assert unsearchable(engine, db) == []
        engine.close()
    check_store_whole(db)
