"""Live sources: poll feeds, files and folders on a schedule and ingest only what is new.

The bot decides *when* to poll (its job queue); this module decides *how*: a feed is fetched
with the validators of its last answer, so an unchanged feed costs one 304; a folder is
re-scanned and only files whose ``(mtime_ns, size)`` changed are read. Whatever goes wrong
with a source is recorded with a plain reason and a backoff delay, never raised, so one
broken source cannot stop the others; articles already stored are never touched. The back-off
schedule and the wording of a failure are :mod:`retrieval.source_health`'s.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from retrieval.engine import Engine
from retrieval.errors import SourceError, StoreError
from retrieval.loaders.fetch import fetch
from retrieval.loaders.folders import load_path, read_file
from retrieval.loaders.formats import kind_for_name, kind_for_response, read_bytes
from retrieval.models import IngestSummary, LoadReport, Skipped
from retrieval.source_health import backoff, last_skipped, plain_reason
from retrieval.source_state import (
    FileStamp,
    SourceRow,
    SourceState,
    SourceStatus,
    scan_folder,
    stamp,
)

__all__ = ["PollResult", "SourceStatus", "SourceTracker", "is_url"]

log = logging.getLogger(__name__)

_URL_PREFIXES = ("http://", "https://")


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one poll did; ``summary`` is None when nothing was ingested (304, no change, error).

    ``next_delay`` is the number of seconds until the source should be polled again (0: only
    at the next start).
    """

    location: str
    summary: IngestSummary | None
    not_modified: bool
    error: str | None
    next_delay: float


def is_url(location: str) -> bool:
    """Say whether ``location`` is fetched over HTTP rather than read from disk."""
    return location.strip().lower().startswith(_URL_PREFIXES)


