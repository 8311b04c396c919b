"""The engine end to end: ingest, dedup, search with citations, restarts and failed batches."""

from __future__ import annotations

import re
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from retrieval import (
    Article,
    EmptyQueryError,
    Engine,
    QueryTooLongError,
    StopwordsOnlyError,
    StoreError,
    load_path,
)
from retrieval.store import Store

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"


def article(title: str, text: str, *, url: str | None = None, day: int | None = None) -> Article:
    date = datetime(2024, 1, day, tzinfo=UTC) if day else None
    return Article(title=title, text=text, url=url, date=date, source="Test Wire")


@pytest.fixture
def seeded() -> Engine:
    engine = Engine.open()
    engine.ingest(load_path(SEEDS))
    return engine


def test_seed_search_cites_a_verbatim_excerpt(seeded: Engine) -> None:
    """A question about the seed returns excerpts that are exact slices of stored passages."""
    result = seeded.search("What weapons will the U.S. send to Ukraine?")
    assert result.hits
    top = result.hits[0]
    assert top.article.title == "Blinken Reaffirms U.S. Commitment To Send More Weapons To Ukraine"
    assert top.article.url == "https://www.rferl.org/a/blinken-ukraine-weapons-russia/31791636.html"
    assert top.article.date == datetime(2022, 4, 7, tzinfo=UTC)
    for hit in result.hits:
        assert hit.excerpt_span.slice(hit.passage.text) == hit.excerpt
        stored = seeded.passage(hit.passage.id)
        assert stored is not None
        assert stored.text == hit.passage.text


def test_highlights_match_by_stem(seeded: Engine) -> None:
    """Querying "weapons" highlights "weapons" and would highlight "Weapon" alike."""
    hit = seeded.search("weapon").hits[0]
    words = {s.slice(hit.excerpt).lower() for s in hit.highlights}
    assert words == {"weapons"}


def test_one_article_collection_shows_all_matching_passages(seeded: Engine) -> None:
    """With a single article, every passage that mentions the query is a result."""
    result = seeded.search("Kuleba", k=50)
    texts = [hit.passage.text for hit in result.hits]
    assert len(texts) >= 2
    assert all("Kuleba" in text for text in texts)
    assert len({hit.article.id for hit in result.hits}) == 1


def test_second_passages_rank_after_every_other_article() -> None:
    """One long article cannot fill the page: other matching articles come first."""
    engine = Engine.open()
    long_text = "\n\n".join(
        f"Drones drones drones attacked the port again, report number {i} said today with detail."
        * 3
        for i in range(4)
    )
    engine.ingest(
        [
            article("Drone war", long_text, url="https://x.test/long"),
            article(
                "Port news",
                "A drone was seen near the port on Monday morning.",
                url="https://x.test/b",
            ),
            article(
                "Sky watch",
                "Residents said one drone flew over the city late at night.",
                url="https://x.test/c",
            ),
        ]
    )
    hits = engine.search("drones", k=10).hits
    owners = [hit.article.id for hit in hits]
    assert len(set(owners[:3])) == 3
    assert len(hits) == 3 + (engine.article(owners[0]).passages - 1)  # type: ignore[union-attr]
    assert [hit.rank for hit in hits] == list(range(1, len(hits) + 1))


def test_ties_go_to_the_earlier_passage() -> None:
    """Two passages with equal scores are ordered by passage id (earlier ingested first)."""
    engine = Engine.open(copy_threshold=2.0)  # identical copies would otherwise fold into one
    engine.ingest(
        [article("Same", "Grain exports resumed.", url=f"https://x.test/{i}") for i in range(3)]
    )
    hits = engine.search("grain").hits
    assert [hit.passage.id for hit in hits] == [0, 1, 2]
    assert len({hit.score for hit in hits}) == 1


def test_ingest_is_idempotent_across_urls_and_batches() -> None:
    """The same article from a re-run, or with tracking parameters, is stored once."""
    engine = Engine.open()
    first = engine.ingest([article("A", "Text about ports.", url="https://x.test/a?id=1")])
    again = engine.ingest(
        [
            article("A", "Text about ports.", url="https://X.test/a?utm_source=feed&id=1#top"),
            article("B", "Text about rail.", url="https://x.test/b"),
            article("B", "Text about rail.", url="https://x.test/b"),
        ]
    )
    assert len(first.added) == 1
    assert (len(again.added), again.duplicates) == (1, 2)
    assert engine.count_articles() == 2


