"""The embedded SQLite store: articles and their passage spans, kept across restarts.

Passage text is not stored twice: a passage is a span of its article's text. Passage ids are
``0..N-1`` in ingestion order and contiguous per article, which is what lets the index address
passages by row number and the bot step to a neighbouring passage with ``id ± 1``.

Several processes may write one store. The store, not the writer, assigns passage ids: inside
the batch's write transaction (SQLite lets one writer in at a time), so two writers never
collide, and each batch's articles and passages appear at once or not at all. The duplicate
check is repeated inside that transaction: an article another writer stored meanwhile is a
duplicate, not an error.

Articles are replaced (a newer text under the same canonical URL) or removed, never rewritten:
passage ids and spans stay as they are, so the index can keep addressing passages by row
number. Retiring an article adds a row to ``removed`` (its ``n`` says in which order, so an
engine catches up with removals as it does with passages) and frees the article's ``id`` and
``key`` for a newer version by renaming them ``removed:<seq>``; ``removed`` keeps the originals.
A replacement is written in the transaction that stores the new version, so a reader sees the
old version or the new one, never both or neither. A key removed by an operator stays refused
(a polled feed would otherwise bring the article straight back).

This module creates the tables, opens the store and is the only one to write it; the reads
live in :mod:`retrieval.store_reads` and the dedup lookups of a batch in
:mod:`retrieval.store_lookups`.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from retrieval.errors import StoreError
from retrieval.models import ArticleInfo
from retrieval.sqlite import BUSY_SECONDS, connect, create_tables
from retrieval.store_lookups import StoreLookups, unchanged
from retrieval.store_reads import INFO_COLUMNS, LIVE, article_info
from retrieval.store_records import (
    NewArticle,
    StoredBatch,
)
from retrieval.urls import canonical_url

SCHEMA_VERSION = "1"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    key TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    date TEXT,
    url TEXT,
    source TEXT,
    added_at TEXT NOT NULL,
    first_passage INTEGER NOT NULL,
    passages INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_by_date ON articles (date IS NULL, date DESC, seq DESC);
CREATE TABLE IF NOT EXISTS passages (
    id INTEGER PRIMARY KEY,
    article_seq INTEGER NOT NULL REFERENCES articles (seq),
    start INTEGER NOT NULL,
    end INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS removed (
    n INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE REFERENCES articles (seq),
    id TEXT NOT NULL,
    key TEXT NOT NULL,
    at TEXT NOT NULL,
    replaced INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS removed_by_key ON removed (key);
CREATE TABLE IF NOT EXISTS passage_signatures (
    passage_id INTEGER PRIMARY KEY,
    signature BLOB NOT NULL
);
"""

__all__ = ["BUSY_SECONDS", "SCHEMA", "NewArticle", "Store", "StoredBatch"]


WEB = ("http://", "https://")


