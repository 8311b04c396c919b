"""The one way Briefbot opens its SQLite file: the pragmas, the transactions, the table set-up.

Several owners share one file (the store's articles, the source state, the bot's tables), each
on its own connection so one owner's lock never waits on another's. They differ in what they
hold, not in how they open it: every connection gets the same pragmas here. Each owner creates
its own tables, once, through ``create_tables``; a ``readonly`` connection (a worker process
searching a store another process keeps) runs no schema statement and cannot write at all.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["BUSY_SECONDS", "MEMORY", "connect", "create_tables", "transaction"]

MEMORY = ":memory:"
"""The path of a private in-memory database (each connection gets its own)."""

BUSY_SECONDS = 60.0
"""How long a statement waits for another connection's write transaction (a batch of articles
takes well under a second) before failing with "database is locked"."""


def connect(path: str | Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Open ``path`` (made with its folder if missing, unless ``readonly``) with the pragmas
    every connection uses; raises ``sqlite3.Error`` or ``OSError``.

    The connection is in autocommit mode (``isolation_level=None``): a write that spans
    statements says so with ``transaction``. It may be used from any thread; its owner
    serialises calls with a lock.
    """
    name = str(path)
    target, uri = name, False
    if name != MEMORY and readonly:
        # mode=rw: never create the file (a missing store is an error, not an empty one).
        target, uri = f"{Path(name).absolute().as_uri()}?mode=rw", True
    elif name != MEMORY:
        Path(name).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(
        target, timeout=BUSY_SECONDS, check_same_thread=False, isolation_level=None, uri=uri
    )
    try:
        if readonly:
            # Not SQLite's mode=ro: a read-only open of a WAL file fails while no writer holds
            # it open. query_only refuses every write on this connection instead.
            db.execute("PRAGMA query_only=ON")
        elif name != MEMORY:
            # WAL lets readers in other processes go on while one process writes.
            db.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL skips the fsync on each commit yet never corrupts the file: a
        # power cut may lose the last commits, a crash none. With FULL, two fsyncs per answer
        # (~4 ms each here) capped the bot near 125 answers a second.
        db.execute("PRAGMA synchronous=NORMAL")
    except BaseException:
        db.close()
        raise
    return db


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction (``BEGIN IMMEDIATE``: it takes the write lock at once, so two
    processes never both read-then-write), committed at the end or rolled back on any error."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def create_tables(
    db: sqlite3.Connection,
    schema: str,
    migrate: Callable[[sqlite3.Connection], None] | None = None,
) -> None:
    """Create an owner's tables if missing, after ``migrate`` brings older ones up to date.

    One immediate transaction: processes opening the file at once create them once.
    """
    with transaction(db):
        if migrate is not None:
            migrate(db)
        for statement in schema.split(";"):
            if statement.strip():
                db.execute(statement)
