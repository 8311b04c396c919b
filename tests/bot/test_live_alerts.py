"""Watch commands and alerts through PTB's request seam: batching, the cap, restarts, /forgetme."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from bot_harness import Bot
from html_check import html_problems
from live_harness import Clock, briefing, ingest, live_bot
from telegram_fakes import FakeBotApi, Updates

from bot.app import UNKNOWN_COMMAND
from bot.live import after_ingest, send_alerts, send_job_name
from bot.settings import Settings
from retrieval.engine import Engine

GRAIN = briefing("Grain corridor reopens", "Ships carrying grain left Odesa at dawn.", "g1")
GRAIN_2 = briefing("More grain ships", "A second grain convoy sailed from Odesa.", "g2")
DRONES = briefing("Drone strike on depot", "A fuel depot burned overnight.", "d1")


@pytest.fixture
def file_settings(settings: Settings, tmp_path: Path) -> Settings:
    """Test settings with the bot's tables in a file, so a second app is a restart."""
    return replace(settings, db_path=tmp_path / "bot.sqlite3", alert_cap_per_hour=2)


@pytest.fixture
def clock() -> Clock:
    """The clock the alert cap reads."""
    return Clock()


@pytest.fixture
async def watcher(
    file_settings: Settings, engine: Engine, api: FakeBotApi, clock: Clock
) -> AsyncIterator[Bot]:
    """A bot with live services on the fake clock."""
    async with live_bot(file_settings, engine, api, clock) as bot:
        yield bot


def last_text(bot: Bot) -> str:
    """The newest text the bot sent, checked to be valid Telegram HTML."""
    text = bot.texts()[-1]
    assert html_problems(text) == []
    return text


async def test_watch_and_watches_show_the_saved_query_with_its_id(
    watcher: Bot, updates: Updates
) -> None:
    """/watch confirms with an id; /watches lists it; the same query again is not a copy."""
    await watcher.send(updates.message("/watch grain <exports>"))
    [saved] = watcher.services.watches.watches(501)
    assert f"(#{saved.id})" in last_text(watcher)
    assert "grain &lt;exports&gt;" in last_text(watcher)
    await watcher.send(updates.message("/watch grain   <exports>"))
    assert "Already watching" in last_text(watcher)
    await watcher.send(updates.message("/watches"))
    assert f"#{saved.id} <i>grain &lt;exports&gt;</i>" in last_text(watcher)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("/watch", "Usage: /watch"), ("/watch the of and", "very common"), ("/watch ???", "word")],
    ids=["empty", "stopwords", "no-words"],
)
async def test_unsearchable_watch_gets_help_and_saves_nothing(
    watcher: Bot, updates: Updates, text: str, expected: str
) -> None:
    """A watch the engine could never match is explained, not saved."""
    await watcher.send(updates.message(text))
    assert expected.lower() in last_text(watcher).lower()
    assert watcher.services.watches.watches() == []


async def test_unwatch_of_another_chats_id_fails_politely(watcher: Bot, updates: Updates) -> None:
    """Chat 502 cannot remove chat 501's watch; 501 can."""
    await watcher.send(updates.message("/watch grain"))
    [saved] = watcher.services.watches.watches(501)
    await watcher.send(updates.message(f"/unwatch {saved.id}", user_id=502))
    assert f"This chat has no watch #{saved.id}" in last_text(watcher)
    assert watcher.services.watches.watches(501) == [saved]
    await watcher.send(updates.message(f"/unwatch #{saved.id}"))
    assert f"Stopped watch #{saved.id}." == last_text(watcher)
    assert watcher.services.watches.watches() == []


async def test_a_burst_of_watch_commands_stores_exactly_the_chat_cap(
    watcher: Bot, updates: Updates
) -> None:
    """60 /watch sent at once in one chat keep 20 watches; 40 replies explain the chat cap."""
    burst = [updates.message(f"/watch grain w{n}") for n in range(60)]
    await asyncio.gather(*(watcher.send(update) for update in burst))
    assert len(watcher.services.watches.watches(501)) == 20
    replies = watcher.texts()
    assert len(replies) == 60
    assert sum("This chat already has 20 watches" in text for text in replies) == 40


async def test_one_user_in_ten_groups_is_held_by_the_user_cap(
    watcher: Bot, updates: Updates
) -> None:
    """60 /watch by one user across 10 groups, all at once, keep 50 (the per-user cap)."""
    burst = [
        updates.message(f"/watch grain w{n}", chat_id=-1000 - group, chat_type="supergroup")
        for group in range(10)
        for n in range(6)
    ]
    await asyncio.gather(*(watcher.send(update) for update in burst))
    assert len(watcher.services.watches.watches()) == 50
    refusals = [text for text in watcher.texts() if "across your chats" in text]
    assert len(refusals) == 10
    assert html_problems(refusals[0]) == []
    assert "You already have 50 watches" in refusals[0]
    await watcher.send(
        updates.message("/watch grain", user_id=502, chat_id=-1000, chat_type="supergroup")
    )
    assert "Watching" in last_text(watcher)


