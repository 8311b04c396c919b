"""Scheduled polls, /ingest and /sources against a changing feed served on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from bot_harness import Bot, start_bot
from feed_server import FeedServer, feed_server
from html_check import html_problems
from live_harness import PROXY_VARIABLES, Clock, live, live_bot, wait_until
from telegram_fakes import FakeBotApi, Updates
from writers import marker, numbered

from bot.app import post_init
from bot.live import catch_up, poll_source, send_alerts
from bot.settings import Settings, Source
from retrieval.engine import Engine

ADMIN = 900
FIRST = [
    ("Grain corridor reopens", "https://wire.example/grain", "Ships carrying grain left Odesa."),
    ("Drone strike on depot", "https://wire.example/depot", "A fuel depot burned overnight."),
]
LATER = ("Harbour cranes repaired", "https://wire.example/cranes", "Dockers fixed the cranes.")


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FeedServer]:
    """A feed with two entries on loopback (proxy variables cleared so urllib goes direct)."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    with feed_server() as httpd:
        httpd.entries = list(FIRST)
        yield httpd


@pytest.fixture
def feed_settings(settings: Settings, server: FeedServer) -> Settings:
    """The feed polled every minute, plus a source that always fails."""
    return replace(
        settings,
        sources=(Source(server.url("/feed"), 60.0), Source(server.url("/broken"), 60.0)),
    )


@pytest.fixture
async def polling(feed_settings: Settings, engine: Engine, api: FakeBotApi) -> AsyncIterator[Bot]:
    """A bot with live services for the feed settings."""
    async with live_bot(feed_settings, engine, api, Clock()) as bot:
        yield bot


def titles(engine: Engine, query: str) -> set[str]:
    """Titles of the articles a search finds."""
    return {hit.article.title for hit in engine.search(query, 10).hits}


async def test_polls_make_new_entries_searchable_and_304_costs_nothing(
    polling: Bot, engine: Engine, server: FeedServer, feed_settings: Settings
) -> None:
    """Entries become searchable as they appear; an unchanged feed answers 304 and adds nothing."""
    feed = feed_settings.sources[0]
    assert await poll_source(polling.app, feed) == 60.0
    assert "Grain corridor reopens" in titles(engine, "grain corridor")
    server.entries.append(LATER)
    await poll_source(polling.app, feed)
    assert "Harbour cranes repaired" in titles(engine, "harbour cranes")
    count = engine.count_articles()
    await poll_source(polling.app, feed)
    assert engine.count_articles() == count
    assert server.answers == [200, 200, 304]


async def test_scheduled_poll_alerts_a_watching_chat_once(
    polling: Bot, engine: Engine, server: FeedServer, feed_settings: Settings, updates: Updates
) -> None:
    """A watch fires for a briefing that arrived by a poll, and not again on the next poll."""
    await polling.send(updates.message("/watch grain Odesa"))
    feed = feed_settings.sources[0]
    await poll_source(polling.app, feed)
    await send_alerts(polling.app, 501)
    server.entries.append(LATER)
    await poll_source(polling.app, feed)
    await send_alerts(polling.app, 501)
    alerts = [t for t in polling.texts() if t.startswith("<b>1 new briefing")]
    assert len(alerts) == 1
    assert "Grain corridor reopens" in alerts[0]
    assert html_problems(alerts[0]) == []


async def test_failing_source_is_reported_and_others_continue(
    polling: Bot, engine: Engine, feed_settings: Settings, updates: Updates
) -> None:
    """/sources shows the broken source's reason and the good source's additions."""
    feed, broken = feed_settings.sources
    assert await poll_source(polling.app, broken) >= 60.0
    await poll_source(polling.app, feed)
    assert "Drone strike on depot" in titles(engine, "fuel depot")
    await polling.send(updates.message("/sources", user_id=ADMIN))
    text = polling.texts()[-1]
    assert html_problems(text) == []
    good, bad = text.split("\n\n")[1:]
    assert "added 2 (total 2)" in good
    assert "ok" in good
    assert "500" in bad
    assert "(1 failed poll in a row)" in bad


async def test_ingest_command_reports_then_alerts(
    polling: Bot, engine: Engine, server: FeedServer, updates: Updates
) -> None:
    """An admin's /ingest reports the counts, and a watching chat gets the new briefing."""
    await polling.send(updates.message("/watch depot"))
    await polling.send(updates.message(f"/ingest {server.url('/feed?x=1')}", user_id=ADMIN))
    report = polling.texts()[-1]
    assert html_problems(report) == []
    assert "added 2 briefings" in report
    assert "0 already stored" in report
    await polling.send(updates.message(f"/ingest {server.url('/feed?x=1')}", user_id=ADMIN))
    assert "added 0 briefings" in polling.texts()[-1]
    assert "2 already stored" in polling.texts()[-1]
    assert await send_alerts(polling.app, 501) is None
    assert "Drone strike on depot" in polling.texts()[-1]


