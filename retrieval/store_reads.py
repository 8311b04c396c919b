"""The store's reads: passages, articles, counts and removals, as the index and the bot ask.

Kept apart from :mod:`retrieval.store` (which creates the tables, opens the file and is their
only writer) because the reads are many small queries that never change a row.
:class:`StoreReads` is the base :class:`~retrieval.store.Store` builds on (through
:class:`~retrieval.store_lookups.StoreLookups`), holding the one connection and its lock.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

from retrieval.errors import StoreError
from retrieval.models import ArticleInfo, Passage, Span
from retrieval.store_records import Removal, Retirement

LIVE = "seq NOT IN (SELECT seq FROM removed)"
"""SQL condition on ``articles``: the article is neither replaced nor removed."""

INFO_COLUMNS = "id, title, date, url, source, passages"


def article_info(row: Sequence[object]) -> ArticleInfo:
    """The :class:`ArticleInfo` of a row of :data:`INFO_COLUMNS`."""
    id_, title, date, url, source, passages = row
    return ArticleInfo(
        id=str(id_),
        title=str(title),
        date=datetime.fromisoformat(str(date)) if date else None,
        url=str(url) if url else None,
        source=str(source) if source else None,
        passages=int(str(passages)),
    )


class StoreReads:
    """Read queries over an open store's connection, each under the connection's lock."""

    path: str
    readonly: bool
    _db: sqlite3.Connection
    _lock: threading.Lock

    def changes_since(self, start: int, mark: int) -> tuple[list[int], list[Removal]]:
        """``passage_counts_from(start)`` and the removals numbered above ``mark``, read in one
        transaction: every removal it returns is of passages the counts cover (or precede)."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                counts = self._counts_from(start)
                rows = self._db.execute(
                    "SELECT r.n, a.first_passage, a.passages, r.replaced FROM removed r"
                    " JOIN articles a ON a.seq = r.seq WHERE r.n > ? ORDER BY r.n",
                    (mark,),
                ).fetchall()
            finally:
                self._db.execute("COMMIT")
        return counts, [Removal(int(n), int(f), int(c), bool(r)) for n, f, c, r in rows]

    def retirement(self, passage_id: int) -> Retirement | None:
        """How passage ``passage_id``'s article was retired, or None if it is live or unknown.

        The successor is the live article now stored under the same key, if any.
        """
        with self._lock:
            row = self._db.execute(
                "SELECT r.key, r.replaced, a.title FROM passages p"
                " JOIN removed r ON r.seq = p.article_seq"
                " JOIN articles a ON a.seq = p.article_seq WHERE p.id = ?",
                (passage_id,),
            ).fetchone()
            if row is None:
                return None
            now = self._db.execute(
                f"SELECT {INFO_COLUMNS}, first_passage FROM articles WHERE key = ?", (row[0],)
            ).fetchone()
        successor = None if now is None else article_info(now[:-1])
        first = None if now is None else int(now[-1])
        return Retirement(str(row[2]), bool(row[1]), successor, first)

    def count_removed(self) -> tuple[int, int]:
        """How many articles were replaced or removed, and how many passages they held."""
        with self._lock:
            row = self._db.execute(
                "SELECT count(*), coalesce(sum(a.passages), 0) FROM removed r"
                " JOIN articles a ON a.seq = r.seq"
            ).fetchone()
        return int(row[0]), int(row[1])

    def _count(self, table: str) -> int:
        return int(self._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    def count_articles(self) -> int:
        """How many articles are stored (and neither replaced nor removed)."""
        with self._lock:
            return self._count("articles") - self._count("removed")

    def _next_passage(self) -> int:
        # Ids are 0..N-1, so the largest plus one is the count, read from the primary key's
        # end instead of counting every row: cheap on every batch of a large store.
        row = self._db.execute("SELECT coalesce(max(id) + 1, 0) FROM passages").fetchone()
        return int(row[0])

    def count_passages(self) -> int:
        """How many passages are stored (also the next passage id)."""
        with self._lock:
            return self._next_passage()

    def size_bytes(self) -> int:
        """Bytes the database occupies on disk, its write-ahead log included."""
        if self.path == ":memory:":
            with self._lock:
                pages = self._db.execute("PRAGMA page_count").fetchone()[0]
                size = self._db.execute("PRAGMA page_size").fetchone()[0]
            return int(pages) * int(size)
        files = (Path(self.path), Path(f"{self.path}-wal"))
        return sum(path.stat().st_size for path in files if path.exists())

    def passages(self, ids: Sequence[int]) -> list[Passage]:
        """Fetch passages by id, in the order asked; unknown ids are left out."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        sql = (
            "SELECT p.id, a.id, p.id - a.first_passage, p.start, p.end,"
            " substr(a.text, p.start + 1, p.end - p.start)"
            f" FROM passages p JOIN articles a ON a.seq = p.article_seq WHERE p.id IN ({marks})"
        )
        with self._lock:
            rows = {row[0]: row for row in self._db.execute(sql, list(ids))}
        return [
            Passage(id=r[0], article_id=r[1], ordinal=r[2], span=Span(r[3], r[4]), text=r[5])
            for r in (rows.get(i) for i in ids)
            if r is not None
        ]

    def titled_texts(self, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        """``(article title, text)`` of passages by id; unknown ids are left out."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        sql = (
            "SELECT p.id, a.title, substr(a.text, p.start + 1, p.end - p.start)"
            f" FROM passages p JOIN articles a ON a.seq = p.article_seq WHERE p.id IN ({marks})"
        )
        with self._lock:
            return {int(r[0]): (r[1], r[2]) for r in self._db.execute(sql, list(ids))}

    def signatures(self, ids: Sequence[int]) -> dict[int, bytes]:
        """Stored copy signatures of passages by id; passages stored without one are left out."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        sql = f"SELECT passage_id, signature FROM passage_signatures WHERE passage_id IN ({marks})"
        with self._lock:
            return {int(r[0]): bytes(r[1]) for r in self._db.execute(sql, list(ids))}

    def articles(self, ids: Sequence[str]) -> dict[str, ArticleInfo]:
        """Fetch article metadata by id (of live articles only)."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        sql = f"SELECT {INFO_COLUMNS} FROM articles WHERE id IN ({marks}) AND {LIVE}"
        with self._lock:
            rows = self._db.execute(sql, list(ids)).fetchall()
        return {info.id: info for info in map(article_info, rows)}

    def latest(self, n: int, offset: int = 0) -> list[ArticleInfo]:
        """Newest first by date; undated articles last, newest ingested first among equals."""
        sql = (
            f"SELECT {INFO_COLUMNS} FROM articles WHERE {LIVE}"
            " ORDER BY date IS NULL, date DESC, seq DESC LIMIT ? OFFSET ?"
        )
        with self._lock:
            return [article_info(row) for row in self._db.execute(sql, (n, offset))]

    def passage_counts(self) -> list[int]:
        """Passage count of every article, in ingestion (and so passage id) order."""
        with self._lock:
            rows = self._db.execute("SELECT passages FROM articles ORDER BY seq").fetchall()
        return [r[0] for r in rows]

    def passage_counts_from(self, start: int) -> list[int]:
        """Passage counts of the articles whose passages begin at id ``start``, in id order.

        One statement, so one consistent view: every batch it sees is whole. StoreError if
        ``start`` falls inside an article, which means an index does not belong to this store.
        """
        with self._lock:
            return self._counts_from(start)

    def _counts_from(self, start: int) -> list[int]:
        rows = self._db.execute(
            "SELECT first_passage, passages FROM articles WHERE seq >="
            " (SELECT article_seq FROM passages WHERE id = ?) ORDER BY seq",
            (start,),
        ).fetchall()
        expected = start
        for first, count in rows:
            if first != expected:
                raise StoreError(
                    f"passage {expected} of {self.path} is not where an article starts"
                )
            expected += count
        return [count for _, count in rows]

    def article_dates_from(self, start: int, count: int) -> list[datetime | None]:
        """Dates of the ``count`` articles whose passages begin at id ``start``, in id order.

        Read beside :meth:`passage_counts_from` (same articles, same order) so the index knows
        each passage's date: articles are only ever appended, so the first ``count`` rows are
        the ones those counts described.
        """
        if count <= 0:
            return []
        with self._lock:
            rows = self._db.execute(
                "SELECT date FROM articles WHERE seq >="
                " (SELECT article_seq FROM passages WHERE id = ?) ORDER BY seq LIMIT ?",
                (start, count),
            ).fetchall()
        return [datetime.fromisoformat(str(date)) if date else None for (date,) in rows]

    def titles_from(self, start: int) -> list[str]:
        """Titles of the articles whose passages begin at id ``start`` or later, in id order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT title FROM articles WHERE first_passage >= ? ORDER BY seq", (start,)
            ).fetchall()
        return [str(row[0]) for row in rows]

    def article_key_of(self, passage_id: int) -> str | None:
        """The dedup key the article holding passage ``passage_id`` was stored under, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT coalesce(r.key, a.key) FROM passages p"
                " JOIN articles a ON a.seq = p.article_seq LEFT JOIN removed r ON r.seq = a.seq"
                " WHERE p.id = ?",
                (passage_id,),
            ).fetchone()
        return None if row is None else str(row[0])

    def passage_texts(
        self, start: int = 0, stop: int | None = None, batch: int = 2000
    ) -> Iterator[tuple[int, str, str]]:
        """Yield ``(passage id, article title, text)`` for ids ``start`` to ``stop``, in order."""
        end = (1 << 62) if stop is None else stop
        while True:
            with self._lock:
                rows = self._db.execute(
                    "SELECT p.id, a.title, substr(a.text, p.start + 1, p.end - p.start)"
                    " FROM passages p"
                    " JOIN articles a ON a.seq = p.article_seq WHERE p.id >= ? AND p.id < ?"
                    " ORDER BY p.id LIMIT ?",
                    (start, end, batch),
                ).fetchall()
            if not rows:
                return
            yield from rows
            start = rows[-1][0] + 1
