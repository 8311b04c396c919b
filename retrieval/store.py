"""The embedded SQLite store: articles and their passage spans, kept across restarts.

Passage text is not stored twice: a passage is a span of its article's text. Passage ids are
``0..N-1`` in ingestion order and contiguous per article, which is what lets the index address
passages by row number and the bot step to a neighbouring passage with ``id ± 1``.

Several processes may write one store. The store, not the writer, assigns passage ids: inside
the batch's write transaction (SQLite lets one writer in at a time), so two writers never
collide, and each batch's articles and passages appear at once or not at all. The duplicate
check is repeated inside that transaction: an article another writer stored meanwhile is a
duplicate, not an error.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from retrieval.errors import StoreError
from retrieval.models import Article, ArticleInfo, Passage, Span
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
CREATE TABLE IF NOT EXISTS passage_signatures (
    passage_id INTEGER PRIMARY KEY,
    signature BLOB NOT NULL
);
"""

INFO_COLUMNS = "id, title, date, url, source, passages"

BUSY_SECONDS = 60.0
"""How long a write waits for another process's write transaction (a batch takes well under
a second) before failing with "database is locked"."""


def dedup_key(article: Article) -> str:
    """Identify an article by canonical URL, else by a hash of its normalised content."""
    if article.url:
        return "url:" + canonical_url(article.url)
    content = unicodedata.normalize("NFKC", f"{article.title}\n{article.text}").casefold()
    return "sha256:" + hashlib.sha256(" ".join(content.split()).encode()).hexdigest()


def article_id(article: Article, key: str) -> str:
    """Keep a given id; otherwise derive a short stable one from the dedup key."""
    return article.id or hashlib.sha256(key.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class NewArticle:
    """An article that passed the duplicate check, with its passage spans."""

    article: Article
    key: str
    id: str
    spans: tuple[Span, ...]
    signatures: tuple[bytes, ...] = ()
    """One MinHash signature per passage (``retrieval.copies``), stored with the passages."""


@dataclass(frozen=True, slots=True)
class StoredBatch:
    """What ``Store.add`` stored: the articles it kept, their first passage id, their places."""

    added: tuple[ArticleInfo, ...]
    first_passage: int
    kept: tuple[int, ...]
    """Positions in the batch of the stored articles; the rest were stored meanwhile."""


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

    One connection behind a lock: reads are short, and SQLite serialises writers anyway.
    """

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=BUSY_SECONDS
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
            self._check_schema()
        except (sqlite3.Error, OSError) as error:
            raise StoreError(f"cannot open the store at {self.path}: {error}") from None
        self._lock = threading.Lock()

    def _check_schema(self) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
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

    def unseen(self, articles: Sequence[Article]) -> tuple[list[tuple[Article, str, str]], int]:
        """``(article, dedup key, id)`` of each article not stored yet, and how many were.

        An article repeated within ``articles`` counts as already stored after its first copy.
        """
        keyed = [(a, dedup_key(a)) for a in articles]
        known = self.existing_keys([k for _, k in keyed] + [a.id for a in articles if a.id])
        fresh, duplicates = [], 0
        for article, key in keyed:
            id_ = article_id(article, key)
            if key in known or id_ in known:
                duplicates += 1
                continue
            known.update((key, id_))
            fresh.append((article, key, id_))
        return fresh, duplicates

    def add(self, batch: Sequence[NewArticle]) -> StoredBatch:
        """Store a batch in one transaction: all of it, or (on any error) none of it.

        Articles another writer stored since ``unseen`` looked are left out (see ``kept``);
        the rest get consecutive passage ids from the store's next one.
        """
        added_at = datetime.now(UTC).isoformat()
        infos, kept = [], []
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                next_passage = first_passage = self._next_passage()
                taken = self._existing_keys(
                    [item.key for item in batch] + [item.id for item in batch]
                )
                for position, item in enumerate(batch):
                    if item.key in taken or item.id in taken:
                        continue
                    taken.update((item.key, item.id))
                    a = item.article
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
                    self._db.executemany(
                        "INSERT INTO passage_signatures (passage_id, signature) VALUES (?, ?)",
                        [(next_passage + i, s) for i, s in enumerate(item.signatures)],
                    )
                    next_passage += len(item.spans)
                    kept.append(position)
                    infos.append(ArticleInfo(item.id, a.title, a.date, a.url, a.source,
                                             len(item.spans)))  # fmt: skip
                self._db.execute("COMMIT")
            except BaseException as error:
                self._db.execute("ROLLBACK")
                if isinstance(error, sqlite3.Error):
                    raise StoreError(f"could not store the batch: {error}") from None
                raise
        return StoredBatch(tuple(infos), first_passage, tuple(kept))

    def _count(self, table: str) -> int:
        return int(self._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    def count_articles(self) -> int:
        """How many articles are stored."""
        with self._lock:
            return self._count("articles")

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
        """Fetch article metadata by id."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        sql = f"SELECT {INFO_COLUMNS} FROM articles WHERE id IN ({marks})"
        with self._lock:
            rows = self._db.execute(sql, list(ids)).fetchall()
        return {info.id: info for info in map(_info, rows)}

    def latest(self, n: int, offset: int = 0) -> list[ArticleInfo]:
        """Newest first by date; undated articles last, newest ingested first among equals."""
        sql = (
            f"SELECT {INFO_COLUMNS} FROM articles"
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

    def titles_from(self, start: int) -> list[str]:
        """Titles of the articles whose passages begin at id ``start`` or later, in id order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT title FROM articles WHERE first_passage >= ? ORDER BY seq", (start,)
            ).fetchall()
        return [str(row[0]) for row in rows]

    def article_key_of(self, passage_id: int) -> str | None:
        """The dedup key of the article holding passage ``passage_id``, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT a.key FROM passages p JOIN articles a ON a.seq = p.article_seq"
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