class SourceTracker:
    """Poll sources into an engine and remember, across restarts, how each one is doing."""

    def __init__(
        self,
        engine: Engine,
        *,
        timeout: float = 20.0,
        max_bytes: int = 20_000_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.clock = clock
        # Same file as the articles, own connection; ":memory:" gets a private database.
        self.state = SourceState(engine.store_path)
        # One poll per location at a time (a scheduled poll and an admin's may meet); different
        # locations poll in parallel, so one slow feed never holds up the rest.
        self._polling: dict[str, threading.Lock] = {}
        self._polling_guard = threading.Lock()

    def close(self) -> None:
        """Close the state connection (the engine stays open)."""
        self.state.close()

    def poll(self, location: str, every: float = 0.0) -> PollResult:
        """Fetch or scan ``location`` once, ingest what is new and record how it went.

        Source problems (unreachable, timed out, not a feed, too large, missing) are recorded
        and returned as ``error``; store failures (``StoreError``) still raise, because no
        later poll can fix them.
        """
        with self._polling_guard:
            lock = self._polling.setdefault(location, threading.Lock())
        with lock:
            return self._poll(location, every)

    def _poll(self, location: str, every: float) -> PollResult:
        now = self.clock()
        row = self.state.row(location)
        try:
            summary, validators = self._read(location, row)
        except StoreError:
            raise
        except Exception as error:  # a loader's bug must not leave the source looking "ok"
            if not isinstance(error, SourceError | OSError):
                log.exception("polling %s hit an unexpected error", location)
            reason = plain_reason(location, error)
            failures = row.failures + 1
            delay = backoff(every, failures)
            log.warning("polling %s failed (%d in a row): %s", location, failures, reason)
            self.state.save(
                replace(
                    row, last_poll=now, added_last=0, updated_last=0, failures=failures,
                    last_error=reason, next_poll=now + delay,
                )
            )  # fmt: skip
            return PollResult(location, None, False, reason, delay)
        added = len(summary.added) if summary else 0
        updated = len(summary.updated) if summary else 0
        etag, last_modified = validators
        # Unchanged since the last read: what that read skipped is still skipped.
        skipped = row.last_skipped if summary is None else last_skipped(summary, location)
        self.state.save(
            replace(
                row, etag=etag, last_modified=last_modified, last_poll=now, last_success=now,
                added_last=added, added_total=row.added_total + added, failures=0,
                last_error=None, next_poll=now + every if every > 0 else None,
                last_skipped=skipped, updated_last=updated,
                updated_total=row.updated_total + updated,
            )
        )  # fmt: skip
        return PollResult(location, summary, summary is None, None, every)

    def wait(self, location: str) -> float:
        """Seconds left of a failing source's back-off (0: it may be polled now).

        The back-off (failures, next poll time) is kept in the store, so a restart honours
        it instead of asking a broken server again at once.
        """
        row = self.state.row(location)
        if row.failures <= 0 or row.next_poll is None:
            return 0.0
        return max(row.next_poll - self.clock(), 0.0)

    def status(self) -> list[SourceStatus]:
        """Every source polled so far (or remembered from an earlier run)."""
        return [row.status() for row in self.state.rows()]

    def forget(self, location: str) -> None:
        """Drop the state of a source no longer configured; its articles stay searchable."""
        self.state.forget(location)

    # -- reading ----------------------------------------------------------------------------

    def _read(
        self, location: str, row: SourceRow
    ) -> tuple[IngestSummary | None, tuple[str | None, str | None]]:
        """Ingest what is new at ``location``; None means unchanged. Also returns validators."""
        if is_url(location):
            return self._read_url(location.strip(), row)
        return self._read_path(location), (None, None)

    def _read_url(
        self, url: str, row: SourceRow
    ) -> tuple[IngestSummary | None, tuple[str | None, str | None]]:
        fetched = fetch(
            url,
            timeout=self.timeout,
            max_bytes=self.max_bytes,
            etag=row.etag,
            last_modified=row.last_modified,
        )
        validators = (fetched.etag, fetched.last_modified)
        if fetched.status == 304:
            return None, validators
        kind = kind_for_response(urlsplit(fetched.url).path, fetched.content_type, fetched.body)
        try:
            report = read_bytes(fetched.body, url, kind)
        except ValueError as error:
            raise SourceError(f"{url} is {error}") from None
        # Validators are saved only after this ingest commits, so a failed ingest is retried
        # with a full request instead of being skipped by a 304.
        return self.engine.ingest(report), validators

    def _read_path(self, location: str) -> IngestSummary | None:
        root = Path(location.strip()).expanduser()
        if not root.is_dir():
            if not root.exists():
                raise SourceError(f"{location}: no such file or folder")
            return self._read_file(location, root)
        known = self.state.files(location)
        found, report = scan_folder(root)
        changed = {path: stamp for path, stamp in found.items() if known.get(path) != stamp}
        gone = [path for path in known if path not in found]
        if not changed:
            self.state.update_files(location, {}, gone)
            return None
        read: dict[str, FileStamp] = {}
        for path in sorted(changed):
            part, remember = _read_one(Path(path))
            report += part
            if remember:
                read[path] = changed[path]
        # One batch, one store transaction: the stamps are saved only once it has committed.
        summary = self.engine.ingest(report)
        self.state.update_files(location, read, gone)
        return summary

    def _read_file(self, location: str, path: Path) -> IngestSummary | None:
        current = stamp(path)
        if self.state.files(location).get(str(path)) == current:
            return None
        summary = self.engine.ingest(load_path(path))
        self.state.update_files(location, {str(path): current}, [])
        return summary


def _read_one(path: Path) -> tuple[LoadReport, bool]:
    """Load one file of a folder; say whether to remember its stamp (not if unreadable now)."""
    source = str(path)
    try:
        data = read_file(path)
    except OSError as error:
        reason = f"cannot read the file: {error.strerror or error}"
        return LoadReport(skipped=(Skipped(source, "", reason),)), False
    except ValueError as error:
        # Not a regular file, or too large: reported once, not again until it changes.
        return LoadReport(skipped=(Skipped(source, "", str(error)),)), True
    try:
        return read_bytes(data, source, kind_for_name(path.name) or "text"), True
    except ValueError as error:
        # Unreadable as its type: reported once, not again until the file changes.
        return LoadReport(skipped=(Skipped(source, "", str(error)),)), True