@pytest.mark.parametrize(
    "argument",
    ["", "seeds/", "file:///etc/passwd", "http://a b"],
    ids=["none", "path", "file", "two"],
)
async def test_ingest_accepts_only_one_web_address(
    polling: Bot, updates: Updates, argument: str
) -> None:
    """Paths and other schemes are refused with the usage line: Telegram never reads our disk."""
    await polling.send(updates.message(f"/ingest {argument}".strip(), user_id=ADMIN))
    assert polling.texts()[-1].startswith("Usage: /ingest")


async def test_ingest_reports_a_failure_in_plain_words(
    polling: Bot, server: FeedServer, updates: Updates
) -> None:
    """A server error is explained, not raised."""
    await polling.send(updates.message(f"/ingest {server.url('/broken')}", user_id=ADMIN))
    text = polling.texts()[-1]
    assert text.startswith("Could not ingest")
    assert "500" in text


async def test_poll_jobs_repeat_on_the_running_queue_despite_a_broken_source(
    feed_settings: Settings, engine: Engine, api: FakeBotApi, server: FeedServer
) -> None:
    """Short intervals: the good feed is polled again and again, the broken one backs off."""
    quick = replace(
        feed_settings, sources=tuple(replace(s, every=0.2) for s in feed_settings.sources)
    )
    async with live_bot(quick, engine, api, Clock()) as bot:
        await post_init(bot.app)  # as run_polling does: schedule, then start the queue
        await bot.app.start()
        try:
            await asyncio.to_thread(wait_until, lambda: server.answers.count(304) >= 2, 10.0)
        finally:
            await bot.app.stop()
        statuses = {s.location: s for s in live(bot).tracker.status()}
    assert server.answers.count(304) >= 2
    assert server.answers.count(500) == 1  # backed off for at least a minute
    assert statuses[quick.sources[1].location].failures == 1


async def test_feed_with_a_bad_entry_keeps_polling_and_sources_shows_the_skip(
    polling: Bot, engine: Engine, feed_settings: Settings, server: FeedServer, updates: Updates
) -> None:
    """A feed carrying an entry dated past year 9999 ingests its other entries on every poll,
    and /sources says ok plus the skipped entry and why."""
    feed, _ = feed_settings.sources
    server.raw_items = (
        "<item><title>Far <b>future</b></title><description>x</description>"
        "<pubDate>Fri, 31 Dec 9999 23:00:00 -0500</pubDate></item>"
    )
    await poll_source(polling.app, feed)
    assert "Drone strike on depot" in titles(engine, "fuel depot")
    server.entries.append(LATER)
    await poll_source(polling.app, feed)
    assert LATER[0] in titles(engine, "cranes")
    await polling.send(updates.message("/sources", user_id=ADMIN))
    text = polling.texts()[-1]
    assert html_problems(text) == []
    good = text.split("\n\n")[1]
    assert good.endswith(
        "\nok\nskipped entry 1: published date 'Fri, 31 Dec 9999 23:00:00 -0500' is out of range"
    )


async def test_the_bot_indexes_what_another_process_stored(
    settings: Settings, api: FakeBotApi, updates: Updates, tmp_path: Path
) -> None:
    """`briefbot ingest` beside the running bot: /stats shows the passages not searchable yet;
    after the next catch-up they are found, alerted on, and /stats is clear again."""
    db = tmp_path / "b.sqlite3"
    engine = Engine.open(db)
    engine.ingest(numbered("r", 1))
    async for bot in start_bot(settings, engine, api):
        await post_init(bot.app)
        assert bot.app.job_queue is not None
        assert bot.app.job_queue.get_jobs_by_name("catch up with the store")
        await bot.send(updates.message(f"/watch {marker('o', 2)}", chat_id=77, user_id=77))
        other = Engine.open(db)
        other.ingest(numbered("o", 3))
        other.close()
        await bot.send(updates.message("/stats", user_id=900))
        assert "Not searchable yet: 3 stored passages" in bot.texts()[-1]
        assert bot.services.watches.alerts.chats_with_pending() == []
        assert await catch_up(bot.app) == 3
        assert await catch_up(bot.app) == 0
        assert bot.services.watches.alerts.chats_with_pending() == [77]
        await bot.send(updates.message(marker("o", 1)))
        assert f"Briefing {marker('o', 1)}" in bot.texts()[-1]
        await bot.send(updates.message("/stats", user_id=900))
        assert "Not searchable" not in bot.texts()[-1]
    engine.close()


async def test_a_poll_that_adds_one_briefing_logs_it_in_the_singular(
    polling: Bot, server: FeedServer, feed_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """The poll log line says "added 1 briefing", not "added 1 briefings"."""
    server.entries = [FIRST[0]]
    with caplog.at_level(logging.INFO, logger="bot.live"):
        await poll_source(polling.app, feed_settings.sources[0])
    assert f"{feed_settings.sources[0].location}: added 1 briefing\n" in caplog.text + "\n"
