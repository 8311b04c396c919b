"""What Briefbot remembers about each live source, in the same SQLite file as the articles.

Kept apart from ``Store``: the store owns articles and passages, this owns polling state
(validators for conditional requests, counters, the last error, the files a folder held),
and how a folder is stamped, so "unchanged" means the same thing when saved and compared.
It has its own connection, so a poll's bookkeeping never waits on the store's lock, and its
own tables, created if missing, so an older store gains them on first use.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from retrieval.errors import StoreError
from retrieval.loaders.folders import NAME_NOT_UTF8, is_storable_name
from retrieval.loaders.formats import kind_for_name
from retrieval.loaders.limits import storable
from retrieval.models import LoadReport, Skipped
from retrieval.sqlite import connect, create_tables, transaction

SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    location TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    last_poll REAL,
    last_success REAL,
    added_last INTEGER NOT NULL DEFAULT 0,
    added_total INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    next_poll REAL,
    last_skipped TEXT,
    updated_last INTEGER NOT NULL DEFAULT 0,
    updated_total INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS source_files (
    location TEXT NOT NULL,
    path TEXT NOT NULL,
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (location, path)
);
"""

_COLUMNS = (
    "location, etag, last_modified, last_poll, last_success, added_last, added_total, "
    "failures, last_error, next_poll, last_skipped, updated_last, updated_total"
)

FileStamp = tuple[int, int]
"""``(mtime_ns, size)`` of a file: when both are unchanged the file is not read again."""


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """One row of the status table that ``briefbot sources`` and /sources show."""

    location: str
    last_poll: datetime | None
    last_success: datetime | None
    added_last: int
    added_total: int
    failures: int
    last_error: str | None
    next_poll: datetime | None
    last_skipped: str | None = None
    """The last item the latest read skipped, and why (a source can be "ok" and still skip)."""
    updated_last: int = 0
    """Stored articles the latest read replaced with a changed version (same URL)."""
    updated_total: int = 0


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One source's stored state; times are Unix seconds from the tracker's clock."""

    location: str
    etag: str | None = None
    last_modified: str | None = None
    last_poll: float | None = None
    last_success: float | None = None
    added_last: int = 0
    added_total: int = 0
    failures: int = 0
    last_error: str | None = None
    next_poll: float | None = None
    last_skipped: str | None = None
    updated_last: int = 0
    updated_total: int = 0

    def status(self) -> SourceStatus:
        """This row as the status record callers see, with times as UTC datetimes."""
        return SourceStatus(
            location=self.location,
            last_poll=_moment(self.last_poll),
            last_success=_moment(self.last_success),
            added_last=self.added_last,
            added_total=self.added_total,
            failures=self.failures,
            last_error=self.last_error,
            next_poll=_moment(self.next_poll),
            last_skipped=self.last_skipped,
            updated_last=self.updated_last,
            updated_total=self.updated_total,
        )


def _moment(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def stamp(path: Path) -> FileStamp:
    """The ``(mtime_ns, size)`` of ``path``; raises ``OSError`` if it cannot be stat'ed."""
    info = path.stat()
    return info.st_mtime_ns, info.st_size


def scan_folder(root: Path) -> tuple[dict[str, FileStamp], LoadReport]:
    """Stamp every loadable file under ``root``, with the rules of the folder loader.

    Hidden files and folders and unknown suffixes are left out; a folder or file that cannot
    be listed or stat'ed is reported as skipped.
    """
    problems: list[Skipped] = []

    def unreadable(error: OSError) -> None:
        name = str(error.filename or root)
        problems.append(Skipped(name, "", f"cannot read folder: {error.strerror or error}"))

    found: dict[str, FileStamp] = {}
    for folder, subfolders, files in os.walk(root, onerror=unreadable):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        for name in files:
            if name.startswith(".") or kind_for_name(name) is None:
                continue
            path = Path(folder, name)
            if not is_storable_name(path):
                problems.append(Skipped(storable(str(path)), "", NAME_NOT_UTF8))
                continue
            try:
                found[str(path)] = stamp(path)
            except OSError as error:
                problems.append(Skipped(str(path), "", f"cannot read the file: {error.strerror}"))
    return found, LoadReport(skipped=tuple(problems))


