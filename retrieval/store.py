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
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from retrieval.errors import StoreError
from retrieval.models import Article, ArticleInfo, Passage, Span
from retrieval.sqlite import BUSY_SECONDS, connect, create_tables
from retrieval.store_records import (
    NewArticle,
    Removal,
    Retirement,
    Sorted,
    StoredBatch,
    article_id,
    dedup_key,
    same_text,
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

LIVE = "seq NOT IN (SELECT seq FROM removed)"
"""SQL condition on ``articles``: the article is neither replaced nor removed."""

INFO_COLUMNS = "id, title, date, url, source, passages"
__all__ = ["BUSY_SECONDS", "SCHEMA", "NewArticle", "Store", "StoredBatch"]


def _unchanged(key: str, article: Article, stored: tuple[int, str, str, str]) -> bool:
    """Whether ``article`` is the stored version ``(seq, id, title, text)`` under its ``key``.

    Only a URL names an article whatever its text; a content-hash key is the text itself.
    """
    return not key.startswith("url:") or same_text(article.title, article.text, *stored[2:])


WEB = ("http://", "https://")

REMOVED_BY_OPERATOR = "it was removed from the store on {} (briefbot remove or /remove)"


def _info(row: Sequence[object]) -> ArticleInfo:
    id_, title, date, url, source, passages = row
    return ArticleInfo(
        id=str(id_),
        title=str(title),
        date=datetime.fromisoformat(str(date)) if date else None,
        url=str(url) if url else None,
        source=str(source) if source else None,
        passages=int(str(passages)),
    )


class Store:
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

    def existing_keys(self, keys: Iterable[str]) -> set[str]:
        """Return which of ``keys`` (dedup keys or article ids) are already stored."""
        with self._lock:
            return self._existing_keys(keys)

    def _existing_keys(self, keys: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(keys))
        found: set[str] = set()
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            marks = ",".join("?" * len(part))
            sql = f"SELECT key, id FROM articles WHERE key IN ({marks}) OR id IN ({marks})"
            for key, id_ in self._db.execute(sql, part + part):
                found.update((key, id_))
        return found & set(wanted)

    def _live_by_key(self, keys: Iterable[str]) -> dict[str, tuple[int, str, str, str]]:
        """``key -> (seq, id, title, text)`` of the stored (live) articles with those keys."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, tuple[int, str, str, str]] = {}
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            sql = (
                "SELECT key, seq, id, title, text FROM articles"
                f" WHERE key IN ({','.join('?' * len(part))})"
            )
            for key, seq, id_, title, text in self._db.execute(sql, part):
                found[str(key)] = (int(seq), str(id_), str(title), str(text))
        return found

    def _removed_keys(self, keys: Iterable[str]) -> dict[str, str]:
        """``key -> when`` of ``keys`` an operator removed (a replaced key is not refused)."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, str] = {}
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            sql = (
                "SELECT key, at FROM removed WHERE replaced = 0"
                f" AND key IN ({','.join('?' * len(part))})"
            )
            found.update((str(key), str(at)[:10]) for key, at in self._db.execute(sql, part))
        return found

    def sort(self, articles: Sequence[Article]) -> Sorted:
        """Sort a batch into new or changed articles, ones stored already, and refused ones.

        A stored article with the same canonical URL (dedup key) and a changed title or text is
        an update: it is fresh, and ``add`` replaces the stored version. An article whose key or
        id is stored with the same text, or repeated within ``articles`` after its first copy,
        is stored already. A key an operator removed is refused.
        """
        keyed = [(a, dedup_key(a)) for a in articles]
        keys = [key for _, key in keyed]
        with self._lock:
            live = self._live_by_key(keys)
            known = self._existing_keys(keys + [a.id for a in articles if a.id])
            refusals = self._removed_keys(key for key in keys if key not in live)
        result = Sorted([], [], [])
        seen: set[str] = set()
        for article, key in keyed:
            id_ = article_id(article, key)
            old = live.get(key)
            if key in seen or id_ in seen:
                result.stored.append((article, old[1] if old else id_))
                continue
            seen.update((key, id_))
            if old is not None:
                if _unchanged(key, article, old):
                    result.stored.append((article, old[1]))
                else:
                    result.fresh.append((article, key, id_))
            elif id_ in known:
                result.stored.append((article, id_))
            elif key in refusals:
                result.refused.append((article, REMOVED_BY_OPERATOR.format(refusals[key])))
            else:
                result.fresh.append((article, key, id_))
        return result

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
                        if _unchanged(item.key, a, old):
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
        return [_info(unique[seq][1:]) for seq in sorted(unique)]

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
        successor = None if now is None else _info(now[:-1])
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
        return {info.id: info for info in map(_info, rows)}

    def latest(self, n: int, offset: int = 0) -> list[ArticleInfo]:
        """Newest first by date; undated articles last, newest ingested first among equals."""
        sql = (
            f"SELECT {INFO_COLUMNS} FROM articles WHERE {LIVE}"
            " ORDER BY date IS NULL, date DESC, seq DESC LIMIT ? OFFSET ?"
        )
        with self._lock:
            return [_info(row) for row in self._db.execute(sql, (n, offset))]

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