def test_articles_without_url_dedup_by_content() -> None:
    """Without a URL the content hash is the identity, ignoring case and spacing."""
    engine = Engine.open()
    engine.ingest([article("Title", "Body  text here.")])
    summary = engine.ingest([article("title", "body text   here.")])
    assert summary.duplicates == 1


@pytest.mark.parametrize(
    ("query", "error"),
    [("", EmptyQueryError), ("   ", EmptyQueryError), ("?! …", EmptyQueryError),
     ("the of and", StopwordsOnlyError), ("ukraine " * 100, QueryTooLongError)],
    ids=["empty", "blank", "punctuation", "stopwords", "huge"],
)  # fmt: skip
def test_bad_queries_raise_helpful_errors(seeded: Engine, query: str, error: type) -> None:
    """Unsearchable queries raise a typed error whose message tells the user what to do."""
    with pytest.raises(error) as raised:
        seeded.search(query)
    assert len(str(raised.value)) > 20


def test_latest_is_newest_first_with_undated_last() -> None:
    """latest() orders by date, newest first; articles without a date come last."""
    engine = Engine.open()
    engine.ingest(
        [article("Old", "x one", day=1), article("None", "x two"), article("New", "x three", day=9)]
    )
    assert [a.title for a in engine.latest(3)] == ["New", "Old", "None"]
    assert [a.title for a in engine.latest(2, offset=1)] == ["Old", "None"]


def test_restart_keeps_data_and_index(tmp_path: Path) -> None:
    """A reopened store answers the same, from the saved index or, if it is gone, a rebuild."""
    db = tmp_path / "b.sqlite3"
    engine = Engine.open(db)
    engine.ingest(load_path(SEEDS))
    before = [(h.passage.id, h.score) for h in engine.search("Bucha atrocities").hits]
    engine.close()
    assert (tmp_path / "b.sqlite3.index").is_dir()
    reopened = Engine.open(db)
    assert [(h.passage.id, h.score) for h in reopened.search("Bucha atrocities").hits] == before
    reopened.close()
    for path in (tmp_path / "b.sqlite3.index").rglob("*.*"):
        path.write_bytes(b"garbage")
    rebuilt = Engine.open(db)
    assert [(h.passage.id, h.score) for h in rebuilt.search("Bucha atrocities").hits] == before


def test_unsaved_tail_is_indexed_on_open(tmp_path: Path) -> None:
    """Passages stored after the last index save are indexed when the store is reopened."""
    db = tmp_path / "b.sqlite3"
    engine = Engine.open(db)
    engine.ingest([article("First", "Wheat harvest news.")])
    engine.ingest([article("Second", "Barley harvest news.")], persist=False)
    engine.close()
    reopened = Engine.open(db)
    assert {h.article.title for h in reopened.search("barley").hits} == {"Second"}


def test_failed_batch_leaves_store_and_index_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    """If storing a batch fails half-way, neither the store nor the search results change."""
    engine = Engine.open()
    engine.ingest([article("Kept", "Solar power grows.", url="https://x.test/kept")])
    original = Store.add

    def failing_add(self: Store, batch: list) -> list:  # type: ignore[type-arg]
        self._db.execute("CREATE TRIGGER boom BEFORE INSERT ON passages WHEN NEW.id > 1 "
                         "BEGIN SELECT RAISE(ABORT, 'disk full'); END")  # fmt: skip
        return original(self, batch)

    monkeypatch.setattr(Store, "add", failing_add)
    batch = [
        article(f"New {i}", f"Solar panels story {i}.", url=f"https://x.test/{i}") for i in range(3)
    ]
    with pytest.raises(StoreError, match="disk full"):
        engine.ingest(batch)
    assert engine.count_articles() == 1
    assert engine._store.count_articles() == 1
    assert engine._store.count_passages() == 1
    assert [h.article.title for h in engine.search("solar").hits] == ["Kept"]


