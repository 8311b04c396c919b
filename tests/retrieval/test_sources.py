"""Live sources against a changing feed on 127.0.0.1 and a folder in tmp_path; a fake clock."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from feed_server import MODIFIED, FeedServer, etag_of, feed_server, rss

from retrieval import Engine
from retrieval.errors import SourceError
from retrieval.source_health import MAX_RETRY, backoff, plain_reason
from retrieval.source_state import SourceState
from retrieval.sources import SourceTracker

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY")
TIMEOUT = 0.5
MAX_BYTES = 20_000


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FeedServer]:
    """A feed server on loopback for one test."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    with feed_server() as httpd:
        httpd.slow_seconds = TIMEOUT * 4
        httpd.big_bytes = MAX_BYTES * 2
        httpd.entries = [
            ("Grain corridor reopens", "https://wire.example/grain", "Ships carrying grain left."),
            (
                "Drone strike on depot",
                "https://wire.example/depot",
                "A fuel depot burned overnight.",
            ),
        ]
        yield httpd


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock for poll times and backoff."""
    return FakeClock()


@pytest.fixture
def tracker(clock: FakeClock) -> Iterator[SourceTracker]:
    """A tracker on an in-memory engine with short limits."""
    engine = Engine.open()
    tracker = SourceTracker(engine, timeout=TIMEOUT, max_bytes=MAX_BYTES, clock=clock)
    yield tracker
    tracker.close()
    engine.close()


def _titles(tracker: SourceTracker, query: str) -> list[str]:
    return [hit.article.title for hit in tracker.engine.search(query).hits]


def test_new_entries_are_searchable_right_after_a_poll(
    server: FeedServer, tracker: SourceTracker
) -> None:
    """Each poll ingests the entries the feed gained since the last one."""
    first = tracker.poll(server.url(), every=900)
    assert first.summary is not None
    assert len(first.summary.added) == 2
    assert (first.error, first.not_modified, first.next_delay) == (None, False, 900)
    assert _titles(tracker, "grain ships") == ["Grain corridor reopens"]
    server.entries.append(("Ceasefire talks", "https://wire.example/talks", "Envoys met."))
    second = tracker.poll(server.url(), every=900)
    assert second.summary is not None
    assert [a.title for a in second.summary.added] == ["Ceasefire talks"]
    assert second.summary.duplicates == 2
    assert _titles(tracker, "envoys") == ["Ceasefire talks"]
    assert tracker.status()[0].added_total == 3


def test_unchanged_feed_costs_one_304(server: FeedServer, tracker: SourceTracker) -> None:
    """The second poll sends the ETag, gets a 304 and ingests nothing."""
    tracker.poll(server.url(), every=60)
    before = tracker.engine.count_articles()
    again = tracker.poll(server.url(), every=60)
    assert (again.not_modified, again.summary, again.error) == (True, None, None)
    assert server.answers == [200, 304]
    assert server.requests[1]["If-None-Match"] == etag_of(rss(server.entries))
    assert server.requests[1]["If-Modified-Since"] == MODIFIED
    assert "If-None-Match" not in server.requests[0]
    assert tracker.engine.count_articles() == before == 2
    assert tracker.status()[0].added_last == 0


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("500", "the server answered HTTP 500 Internal Server Error"),
        ("slow", f"timed out after {TIMEOUT:g} s"),
        ("html", "not an RSS or Atom feed (looks like HTML)"),
        ("big", f"over the {MAX_BYTES:,} limit"),
        ("malformed", "not an RSS or Atom feed (XML error:"),
    ],
    ids=["server-error", "timeout", "html-page", "oversized", "malformed-xml"],
)
def test_failure_is_recorded_with_reason_and_nothing_is_lost(
    server: FeedServer, tracker: SourceTracker, clock: FakeClock, mode: str, reason: str
) -> None:
    """A failing poll records a plain reason and a backoff; stored articles stay searchable."""
    tracker.poll(server.url(), every=30)
    server.mode = mode
    clock.now += 30
    result = tracker.poll(server.url(), every=30)
    assert result.summary is None
    assert not result.not_modified
    assert result.error is not None
    assert reason in result.error
    assert not result.error.startswith(server.url())
    assert result.next_delay == 60  # never retried sooner than a minute
    (row,) = tracker.status()
    assert (row.failures, row.last_error, row.added_last) == (1, result.error, 0)
    assert row.last_poll == datetime.fromtimestamp(clock.now, UTC)
    assert row.last_success == datetime.fromtimestamp(clock.now - 30, UTC)
    assert row.next_poll == datetime.fromtimestamp(clock.now + 60, UTC)
    assert tracker.engine.count_articles() == 2
    assert _titles(tracker, "fuel depot") == ["Drone strike on depot"]


def test_failures_back_off_and_a_success_resets(
    server: FeedServer, tracker: SourceTracker, clock: FakeClock
) -> None:
    """Consecutive failures double the delay; the next success goes back to the interval."""
    server.mode = "500"
    delays = []
    for _ in range(4):
        delays.append(tracker.poll(server.url(), every=120).next_delay)
        clock.now += delays[-1]
    assert delays == [120, 240, 480, 960]
    assert tracker.status()[0].failures == 4
    server.mode = "ok"
    healed = tracker.poll(server.url(), every=120)
    assert (healed.error, healed.next_delay) == (None, 120)
    (row,) = tracker.status()
    assert (row.failures, row.last_error, row.added_total) == (0, None, 2)


@pytest.mark.parametrize(
    ("every", "failures", "delay"),
    [
        (900, 0, 900),
        (0, 0, 0),
        (0, 1, 60),
        (10, 3, 240),
        (900, 2, 1800),
        (900, 30, MAX_RETRY),
        (86400, 1, MAX_RETRY),
    ],
    ids=["healthy", "start-only", "start-only-failed", "short-interval", "doubles", "cap", "long"],
)
def test_backoff_schedule(every: float, failures: int, delay: float) -> None:
    """min(max(every, 60) * 2**(n-1), 6 h) after n failures, else the interval itself."""
    assert backoff(every, failures) == delay


def test_a_failing_source_does_not_stop_another(server: FeedServer, tracker: SourceTracker) -> None:
    """A broken source is recorded and the next source still polls and ingests."""
    server.mode = "500"
    bad = tracker.poll(server.url("/broken"), every=60)
    good = tracker.poll(server.url("/good"), every=60)
    assert bad.error is not None
    assert good.error is None
    assert good.summary is not None
    assert len(good.summary.added) == 2
    rows = {row.location: row for row in tracker.status()}
    assert rows[server.url("/broken")].failures == 1
    assert rows[server.url("/good")].last_error is None


def test_republished_entry_with_tracking_parameters_adds_nothing(
    server: FeedServer, tracker: SourceTracker
) -> None:
    """The same link with ?utm_source=x is a duplicate, not a new article."""
    tracker.poll(server.url())
    title, link, text = server.entries[0]
    server.entries[0] = (title, link + "?utm_source=x", text)
    result = tracker.poll(server.url())
    assert result.summary is not None
    assert (result.summary.added, result.summary.duplicates) == ((), 2)
    assert tracker.engine.count_articles() == 2


def test_republished_entry_with_a_corrected_title_updates_the_stored_one(
    server: FeedServer, tracker: SourceTracker
) -> None:
    """The same link with another title replaces the stored article: counted as updated,
    shown in the source's status, and the number of articles stays the same."""
    tracker.poll(server.url())
    title, link, text = server.entries[0]
    server.entries[0] = (title + " (corrected)", link + "?utm_source=x", text)
    result = tracker.poll(server.url())
    assert result.summary is not None
    assert [info.title for info in result.summary.updated] == [title + " (corrected)"]
    assert (result.summary.added, result.summary.duplicates) == ((), 1)
    assert tracker.engine.count_articles() == 2
    (status,) = tracker.status()
    assert (status.updated_last, status.updated_total) == (1, 1)