async def test_two_matches_in_the_window_arrive_as_one_message_once(
    watcher: Bot, updates: Updates, engine: Engine
) -> None:
    """Matches from two ingests wait in one send job and go out as one message, never again."""
    await watcher.send(updates.message("/watch grain Odesa"))
    await watcher.send(updates.message("/watch depot", user_id=600))
    before = len(watcher.texts())
    assert await after_ingest(watcher.app, ingest(engine, GRAIN, DRONES)) == [501, 600]
    assert await after_ingest(watcher.app, ingest(engine, GRAIN_2)) == [501]
    jobs = watcher.app.job_queue.get_jobs_by_name(send_job_name(501))  # type: ignore[union-attr]
    assert len(jobs) == 1
    assert await send_alerts(watcher.app, 501) is None
    assert await send_alerts(watcher.app, 600) is None
    sent = watcher.api.calls_to("sendMessage")[-2:]
    assert [call.params["chat_id"] for call in sent] == [501, 600]
    text = sent[0].params["text"]
    assert html_problems(text) == []
    assert text.startswith("<b>2 new briefings match your watches</b>")
    assert "Grain corridor reopens" in text
    assert "More grain ships" in text
    assert "depot" not in text
    assert '<a href="https://wire.example/g1">' in text
    # The same briefings again (a re-poll, a duplicate) never alert twice.
    assert await after_ingest(watcher.app, ingest(engine, GRAIN, GRAIN_2)) == []
    assert await send_alerts(watcher.app, 501) is None
    assert len(watcher.texts()) == before + 2


async def test_hourly_cap_keeps_matches_pending_until_the_hour_allows(
    watcher: Bot, updates: Updates, engine: Engine, clock: Clock
) -> None:
    """With a cap of 2 per hour the third batch waits until the first send is an hour old."""
    await watcher.send(updates.message("/watch grain"))
    articles = [briefing(f"Grain {n}", f"Grain report number {n}.", f"n{n}") for n in range(3)]
    delays = []
    for article in articles:
        await after_ingest(watcher.app, ingest(engine, article))
        delays.append(await send_alerts(watcher.app, 501))
        clock.now += 60
    assert delays == [None, None, pytest.approx(3600 - 120)]
    assert len(watcher.services.watches.alerts.pending(501)) == 1
    clock.now += 3600 - 120
    assert await send_alerts(watcher.app, 501) is None
    alerts = [call for call in watcher.api.calls_to("sendMessage") if "🔔" in call.params["text"]]
    assert len(alerts) == 3
    assert "Grain 2" in alerts[-1].params["text"]


async def test_a_restart_loses_no_watch_and_repeats_no_alert(
    file_settings: Settings, engine: Engine, api: FakeBotApi, clock: Clock, updates: Updates
) -> None:
    """A new application on the same file lists the watch, sends what was pending, once."""
    async with live_bot(file_settings, engine, api, clock) as first:
        await first.send(updates.message("/watch grain"))
        await after_ingest(first.app, ingest(engine, GRAIN))
        assert await send_alerts(first.app, 501) is None
        await after_ingest(first.app, ingest(engine, GRAIN_2))  # pending at shutdown
    async with live_bot(file_settings, engine, api, clock) as second:
        await second.send(updates.message("/watches"))
        assert "<i>grain</i>" in last_text(second)
        assert await after_ingest(second.app, ingest(engine, GRAIN, GRAIN_2)) == []
        assert await send_alerts(second.app, 501) is None
    alerts = [
        call.params["text"] for call in api.calls_to("sendMessage") if "🔔" in call.params["text"]
    ]
    assert len(alerts) == 2
    assert "Grain corridor reopens" in alerts[0]
    assert "More grain ships" in alerts[1]
    assert "Grain corridor reopens" not in alerts[1]