class Store(StoreLookups):
    """Articles and passage spans in one SQLite file (or ``:memory:``), safe across threads.

    One connection behind a lock: reads are short, and SQLite serialises writers anyway. A
    ``readonly`` store (a worker process's) creates nothing and cannot write.
    """

    def __init__(self, path: str | Path = ":memory:", *, readonly: bool = False) -> None:
        self.path = str(path)
        self.readonly = readonly
        try:
            self._db = connect(self.path, readonly=readonly)
            if not readonly:
                create_tables(self._db, SCHEMA)
            self._check_schema()
        except (sqlite3.Error, OSError) as error:
            raise StoreError(f"cannot open the store at {self.path}: {error}") from None
        self._lock = threading.Lock()

    def _check_schema(self) -> None:
        if self.readonly:
            exists = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
            if self._db.execute(exists).fetchone() is None:
                raise StoreError(f"{self.path} is not a Briefbot store yet: ingest something first")
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is None and self.readonly:
            raise StoreError(f"{self.path} is not a Briefbot store yet: ingest something first")
        if row is None:
            # OR IGNORE: another process may be creating the same new store at this moment.
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row[0] != SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema {row[0]}; this Briefbot reads {SCHEMA_VERSION}"
            )

    def setting(self, key: str) -> str | None:
        """A value the store keeps about itself (e.g. the language its index was built in)."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_setting(self, key: str, value: str) -> None:
        """Remember ``value`` under ``key`` in the store."""
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def close(self) -> None:
        """Close the connection; the store is unusable afterwards."""
        with self._lock:
            self._db.close()

    def add(self, batch: Sequence[NewArticle]) -> StoredBatch:
        """Store a batch in one transaction: all of it, or (on any error) none of it.

        An article whose key is stored with another text replaces that version (which is
        retired in this same transaction). Articles another writer stored since ``sort``
        looked are left out (see ``kept``); the rest get consecutive passage ids from the
        store's next one.
        """
        added_at = datetime.now(UTC).isoformat()
        infos, kept, replaced = [], [], []
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                next_passage = first_passage = self._next_passage()
                live = self._live_by_key([item.key for item in batch])
                taken = self._existing_keys([item.id for item in batch])
                for position, item in enumerate(batch):
                    a = item.article
                    old = live.get(item.key)
                    if old is not None:
                        if unchanged(item.key, a, old):
                            continue  # another writer stored this very version meanwhile
                        if item.id != old[1] and item.id in taken:
                            continue  # the new version's id belongs to another article
                        self._retire(old[0], replaced=True, at=added_at)
                        taken.discard(old[1])
                    elif item.id in taken:
                        continue
                    taken.add(item.id)
                    date = a.date.astimezone(UTC).isoformat() if a.date else None
                    cursor = self._db.execute(
                        "INSERT INTO articles (id, key, title, text, date, url, source, added_at,"
                        " first_passage, passages) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (item.id, item.key, a.title, a.text, date, a.url, a.source, added_at,
                         next_passage, len(item.spans)),
                    )  # fmt: skip
                    self._db.executemany(
                        "INSERT INTO passages (id, article_seq, start, end) VALUES (?, ?, ?, ?)",
                        [
                            (next_passage + i, cursor.lastrowid, s.start, s.end)
                            for i, s in enumerate(item.spans)
                        ],
                    )
                    live[item.key] = (int(cursor.lastrowid or 0), item.id, a.title, a.text)
                    self._db.executemany(
                        "INSERT INTO passage_signatures (passage_id, signature) VALUES (?, ?)",
                        [(next_passage + i, s) for i, s in enumerate(item.signatures)],
                    )
                    next_passage += len(item.spans)
                    if old is not None:
                        replaced.append(position)
                    kept.append(position)
                    infos.append(ArticleInfo(item.id, a.title, a.date, a.url, a.source,
                                             len(item.spans)))  # fmt: skip
                self._db.execute("COMMIT")
            except BaseException as error:
                self._db.execute("ROLLBACK")
                if isinstance(error, sqlite3.Error):
                    raise StoreError(f"could not store the batch: {error}") from None
                raise
        return StoredBatch(tuple(infos), first_passage, tuple(kept), tuple(replaced))

    def _retire(self, seq: int, *, replaced: bool, at: str) -> None:
        """Mark article ``seq`` replaced or removed and free its id and key (in a transaction)."""
        self._db.execute(
            "INSERT INTO removed (seq, id, key, at, replaced)"
            " SELECT seq, id, key, ?, ? FROM articles WHERE seq = ?",
            (at, int(replaced), seq),
        )
        self._db.execute(
            "UPDATE articles SET id = 'removed:' || seq, key = 'removed:' || seq WHERE seq = ?",
            (seq,),
        )

    def remove(
        self, targets: Sequence[str] = (), *, source: str | None = None
    ) -> list[ArticleInfo]:
        """Remove the stored articles named by id or URL in ``targets``, or all of ``source``'s.

        One transaction; returns what was removed (nothing when nothing matched). A source
        name matches whatever its case.
        """
        at = datetime.now(UTC).isoformat()
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                rows: list[tuple[Any, ...]] = []
                if source is not None:
                    rows += self._db.execute(
                        f"SELECT seq, {INFO_COLUMNS} FROM articles"
                        f" WHERE source = ? COLLATE NOCASE AND {LIVE} ORDER BY seq",
                        (source,),
                    ).fetchall()
                for i in range(0, len(targets), 400):
                    ids = list(targets[i : i + 400])
                    urls = ["url:" + canonical_url(t) for t in ids if t.lower().startswith(WEB)]
                    rows += self._db.execute(
                        f"SELECT seq, {INFO_COLUMNS} FROM articles"
                        f" WHERE (id IN ({','.join('?' * len(ids))})"
                        f" OR key IN ({','.join('?' * len(urls))})) AND {LIVE} ORDER BY seq",
                        ids + urls,
                    ).fetchall()
                unique = {int(row[0]): row for row in rows}
                for seq in sorted(unique):
                    self._retire(seq, replaced=False, at=at)
                self._db.execute("COMMIT")
            except BaseException as error:
                self._db.execute("ROLLBACK")
                if isinstance(error, sqlite3.Error):
                    raise StoreError(f"could not remove: {error}") from None
                raise
        return [article_info(unique[seq][1:]) for seq in sorted(unique)]
