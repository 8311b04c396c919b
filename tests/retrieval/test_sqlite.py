"""The one store connection helper: its pragmas, read-only connections, one-time table set-up."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from retrieval.engine import Engine
from retrieval.errors import StoreError
from retrieval.models import Article
from retrieval.sqlite import BUSY_SECONDS, connect, create_tables, transaction
from retrieval.store import Store

SCHEMA = "CREATE TABLE IF NOT EXISTS things (id INTEGER PRIMARY KEY, name TEXT);"


def test_every_connection_gets_the_same_pragmas(tmp_path: Path) -> None:
    """WAL, synchronous=NORMAL and the busy wait are set by the helper, not by each owner."""
    db = connect(tmp_path / "new" / "s.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == int(BUSY_SECONDS * 1000)
    assert db.isolation_level is None
    db.close()


def test_a_read_only_connection_cannot_write(tmp_path: Path) -> None:
    """Reads work, any write is refused, and the file is left as it was."""
    path = tmp_path / "s.sqlite3"
    writer = connect(path)
    create_tables(writer, SCHEMA)
    writer.execute("INSERT INTO things (name) VALUES ('a')")
    reader = connect(path, readonly=True)
    assert reader.execute("SELECT name FROM things").fetchall() == [("a",)]
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        reader.execute("INSERT INTO things (name) VALUES ('b')")
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        create_tables(reader, "CREATE TABLE IF NOT EXISTS more (id INTEGER);")
    reader.close()
    writer.close()


def test_a_read_only_connection_never_creates_a_store(tmp_path: Path) -> None:
    """Opening a missing file read-only fails instead of leaving an empty store behind."""
    path = tmp_path / "missing" / "s.sqlite3"
    with pytest.raises(sqlite3.OperationalError):
        connect(path, readonly=True)
    assert not path.parent.exists()


def test_a_read_only_store_runs_no_schema_statement(tmp_path: Path) -> None:
    """A read-only store on a file that holds no store says so and creates no table in it."""
    path = tmp_path / "empty.sqlite3"
    sqlite3.connect(path).close()  # an empty database file
    with pytest.raises(StoreError, match="not a Briefbot store yet"):
        Store(path, readonly=True)
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    db.close()


def test_a_read_only_engine_searches_what_a_writer_stored(tmp_path: Path) -> None:
    """A worker's engine reads the store another process keeps, on a read-only connection."""
    path = tmp_path / "s.sqlite3"
    writer = Engine.open(path)
    writer.ingest([Article("Grain deal", "Grain exports resume from Odesa.")])
    reader = Engine.open(path, read_only=True)
    assert [hit.article.title for hit in reader.search("grain").hits] == ["Grain deal"]
    reader.close()
    writer.close()


def test_tables_are_created_once_after_their_migration(tmp_path: Path) -> None:
    """create_tables runs the owner's migration first, in one transaction, and can run again."""
    db = connect(tmp_path / "s.sqlite3")
    seen: list[int] = []

    def migrate(connection: sqlite3.Connection) -> None:
        seen.append(connection.in_transaction)

    create_tables(db, SCHEMA, migrate)
    create_tables(db, SCHEMA, migrate)
    assert seen == [True, True]
    assert db.execute("SELECT count(*) FROM things").fetchone()[0] == 0
    db.close()


def test_a_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    """A write transaction that raises is rolled back whole."""
    db = connect(tmp_path / "s.sqlite3")
    create_tables(db, SCHEMA)

    def insert_then_fail() -> None:
        with transaction(db):
            db.execute("INSERT INTO things (name) VALUES ('a')")
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        insert_then_fail()
    assert db.execute("SELECT count(*) FROM things").fetchone()[0] == 0
    assert not db.in_transaction
    db.close()
