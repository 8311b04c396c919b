"""Result buttons belong to whoever asked: forged, foreign and pre-token buttons reveal nothing."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from bot_harness import Bot, start_bot
from telegram_fakes import FakeBotApi, Updates

from bot.browse import STALE
from bot.settings import Settings
from retrieval.engine import Engine

SECRET = "weapons Ukraine secretplan"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Never decline: the secret word is in no briefing, and these tests need result buttons."""
    return replace(settings, min_share=0.0)


def keyboard(bot: Bot, method: str = "sendMessage") -> list[str]:
    """Every callback_data under the newest message sent (or edited) with ``method``."""
    markup = bot.api.calls_to(method)[-1].params["reply_markup"]
    return [button["callback_data"] for row in markup["inline_keyboard"] for button in row]


def page_two(bot: Bot) -> str:
    """The ▶ button of the newest answer."""
    data = keyboard(bot)[-1]
    assert data.startswith("p:")
    return data


def assert_expired_and_silent(bot: Bot, calls_before: int) -> None:
    """The press got the expired notice, nothing was edited, and no call named the question."""
    after = bot.api.calls[calls_before:]
    assert [call.method for call in after] == ["answerCallbackQuery"]
    assert after[0].params["text"] == STALE
    assert all("secretplan" not in str(call.params) for call in after)


@pytest.mark.parametrize(
    ("forge", "presser"),
    [
        (lambda _data: "p:1:0", {"user_id": 502}),
        (lambda data: data[-1], {"user_id": 502}),
        (lambda data: data[0], {"user_id": 502}),
        (lambda data: data[-1], {"user_id": 501, "chat_id": -100, "chat_type": "supergroup"}),
        (lambda data: data[-1], {"user_id": 502, "chat_id": 501}),
    ],
    ids=["counted-id", "replayed-page", "replayed-open", "owner-in-another-chat",
         "other-user-in-owners-chat"],
)  # fmt: skip
async def test_foreign_or_forged_button_gets_expired_and_no_question(
    bot: Bot,
    updates: Updates,
    forge: Callable[[list[str]], str],
    presser: dict[str, int | str],
) -> None:
    """Another user or chat pressing a private answer's button (or guessing one) sees nothing."""
    await bot.send(updates.message(SECRET))
    data = keyboard(bot)
    assert SECRET not in " ".join(data)
    before = len(bot.api.calls)
    await bot.send(updates.button(forge(data), **presser))  # type: ignore[arg-type]
    assert_expired_and_silent(bot, before)


async def test_owner_pages_and_opens_their_own_results(bot: Bot, updates: Updates) -> None:
    """The asker's own ▶ and number buttons still work."""
    await bot.send(updates.message(SECRET))
    await bot.send(updates.button(page_two(bot)))
    assert "[3] " in bot.api.calls_to("editMessageText")[-1].params["text"]
    await bot.send(updates.button(keyboard(bot, "editMessageText")[0]))
    assert "Passage " in bot.api.calls_to("editMessageText")[-1].params["text"]


async def test_group_members_page_the_groups_results_but_other_chats_cannot(
    bot: Bot, updates: Updates
) -> None:
    """Any member may page an answer everyone in the group sees; the same data elsewhere expires."""
    group = {"chat_id": -100, "chat_type": "supergroup"}
    await bot.send(updates.message(f"/search {SECRET}", user_id=501, **group))  # type: ignore[arg-type]
    data = page_two(bot)
    await bot.send(updates.button(data, user_id=502, **group))  # type: ignore[arg-type]
    edit = bot.api.calls_to("editMessageText")[-1].params
    assert "[3] " in edit["text"]
    assert "secretplan" in edit["text"]  # the group's own question, shown to the group
    before = len(bot.api.calls)
    await bot.send(updates.button(data, user_id=503, chat_id=-200, chat_type="supergroup"))
    assert_expired_and_silent(bot, before)


async def test_buttons_carry_random_tokens_not_counters(bot: Bot, updates: Updates) -> None:
    """Two questions' buttons carry unrelated 12-character tokens, not 1 and 2."""
    tokens = []
    for question in ("weapons", "grain"):
        await bot.send(updates.message(question))
        tokens.append(keyboard(bot)[0].split(":")[1])
    assert all(len(token) == 12 and not token.isdigit() for token in tokens)
    assert tokens[0] != tokens[1]


def old_store(path: Path) -> None:
    """A bot file from before tokens: queries under a counter, with no owner."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE bot_queries (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE,"
            " created REAL NOT NULL)"
        )
        db.execute("INSERT INTO bot_queries VALUES (1, ?, ?)", (SECRET, time.time()))
    db.close()


async def test_old_buttons_expire_after_the_store_migrates(
    settings: Settings, engine: Engine, updates: Updates, tmp_path: Path
) -> None:
    """A pre-token store opens, its buttons say expired, and new answers page as usual."""
    on_disk = replace(settings, db_path=tmp_path / "bot.sqlite3")
    old_store(on_disk.db_path)
    async for bot in start_bot(on_disk, engine, FakeBotApi()):
        before = len(bot.api.calls)
        await bot.send(updates.button("p:1:0"))
        assert_expired_and_silent(bot, before)
        await bot.send(updates.message("weapons"))
        await bot.send(updates.button(page_two(bot)))
        assert "[3] " in bot.api.calls_to("editMessageText")[-1].params["text"]