def test_same_article_from_a_file_and_a_feed_is_stored_once(
    server: FeedServer, tracker: SourceTracker, tmp_path: Path
) -> None:
    """An entry already ingested from a saved feed file is a duplicate when the feed serves it."""
    (tmp_path / "saved.xml").write_bytes(rss(server.entries[:1]))
    from_file = tracker.poll(str(tmp_path))
    assert from_file.summary is not None
    assert len(from_file.summary.added) == 1
    from_feed = tracker.poll(server.url())
    assert from_feed.summary is not None
    assert (len(from_feed.summary.added), from_feed.summary.duplicates) == (1, 1)


def _write(path: Path, title: str, body: str) -> None:
    path.write_text(f"{title}\n\n{body}\n", encoding="utf-8")


def test_folder_picks_up_new_and_changed_files_only(tracker: SourceTracker, tmp_path: Path) -> None:
    """New and changed files are read; an unchanged (mtime_ns, size) file is not read again."""
    folder = tmp_path / "briefs"
    folder.mkdir()
    _write(folder / "a.txt", "Harbour closed", "The harbour closed after shelling.")
    _write(folder / "b.txt", "Bridge repaired", "Engineers repaired the bridge.")
    (folder / ".hidden.txt").write_text("Secret\n\nNever loaded.", encoding="utf-8")
    first = tracker.poll(str(folder), every=300)
    assert first.summary is not None
    assert len(first.summary.added) == 2
    assert tracker.poll(str(folder), every=300).not_modified
    # Same size and restored mtime: the tracker must not notice, proving it does not re-read.
    stamp = (folder / "a.txt").stat()
    _write(folder / "a.txt", "Harbour opened", "The harbour opened after shelling.")
    os.utime(folder / "a.txt", ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    _write(folder / "b.txt", "Bridge repaired again", "Engineers repaired the bridge twice.")
    _write(folder / "c.txt", "Power restored", "Power came back to the city.")
    third = tracker.poll(str(folder), every=300)
    assert third.summary is not None
    assert sorted(a.title for a in third.summary.added) == [
        "Bridge repaired again",
        "Power restored",
    ]
    assert _titles(tracker, "harbour opened") == ["Harbour closed"]
    assert _titles(tracker, "secret") == []
    assert tracker.status()[0].added_total == 4


def test_single_file_source_is_read_once_until_it_changes(
    tracker: SourceTracker, tmp_path: Path
) -> None:
    """A file source is skipped while unchanged and re-read when it changes."""
    path = tmp_path / "note.md"
    _write(path, "Convoy arrives", "Aid convoy arrived.")
    assert tracker.poll(str(path)).summary is not None
    assert tracker.poll(str(path)).not_modified
    _write(path, "Convoy leaves", "The aid convoy left at dawn.")
    again = tracker.poll(str(path))
    assert again.summary is not None
    assert len(again.summary.added) == 1


@pytest.mark.parametrize(
    ("name", "reason"),
    [("missing", "no such file or folder"), ("notes.pdf", "unsupported file type")],
    ids=["missing", "unknown-type"],
)
def test_unreadable_path_is_recorded(
    tracker: SourceTracker, tmp_path: Path, name: str, reason: str
) -> None:
    """A missing or unsupported path is a recorded failure, not an exception."""
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4")
    result = tracker.poll(str(tmp_path / name))
    assert result.error is not None
    assert result.error.startswith(reason)
    assert tracker.status()[0].failures == 1


def test_state_survives_reopening(server: FeedServer, clock: FakeClock, tmp_path: Path) -> None:
    """Counters and validators are kept in the store's file: a restart polls with the ETag."""
    db = tmp_path / "store.sqlite3"
    engine = Engine.open(db)
    tracker = SourceTracker(engine, timeout=TIMEOUT, clock=clock)
    tracker.poll(server.url(), every=600)
    tracker.close()
    engine.close()
    engine = Engine.open(db)
    tracker = SourceTracker(engine, timeout=TIMEOUT, clock=clock)
    try:
        (row,) = tracker.status()
        assert (row.location, row.added_total, row.failures) == (server.url(), 2, 0)
        assert row.next_poll == datetime.fromtimestamp(clock.now + 600, UTC)
        assert tracker.poll(server.url(), every=600).not_modified
        assert server.answers == [200, 304]
        assert engine.count_articles() == 2
    finally:
        tracker.close()
        engine.close()


def test_forget_drops_state_but_keeps_articles(server: FeedServer, tracker: SourceTracker) -> None:
    """Forgetting a source empties its status row; what it added stays searchable."""
    tracker.poll(server.url())
    tracker.forget(server.url())
    assert tracker.status() == []
    assert _titles(tracker, "grain") == ["Grain corridor reopens"]
    assert tracker.poll(server.url()).summary is not None  # no ETag left: a full request
    assert server.answers == [200, 200]


@pytest.mark.parametrize(
    ("location", "error", "reason"),
    [
        ("http://x/f", SourceError("http://x/f: timed out after 20 s"), "timed out after 20 s"),
        ("http://x/f", SourceError("http://x/f is not an RSS"), "not an RSS"),
        ("briefs/a", SourceError("cannot read briefs/a: denied"), "cannot read briefs/a: denied"),
        ("briefs/a", PermissionError(13, "Permission denied"), "cannot read it: Permission denied"),
    ],
    ids=["colon", "is", "other-message", "os-error"],
)
def test_plain_reason(location: str, error: BaseException, reason: str) -> None:
    """The location is dropped from the front of a message; OS errors read as plain words."""
    assert plain_reason(location, error) == reason


def test_concurrent_polls_of_one_source_take_turns(
    server: FeedServer, tracker: SourceTracker
) -> None:
    """Two polls of the same feed at once run one after the other: one fetch, one 304."""
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(tracker.poll(server.url(), every=60)))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert server.answers == [200, 304]
    assert sorted(result.not_modified for result in results) == [False, True]
    assert tracker.status()[0].added_total == 2


