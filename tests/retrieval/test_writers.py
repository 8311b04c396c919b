"""Several writers on one store: every stored article is searchable in every engine, always."""

from __future__ import annotations

import json
import multiprocessing
import shutil
from pathlib import Path

import numpy as np
import pytest
from writers import check_store_whole, ingest_one_by_one, numbered, stored, unsearchable

from retrieval import Analyzer, Article, BM25Params, Engine, Index
from retrieval.models import Span
from retrieval.store import Store
from retrieval.store_records import NewArticle, article_id, dedup_key

SPAWN = multiprocessing.get_context("spawn")


def new(article: Article) -> NewArticle:
    """``article`` ready to store as one passage, as the engine would hand it to the store."""
    key = dedup_key(article)
    return NewArticle(article, key, article_id(article, key), (Span(0, len(article.text)),))


def test_two_writers_taking_turns_each_find_all_articles(tmp_path: Path) -> None:
    """Two engines writing one store in turn each find the other's articles after their next
    ingest or refresh, and so does the store reopened."""
    db = tmp_path / "b.sqlite3"
    first, second = Engine.open(db), Engine.open(db)
    first.ingest(numbered("a", 3))
    second.ingest(numbered("b", 4))
    first.ingest(numbered("a", 2, start=3))
    assert unsearchable(first, db) == []
    second.ingest(numbered("b", 1, start=4))
    assert unsearchable(second, db) == []
    assert first.refresh() == 1
    assert unsearchable(first, db) == []
    first.close()
    second.close()
    check_store_whole(db)
    reopened = Engine.open(db)
    assert reopened.count_articles() == len(stored(db)) == 10
    assert unsearchable(reopened, db) == []
    reopened.close()


def test_an_article_stored_meanwhile_by_another_writer_is_a_duplicate(tmp_path: Path) -> None:
    """An article another writer stored after this one's duplicate check is counted, not an
    error, and the rest of the batch is stored."""
    db = tmp_path / "b.sqlite3"
    mine, theirs = Store(db), Store(db)
    one, two = numbered("d", 2)
    theirs.add([new(two)])
    result = mine.add([new(one), new(two)])
    assert [info.id for info in result.added] == ["d-0"]
    assert result.first_passage == 1
    assert mine.count_articles() == 2
    mine.close()
    theirs.close()


