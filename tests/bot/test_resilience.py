"""The bot keeps serving: after a handler fails, while a search is slow, and after a restart."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from bot_harness import Bot, start_bot
from telegram import Update
from telegram_fakes import FakeBotApi, Updates

from bot.handlers import APOLOGY
from bot.settings import Settings
from retrieval.engine import Engine
from retrieval.errors import StoreError
from retrieval.models import SearchResult


async def test_failing_handler_is_logged_apologised_and_next_update_served(
    bot: Bot, updates: Updates, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An exception in a handler is logged, the user gets an apology, and serving goes on."""
    real_search = bot.services.engine.search

    def search(query: str, k: int = 10, **page: int) -> SearchResult:
        if query == "explode":
            raise RuntimeError("index on fire")
        return real_search(query, k, **page)

    monkeypatch.setattr(bot.services.engine, "search", search)
    await bot.send(updates.message("explode"))
    assert bot.texts() == [APOLOGY]
    failure = next(r for r in caplog.records if r.levelname == "ERROR")
    assert failure.exc_info is not None
    assert "index on fire" in str(failure.exc_info[1])
    assert "explode" not in caplog.text  # questions are not logged by default
    await bot.send(updates.message("weapons"))
    assert "[1] " in bot.texts()[-1]


async def test_a_damaged_index_is_logged_in_one_line_for_the_operator(
    bot: Bot, updates: Updates, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A StoreError (a damaged index found by a search) is one log line saying what to do,
    with no traceback; the reader gets the apology and the next question is served."""
    real_search = bot.services.engine.search
    damaged = "the search index in /srv/s.index is damaged (...): delete the folder /srv/s.index"

    def search(query: str, k: int = 10, **page: int) -> SearchResult:
        if query == "explode":
            raise StoreError(damaged)
        return real_search(query, k, **page)

    monkeypatch.setattr(bot.services.engine, "search", search)
    await bot.send(updates.message("explode"))
    assert bot.texts() == [APOLOGY]
    failure = next(r for r in caplog.records if r.levelname == "ERROR")
    assert failure.exc_info is None
    assert failure.getMessage().endswith(damaged)
    await bot.send(updates.message("weapons"))
    assert "[1] " in bot.texts()[-1]


async def test_failing_button_is_answered_with_the_apology(
    bot: Bot, updates: Updates, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A button whose handler fails still gets its callback answered, with the apology."""
    await bot.send(updates.message("weapons"))
    markup = bot.api.calls_to("sendMessage")[-1].params["reply_markup"]
    open_first = markup["inline_keyboard"][0][0]["callback_data"]

    def broken(passage_id: int) -> None:
        raise RuntimeError("store gone")

    monkeypatch.setattr(bot.services.engine, "passage", broken)
    await bot.send(updates.button(open_first))
    assert bot.api.calls_to("answerCallbackQuery")[-1].params["text"] == APOLOGY


async def test_slow_search_does_not_stall_other_chats(
    bot: Bot, updates: Updates, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While one chat's search blocks in its thread, another chat is answered."""
    release = threading.Event()
    real_search = bot.services.engine.search

    def search(query: str, k: int = 10, **page: int) -> SearchResult:
        if query == "slow weapons":
            release.wait(10)
        return real_search(query, k, **page)

    monkeypatch.setattr(bot.services.engine, "search", search)
    app = bot.app
    await app.start()
    try:
        slow = updates.message("slow weapons", user_id=601)
        fast = updates.message("weapons", user_id=602)
        await app.update_queue.put(Update.de_json(slow, app.bot))
        await app.update_queue.put(Update.de_json(fast, app.bot))
        replies = await asyncio.to_thread(bot.api.wait_for, "sendMessage", 1, 10.0)
        assert replies[0].params["chat_id"] == 602
        release.set()
        replies = await asyncio.to_thread(bot.api.wait_for, "sendMessage", 2, 10.0)
        assert replies[1].params["chat_id"] == 601
    finally:
        release.set()
        await app.stop()


async def test_buttons_and_edits_survive_a_restart(
    settings: Settings, engine: Engine, updates: Updates, tmp_path: Path
) -> None:
    """A button and an edited question from before a restart still work after it."""
    on_disk = replace(settings, db_path=tmp_path / "data" / "briefbot.sqlite3")
    before = FakeBotApi()
    async for bot in start_bot(on_disk, engine, before):
        await bot.send(updates.message("weapons", message_id=70))
        answer = before.calls_to("sendMessage")[-1].params
        assert answer["chat_id"] == 501
    page_two = answer["reply_markup"]["inline_keyboard"][-1][-1]["callback_data"]
    after = FakeBotApi()
    async for bot in start_bot(on_disk, engine, after):
        await bot.send(updates.button(page_two))
        assert "[3] " in after.calls_to("editMessageText")[-1].params["text"]
        await bot.send(updates.message("grain", message_id=70, edited=True))
        edit = after.calls_to("editMessageText")[-1].params
        assert edit["message_id"] == 10_001  # the first run's answer
        assert "Grain exports resume" in edit["text"]
        assert after.calls_to("sendMessage") == []