BAD_DATE_ITEM = (
    "<item><title>Far future</title><link>https://wire.example/future</link>"
    "<description>Dated past year 9999 in UTC.</description>"
    "<pubDate>Fri, 31 Dec 9999 23:00:00 -0500</pubDate></item>"
)


def test_feed_with_one_bad_entry_stores_the_rest_and_shows_the_skip(
    server: FeedServer, tracker: SourceTracker
) -> None:
    """A bad entry is skipped with its reason; the feed's other entries, then and later, load."""
    server.raw_items = BAD_DATE_ITEM
    first = tracker.poll(server.url(), every=900)
    assert first.error is None
    assert first.summary is not None
    assert len(first.summary.added) == 2
    (status,) = tracker.status()
    assert status.last_error is None
    assert status.last_skipped == (
        "entry 1: published date 'Fri, 31 Dec 9999 23:00:00 -0500' is out of range"
    )
    server.entries.append(("Ceasefire talks", "https://wire.example/talks", "Envoys met."))
    second = tracker.poll(server.url(), every=900)
    assert second.summary is not None
    assert [a.title for a in second.summary.added] == ["Ceasefire talks"]
    assert tracker.status()[0].last_skipped is not None  # the bad entry is still there
    server.raw_items = ""
    server.entries.append(("Talks end", "https://wire.example/end", "Envoys left."))
    tracker.poll(server.url(), every=900)
    assert tracker.status()[0].last_skipped is None