def test_searches_stay_consistent_during_ingest() -> None:
    """Searches running while articles arrive always see a whole index, never half of one."""
    engine = Engine.open()
    engine.ingest([article("Seed", "Flood warnings issued.", url="https://x.test/seed")])
    errors: list[BaseException] = []
    done = threading.Event()

    def search_loop() -> None:
        while not done.is_set():
            try:
                for hit in engine.search("flood").hits:
                    assert hit.excerpt_span.slice(hit.passage.text) == hit.excerpt
            except BaseException as error:  # collected and re-raised in the test thread
                errors.append(error)
                return

    thread = threading.Thread(target=search_loop)
    thread.start()
    for i in range(30):
        engine.ingest([article(f"F{i}", f"Flood update {i}.", url=f"https://x.test/f{i}")])
    done.set()
    thread.join()
    assert not errors
    assert len(engine.search("flood", k=100).hits) == 31


def test_scorer_setting_changes_small_corpus_behaviour() -> None:
    """On two passages, lucene finds a term in one of them; okapi's idf there is zero."""
    docs = [article("A", "Kyiv talks today."), article("B", "Paris summit news.")]
    lucene, okapi = Engine.open(scorer="lucene"), Engine.open(scorer="okapi")
    lucene.ingest(docs)
    okapi.ingest(docs)
    assert [h.article.title for h in lucene.search("kyiv").hits] == ["A"]
    assert okapi.search("kyiv").hits == ()


def test_stats_and_example_query(seeded: Engine) -> None:
    """stats() counts what is stored; example_query() draws words from the newest headline."""
    stats = seeded.stats()
    assert stats.articles == 1
    assert stats.passages >= 3
    assert stats.vocabulary > 50
    example = seeded.example_query()
    assert example
    assert seeded.search(example).hits


def test_store_rejects_another_schema(tmp_path: Path) -> None:
    """Opening a store written by an incompatible version fails with a clear StoreError."""
    db = tmp_path / "old.sqlite3"
    Store(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE meta SET value = '0' WHERE key = 'schema'")
    with pytest.raises(StoreError, match="schema 0"):
        Engine.open(db)


def test_import_is_documented_in_five_lines() -> None:
    """The package docstring's example runs as written."""
    import retrieval

    code = "\n".join(
        line[4:] for line in (retrieval.__doc__ or "").splitlines() if line.startswith("    ")
    )
    assert code.count("\n") <= 6
    exec(compile(code, "<doc>", "exec"), {})  # noqa: S102 - running our own documented example
    assert re.search(r"Engine\.open", code)


def test_watch_hits_score_only_new_passages_above_the_threshold() -> None:
    """A saved query matches new passages only, best passage per article, above min_match."""
    engine = Engine.open()
    engine.ingest([article("Old", "Grain exports from Odesa resumed.", url="https://x.test/old")])
    summary = engine.ingest(
        [
            article("New", "Grain ships left Odesa.\n\nMore grain news from Odesa port.",
                    url="https://x.test/new"),
            article("Other", "Parliament debated the budget.", url="https://x.test/other"),
            article("Weak", "A grain of truth.", url="https://x.test/weak"),
        ]
    )  # fmt: skip
    assert summary.first_passage == 1
    strict = engine.watch_hits("grain Odesa", summary.first_passage, 0.3)
    assert [hit.article.title for hit in strict] == ["New"]
    assert strict[0].passage.id >= summary.first_passage
    assert {s.slice(strict[0].excerpt) for s in strict[0].highlights} >= {"Odesa"}
    loose = engine.watch_hits("grain Odesa", summary.first_passage, 0.01)
    assert [hit.article.title for hit in loose] == ["New", "Weak"]
    assert engine.watch_hits("grain Odesa", engine.stats().passages, 0.01) == []


def test_index_save_failure_keeps_the_stored_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """If the index cannot be saved, the batch stays stored and searchable; a reopen re-indexes."""
    from retrieval.bm25 import Index

    db = tmp_path / "b.sqlite3"
    engine = Engine.open(db)

    def full_disk(self: Index, directory: Path, origin: object = None) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Index, "save", full_disk)
    summary = engine.ingest([article("Saved", "Tidal energy story.", url="https://x.test/t")])
    assert len(summary.added) == 1
    assert "could not save the index" in caplog.text
    assert "No space left" in (engine.check().save_error or "")
    assert [h.article.title for h in engine.search("tidal").hits] == ["Saved"]
    engine.close()
    monkeypatch.undo()
    assert [h.article.title for h in Engine.open(db).search("tidal").hits] == ["Saved"]