def _migrate(db: sqlite3.Connection) -> None:
    """Give a ``sources`` table from before skips were shown its ``last_skipped`` column, and
    one from before updates were kept its ``updated_*`` counts."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(sources)")}
    if not columns:
        return
    if "last_skipped" not in columns:
        db.execute("ALTER TABLE sources ADD COLUMN last_skipped TEXT")
    for name in ("updated_last", "updated_total"):
        if name not in columns:
            db.execute(f"ALTER TABLE sources ADD COLUMN {name} INTEGER NOT NULL DEFAULT 0")


class SourceState:
    """The ``sources`` and ``source_files`` tables behind a lock, safe across threads."""

    def __init__(self, path: str, *, readonly: bool = False) -> None:
        self.path = path
        self._readonly = readonly
        try:
            self._db = connect(path, readonly=readonly)
            if not readonly:
                create_tables(self._db, SCHEMA, _migrate)
        except (sqlite3.Error, OSError) as error:
            raise StoreError(f"cannot open the source state at {path}: {error}") from None
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the connection; the state is unusable afterwards."""
        with self._lock:
            self._db.close()

    def row(self, location: str) -> SourceRow:
        """The stored state of ``location``, or a fresh row if it was never polled."""
        with self._lock:
            found = self._db.execute(
                f"SELECT {_COLUMNS} FROM sources WHERE location = ?", (location,)
            ).fetchone()
        return SourceRow(*found) if found else SourceRow(location)

    def rows(self) -> list[SourceRow]:
        """Every known source, in the order they were first polled (none in a read-only open
        of a store that never polled one: its tables are made by the first writer)."""
        with self._lock:
            if self._readonly and not self._has_tables():
                return []
            found = self._db.execute(f"SELECT {_COLUMNS} FROM sources ORDER BY rowid").fetchall()
        return [SourceRow(*values) for values in found]

    def _has_tables(self) -> bool:
        """Whether the ``sources`` table exists (a writer's open always makes it)."""
        query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sources'"
        return self._db.execute(query).fetchone() is not None

    def save(self, row: SourceRow) -> None:
        """Insert or replace one source's state."""
        values = (
            row.location, row.etag, row.last_modified, row.last_poll, row.last_success,
            row.added_last, row.added_total, row.failures, row.last_error, row.next_poll,
            row.last_skipped, row.updated_last, row.updated_total,
        )  # fmt: skip
        with self._lock, self._write():
            # UPSERT keeps the rowid, so status() keeps first-poll order.
            self._db.execute(
                f"INSERT INTO sources ({_COLUMNS}) VALUES ({', '.join('?' * len(values))}) "
                "ON CONFLICT (location) DO UPDATE SET etag = excluded.etag, "
                "last_modified = excluded.last_modified, last_poll = excluded.last_poll, "
                "last_success = excluded.last_success, added_last = excluded.added_last, "
                "added_total = excluded.added_total, failures = excluded.failures, "
                "last_error = excluded.last_error, next_poll = excluded.next_poll, "
                "last_skipped = excluded.last_skipped, updated_last = excluded.updated_last, "
                "updated_total = excluded.updated_total",
                values,
            )

    def files(self, location: str) -> dict[str, FileStamp]:
        """The files ``location`` held at its last scan, with their stamps."""
        with self._lock:
            found = self._db.execute(
                "SELECT path, mtime_ns, size FROM source_files WHERE location = ?", (location,)
            ).fetchall()
        return {str(path): (int(mtime), int(size)) for path, mtime, size in found}

    def update_files(self, location: str, seen: dict[str, FileStamp], gone: list[str]) -> None:
        """Record the stamps of files just read and forget files that disappeared."""
        with self._lock, self._write():
            self._db.executemany(
                "INSERT OR REPLACE INTO source_files VALUES (?, ?, ?, ?)",
                [(location, path, mtime, size) for path, (mtime, size) in seen.items()],
            )
            self._db.executemany(
                "DELETE FROM source_files WHERE location = ? AND path = ?",
                [(location, path) for path in gone],
            )

    def forget(self, location: str) -> None:
        """Drop everything known about ``location``; its articles stay stored."""
        with self._lock, self._write():
            self._db.execute("DELETE FROM sources WHERE location = ?", (location,))
            self._db.execute("DELETE FROM source_files WHERE location = ?", (location,))

    @contextmanager
    def _write(self) -> Iterator[None]:
        """One immediate transaction, rolled back on any error; SQLite errors become StoreError."""
        try:
            with transaction(self._db):
                yield
        except sqlite3.Error as error:
            raise StoreError(f"cannot write the source state at {self.path}: {error}") from None


def saved_rows(path: str) -> list[SourceRow]:
    """Every source's stored state, read without writing anything (not even the tables).

    For checks that must leave the store as they found it (``briefbot health``): a store no
    source was ever polled into has no such table yet, and that means no rows.
    """
    uri = f"{Path(path).resolve().as_uri()}?mode=ro"
    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
            db.execute("PRAGMA busy_timeout=10000")
            known = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sources'"
            ).fetchone()
            if known is None:
                return []
            found = db.execute(f"SELECT {_COLUMNS} FROM sources ORDER BY rowid").fetchall()
    except sqlite3.Error as error:
        raise StoreError(f"cannot read the source state at {path}: {error}") from None
    return [SourceRow(*values) for values in found]