async def test_forgetme_removes_watches_and_pending_alerts(
    watcher: Bot, updates: Updates, engine: Engine
) -> None:
    """/forgetme says what it deleted: watches, pending alerts, answer links and questions (whose
    buttons then expire); nothing is sent."""
    await watcher.send(updates.message("/watch grain"))
    await watcher.send(updates.message("/watch Odesa"))
    await watcher.send(updates.message("weapons"))
    markup = watcher.api.calls_to("sendMessage")[-1].params["reply_markup"]
    page_two = markup["inline_keyboard"][-1][-1]["callback_data"]
    await after_ingest(watcher.app, ingest(engine, GRAIN))
    answers = watcher.services.state
    assert await asyncio.to_thread(answers.answer_for, 501, 1) is not None
    await watcher.send(updates.message("/forgetme"))
    assert "deleted your 2 watches, 1 stored alert and 1 stored question" in last_text(watcher)
    assert await asyncio.to_thread(answers.answer_for, 501, 1) is None
    await watcher.send(updates.button(page_two))
    assert "expired" in watcher.api.calls_to("answerCallbackQuery")[-1].params["text"]
    await watcher.send(updates.message("/watches"))
    assert "No watches here yet" in last_text(watcher)
    count = len(watcher.texts())
    assert await send_alerts(watcher.app, 501) is None
    assert len(watcher.texts()) == count


@pytest.mark.parametrize(
    "text", ["/ingest https://wire.example/feed", "/sources"], ids=["ingest", "sources"]
)
async def test_admin_commands_look_unknown_to_others(
    watcher: Bot, updates: Updates, text: str
) -> None:
    """A non-admin gets exactly the unknown-command reply, nothing is fetched."""
    await watcher.send(updates.message(text))
    assert last_text(watcher) == UNKNOWN_COMMAND


async def test_blocked_chat_loses_its_watches_instead_of_retrying(
    watcher: Bot, updates: Updates, engine: Engine
) -> None:
    """When Telegram says the bot was blocked, the chat's watches and alerts are dropped."""
    await watcher.send(updates.message("/watch grain"))
    await after_ingest(watcher.app, ingest(engine, GRAIN))
    watcher.api.fail_next("sendMessage", "Forbidden: bot was blocked by the user")
    assert await send_alerts(watcher.app, 501) is None
    assert watcher.services.watches.watches() == []
    assert watcher.services.watches.alerts.pending(501) == []


async def test_send_jobs_on_the_running_queue_batch_within_the_window(
    file_settings: Settings, engine: Engine, api: FakeBotApi, clock: Clock, updates: Updates
) -> None:
    """With the job queue running, two ingests inside alert_window give one message."""
    quick = replace(file_settings, alert_window=0.3)
    async with live_bot(quick, engine, api, clock) as bot:
        await bot.send(updates.message("/watch grain"))
        await bot.app.start()
        try:
            await after_ingest(bot.app, ingest(engine, GRAIN))
            await after_ingest(bot.app, ingest(engine, GRAIN_2))
            await asyncio.to_thread(api.wait_for, "sendMessage", 2, 5.0)
            await asyncio.sleep(0.5)
        finally:
            await bot.app.stop()
    alerts = [
        call.params["text"] for call in api.calls_to("sendMessage") if "🔔" in call.params["text"]
    ]
    assert len(alerts) == 1
    assert "2 new briefings" in alerts[0]


async def test_alerts_go_to_the_forum_topic_the_watch_was_set_in(
    watcher: Bot, updates: Updates, engine: Engine
) -> None:
    """A watch set in a forum topic alerts in that topic; one set elsewhere, in the main chat."""
    group = -100123
    await watcher.send(
        updates.message("/watch grain", chat_id=group, chat_type="supergroup", thread_id=42)
    )
    await watcher.send(updates.message("/watch depot", chat_id=group, chat_type="supergroup"))
    assert await after_ingest(watcher.app, ingest(engine, GRAIN, DRONES)) == [group]
    assert await send_alerts(watcher.app, group) == 0.0  # the other topic's message is next
    assert await send_alerts(watcher.app, group) is None
    first, second = watcher.api.calls_to("sendMessage")[-2:]
    assert first.params["message_thread_id"] == 42
    assert "Grain corridor reopens" in first.params["text"]
    assert "message_thread_id" not in second.params
    assert "Drone strike on depot" in second.params["text"]


async def test_a_long_watch_is_watched_by_its_telling_words(
    watcher: Bot, updates: Updates, engine: Engine
) -> None:
    """A /watch longer than a question is saved, says how it is watched, and alerts on a match."""
    pasted = (
        "Ships carrying grain left Odesa at dawn, the first convoy since the corridor closed. " * 8
    ).strip()
    assert engine.too_long(pasted)
    await watcher.send(updates.message(f"/watch {pasted}"))
    assert "related to it" in last_text(watcher)
    [saved] = watcher.app.bot_data.services.watches.watches(501)
    assert saved.query == pasted
    assert await after_ingest(watcher.app, ingest(engine, GRAIN, DRONES)) == [501]
    assert await send_alerts(watcher.app, 501) is None
    text = last_text(watcher)
    assert "Grain corridor reopens" in text
    assert "depot" not in text
