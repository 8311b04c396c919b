"""A failing source's back-off is kept in the store, so a restart does not poll it at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from feed_server import FeedServer, feed_server
from live_harness import PROXY_VARIABLES, Clock

from bot.live import first_delay
from bot.settings import Source
from bot.subcommands import poll_sources
from retrieval import Engine
from retrieval.source_health import MIN_RETRY
from retrieval.sources import SourceTracker


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FeedServer]:
    """A feed server on loopback whose /broken path always answers 500."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    with feed_server() as httpd:
        yield httpd


def restart(db: Path, clock: Clock | None = None) -> tuple[Engine, SourceTracker]:
    """A fresh engine and tracker on the same store, as a new process would open them."""
    engine = Engine.open(db)
    tracker = SourceTracker(engine, timeout=5.0, **({"clock": clock} if clock else {}))
    return engine, tracker


def test_a_restart_does_not_poll_a_failing_source_before_its_back_off_ends(
    tmp_path: Path, server: FeedServer
) -> None:
    """The start-up poll of a new process skips a source still backing off and says so."""
    db = tmp_path / "s.sqlite3"
    sources = [Source(server.url("/broken"), 30.0), Source(server.url("/good"), 30.0)]
    for run in range(2):
        engine = Engine.open(db)
        try:
            lines = poll_sources(engine, sources)
        finally:
            engine.close()
        if run == 0:
            assert "500" in lines[0]
    assert "failing, so backing off until " in lines[0]
    assert "`briefbot sources` says why" in lines[0]
    assert server.answers.count(500) == 1  # the second start left the broken server alone
    assert server.answers.count(200) + server.answers.count(304) == 2  # the good one: twice


def test_back_off_survives_a_restart_and_ends_on_time(tmp_path: Path, server: FeedServer) -> None:
    """A new tracker on the same store waits what is left of the back-off, then polls."""
    clock = Clock()
    db = tmp_path / "s.sqlite3"
    engine, tracker = restart(db, clock)
    broken = Source(server.url("/broken"), 30.0)
    assert tracker.poll(broken.location, broken.every).error
    tracker.close()
    engine.close()
    clock.now += 10
    engine, tracker = restart(db, clock)
    try:
        assert tracker.wait(broken.location) == pytest.approx(MIN_RETRY - 10)
        # The bot's first scheduled poll honours it too, not one interval after start.
        assert first_delay(tracker, broken) == pytest.approx(MIN_RETRY - 10)
        good = Source(server.url("/good"), 30.0)
        assert first_delay(tracker, good) == 30.0
        clock.now += MIN_RETRY
        assert tracker.wait(broken.location) == 0.0
        assert first_delay(tracker, broken) == 30.0
    finally:
        tracker.close()
        engine.close()