def test_folder_with_poisoned_files_loads_the_good_ones(
    tracker: SourceTracker, tmp_path: Path
) -> None:
    """Bad dates, deep JSON, surrogates, a pipe and a device in a folder: the good file loads."""
    folder = tmp_path / "drop"
    folder.mkdir()
    _write(folder / "good.txt", "Harbour closed", "The harbour closed after shelling.")
    (folder / "dates.txt").write_text("---\ndate: 9999-12-31T23:00:00-05:00\n---\nT\n\nBody.\n")
    (folder / "deep.jsonl").write_text('{"title": "t", "text": ' + "[" * 5000 + "]" * 5000 + "}")
    (folder / "odd.jsonl").write_text('{"title": "Odd \\ud800 grain", "text": "Grain \\u0000 x."}')
    os.mkfifo(folder / "pipe.xml")
    (folder / "zero.md").symlink_to("/dev/zero")
    result = tracker.poll(str(folder), every=300)
    assert result.error is None
    assert result.summary is not None
    assert sorted(a.title for a in result.summary.added) == ["Harbour closed", "Odd \ufffd grain"]
    reasons = sorted(s.reason for s in result.summary.skipped)
    assert reasons == [
        "JSON nested too deeply to read",
        "front matter date '9999-12-31T23:00:00-05:00' is out of range",
        "not a regular file (a character device), so it is not read",
        "not a regular file (a named pipe), so it is not read",
    ]
    assert tracker.status()[0].last_skipped is not None


def test_unexpected_loader_error_is_a_recorded_failure(
    server: FeedServer, tracker: SourceTracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A loader bug is logged and recorded as a failed poll, so the status never says ok."""

    def broken(*args: object) -> None:
        raise TypeError("a bug")

    monkeypatch.setattr("retrieval.sources.read_bytes", broken)
    result = tracker.poll(server.url(), every=60)
    assert result.error == "cannot read it: unexpected TypeError (see the log)"
    assert tracker.status()[0].failures == 1


def test_state_made_before_skips_were_shown_gains_the_column(tmp_path: Path) -> None:
    """An older store's sources table gains ``last_skipped`` and keeps its rows."""
    db = tmp_path / "old.sqlite3"
    with sqlite3.connect(db) as connection:
        connection.execute(
            "CREATE TABLE sources (location TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, "
            "last_poll REAL, last_success REAL, added_last INTEGER NOT NULL DEFAULT 0, "
            "added_total INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0, "
            "last_error TEXT, next_poll REAL)"
        )
        connection.execute("INSERT INTO sources (location, added_total) VALUES ('feed', 7)")
    connection.close()
    state = SourceState(str(db))
    try:
        row = state.row("feed")
        assert (row.added_total, row.last_skipped) == (7, None)
        state.save(replace(row, last_skipped="x (entry 1): bad"))
        assert state.row("feed").status().last_skipped == "x (entry 1): bad"
    finally:
        state.close()