@pytest.mark.slow
def test_two_processes_ingesting_at_once_leave_nothing_unsearchable(tmp_path: Path) -> None:
    """Two processes ingest different articles into one store at the same time while this one
    holds two writing engines: after their next ingest or refresh, and after a restart, every
    stored article is found by search."""
    db = tmp_path / "b.sqlite3"
    running = Engine.open(db)
    running.ingest(numbered("r", 1))
    idle = Engine.open(db)
    processes = [
        SPAWN.Process(target=ingest_one_by_one, args=(str(db), prefix, 60)) for prefix in "xy"
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    assert [process.exitcode for process in processes] == [0, 0]
    running.ingest(numbered("r", 1, start=1))
    assert unsearchable(running, db) == []
    assert idle.refresh() == len(stored(db)) - 1
    assert unsearchable(idle, db) == []
    running.close()
    idle.close()
    check_store_whole(db)
    reopened = Engine.open(db)
    assert reopened.count_articles() == len(stored(db)) == 122
    assert reopened.check().repaired is None  # the last save was whole and loaded as it was
    assert unsearchable(reopened, db) == []
    reopened.close()


def test_check_counts_what_another_writer_stored_until_refresh(tmp_path: Path) -> None:
    """An engine's check says how many stored passages it cannot find yet; refresh clears it."""
    db = tmp_path / "b.sqlite3"
    first = Engine.open(db)
    first.ingest(numbered("a", 2))
    second = Engine.open(db)
    second.ingest(numbered("b", 3))
    check = first.check()
    assert (check.stored, check.searchable, check.unsearchable) == (5, 2, 3)
    assert first.refresh() == 3
    assert first.check().unsearchable == 0
    first.close()
    second.close()


def test_opening_indexes_the_tail_the_saved_index_lacks_and_says_so(tmp_path: Path) -> None:
    """Passages stored after the last save (a killed ingest) are indexed at open and reported."""
    db = tmp_path / "b.sqlite3"
    engine = Engine.open(db)
    engine.ingest(numbered("a", 2))
    engine.ingest(numbered("a", 3, start=2), persist=False)
    engine.close()
    reopened = Engine.open(db)
    check = reopened.check()
    assert (check.saved, check.searchable, check.unsearchable) == (2, 5, 0)
    assert "indexed 3 stored passages" in (check.repaired or "")
    assert unsearchable(reopened, db) == []
    reopened.close()
    assert Engine.open(db).check().repaired is None  # the repaired index was saved


def test_an_index_saved_by_an_older_briefbot_is_rebuilt(tmp_path: Path) -> None:
    """A saved index without a record of its passages (older Briefbots wrote those, possibly
    out of step with the store) is rebuilt from the store, not trusted."""
    db = tmp_path / "b.sqlite3"
    articles = numbered("o", 4)
    Engine.open(db).ingest(articles)
    analyzer = Analyzer("english")
    # What two old writers could leave: the right number of passages, in the wrong order.
    shuffled = [analyzer.terms(a.title) + analyzer.terms(a.text) for a in reversed(articles)]
    Index.build(shuffled, BM25Params()).save(Path(f"{db}.index"))
    reopened = Engine.open(db)
    assert reopened.check().repaired is not None
    assert "older Briefbot" in (reopened.check().repaired or "")
    assert unsearchable(reopened, db) == []
    reopened.close()


def test_an_index_belonging_to_other_articles_is_rebuilt(tmp_path: Path) -> None:
    """A saved index copied from another store of the same size is detected and rebuilt."""
    mine, other = tmp_path / "mine.sqlite3", tmp_path / "other.sqlite3"
    Engine.open(mine).ingest(numbered("m", 3))
    Engine.open(other).ingest(numbered("o", 3))
    shutil.rmtree(f"{mine}.index")
    shutil.copytree(f"{other}.index", f"{mine}.index")
    reopened = Engine.open(mine)
    assert "other articles" in (reopened.check().repaired or "")
    assert unsearchable(reopened, mine) == []
    reopened.close()


def test_a_deleted_index_is_rebuilt_and_reported(tmp_path: Path) -> None:
    """With the saved index folder gone, opening builds it from the store and says so."""
    db = tmp_path / "b.sqlite3"
    Engine.open(db).ingest(numbered("d", 3))
    shutil.rmtree(f"{db}.index")
    reopened = Engine.open(db)
    assert reopened.check().repaired == "built the index of 3 passages: none was saved"
    assert unsearchable(reopened, db) == []
    reopened.close()


def test_a_damaged_index_met_while_catching_up_is_rebuilt(tmp_path: Path) -> None:
    """Opening merges the passages a saved index lacks into it, reading its postings: damage
    found there rebuilds the index from the store, as a damaged file found at load does."""
    db = tmp_path / "b.sqlite3"
    engine = Engine.open(db)
    engine.ingest(numbered("s", 3))
    engine.ingest(numbered("t", 3), persist=False)  # stored, not in the saved index
    engine.close()
    index = Path(f"{db}.index")
    manifest = json.loads((index / "manifest.json").read_text())
    docs_path = index / manifest["segments"][0]["name"] / "docs.npy"
    docs = np.load(docs_path)
    docs[0] = 10**6  # a passage id far past the end
    np.save(docs_path, docs)
    reopened = Engine.open(db)
    assert "damaged" in (reopened.check().repaired or "")
    assert reopened.check().repaired.startswith("rebuilt the index")  # type: ignore[union-attr]
    assert unsearchable(reopened, db) == []
    reopened.close()
    assert Engine.open(db).check().repaired is None  # the rebuilt index was saved