def test_changing_the_language_rebuilds_the_index(tmp_path: Path) -> None:
    """A store reopened with another language is re-analysed, not searched with stale stems."""
    db = tmp_path / "b.sqlite3"
    english = Engine.open(db, language="english")
    english.ingest(
        [article("Zeitung", "Die Regierungen verhandelten lange.", url="https://x.test/z")]
    )
    english.close()
    german = Engine.open(db, language="german")
    assert german.query_terms("Regierung") == german.query_terms("Regierungen")
    assert [h.article.title for h in german.search("Regierung").hits] == ["Zeitung"]
    german.close()
    assert Engine.open(db, language="english").search("Regierung").hits == ()


def test_read_only_engine_refreshes_what_the_writer_stored(tmp_path: Path) -> None:
    """A second process's read-only engine finds new articles after refresh(), not before."""
    db = tmp_path / "b.sqlite3"
    writer = Engine.open(db)
    writer.ingest([article("Grain deal", "Ships carrying grain left Odesa.", url="https://x/1")])
    reader = Engine.open(db, read_only=True)
    assert reader.search("grain").total == 1
    strike = article("Port strike", "Dockers in Rotterdam stopped work.", url="https://x/2")
    writer.ingest([strike, article("Grain prices", "Grain prices rose.", url="https://x/3")])
    assert reader.search("grain").total == 1
    assert reader.search("dockers rotterdam").total == 0
    assert reader.refresh() == 2
    assert reader.refresh() == 0
    found = reader.search("dockers rotterdam")
    assert [hit.article.title for hit in found.hits] == ["Port strike"]
    assert {hit.article.title for hit in reader.search("grain").hits} == {
        "Grain deal",
        "Grain prices",
    }
    mine, theirs = reader.stats(), writer.stats()
    assert (mine.articles, mine.passages, mine.vocabulary) == (
        theirs.articles, theirs.passages, theirs.vocabulary,
    )  # fmt: skip
    reader.close()
    writer.close()


def test_read_only_engine_never_writes(tmp_path: Path) -> None:
    """A read-only engine refuses to ingest and leaves the saved index as the writer left it."""
    db = tmp_path / "b.sqlite3"
    writer = Engine.open(db)
    writer.ingest([article("Grain deal", "Ships carrying grain left Odesa.", url="https://x/1")])
    writer.ingest(
        [article("Port strike", "Dockers stopped work.", url="https://x/2")], persist=False
    )
    saved = {p: p.stat().st_mtime_ns for p in (tmp_path / "b.sqlite3.index").rglob("*")}
    reader = Engine.open(db, read_only=True)
    assert reader.search("dockers").total == 1  # the unsaved tail is indexed in memory
    with pytest.raises(StoreError, match="read-only"):
        reader.ingest([article("Zoo", "Zebras crossed the road.", url="https://x/3")])
    reader.close()
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "b.sqlite3.index").rglob("*")} == saved
    assert writer.search("zebras").total == 0
    writer.close()


def test_articles_built_in_code_with_nul_or_lone_surrogate_are_stored_whole() -> None:
    """A NUL no longer ends the stored passage, and a lone surrogate no longer fails the batch."""
    engine = Engine.open()
    summary = engine.ingest(
        [
            article("Nul", "before\x00after nulbody words"),
            article("Odd \ud800 title", "A surrogate \udfff sits in this glacier report."),
            article("Fine", "An ordinary report about harbour cranes."),
        ]
    )
    assert len(summary.added) == 3
    (hit,) = engine.search("nulbody").hits
    assert hit.passage.text == "beforeafter nulbody words"
    (hit,) = engine.search("glacier").hits
    assert hit.article.title == "Odd \ufffd title"
    assert "\ufffd" in hit.passage.text
    assert engine.search("cranes").hits
