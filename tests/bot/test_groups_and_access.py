"""Groups and forum topics, the allowlist, and the per-user rate limit."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from bot_harness import Bot, start_bot
from telegram_fakes import BOT, FakeBotApi, Updates

from bot import questions
from bot.handlers import REFUSAL
from bot.settings import Settings
from retrieval.engine import Engine

GROUP = -100123


def bot_message(message_id: int = 7) -> dict[str, object]:
    """An earlier message of the bot in the group, for replies to it."""
    return {"message_id": message_id, "date": 0, "chat": {"id": GROUP, "type": "supergroup"},
            "from": BOT, "text": "an earlier answer"}  # fmt: skip


@pytest.mark.parametrize(
    ("text", "reply_to", "answered"),
    [
        ("weapons", None, False),
        ("@BriefTestBot weapons", None, True),
        ("🇺🇦 weapons @brieftestbot", None, True),
        ("@SomeOtherBot weapons", None, False),
        ("weapons", bot_message(), True),
        ("/search weapons", None, True),
        ("/search@BriefTestBot weapons", None, True),
        ("/search@SomeOtherBot weapons", None, False),
        ("/nonsense", None, False),
    ],
    ids=["chatter", "mention", "mention-after-emoji", "other-mention", "reply", "command",
         "command-at-us", "command-at-other", "unknown-command"],
)  # fmt: skip
async def test_group_answers_only_when_addressed(
    bot: Bot, updates: Updates, text: str, reply_to: dict[str, object] | None, answered: bool
) -> None:
    """In a group, free text needs a mention or a reply; commands work with or without @Bot."""
    await bot.send(updates.message(text, chat_id=GROUP, chat_type="supergroup", reply_to=reply_to))
    replies = bot.api.calls_to("sendMessage")
    assert len(replies) == int(answered)
    if answered:
        assert "[1] " in replies[0].params["text"]
        header = replies[0].params["text"].split("\n")[0]
        assert re.search(r"for <i>(🇺🇦 )?weapons</i>", header)
        assert "brieftestbot" not in header.lower()  # the mention is not part of the query
        assert replies[0].params["reply_parameters"]["message_id"] == 1


async def test_forum_topic_replies_stay_in_the_topic(
    bot: Bot, updates: Updates, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Typing and the answer go to the topic the question was asked in."""
    monkeypatch.setattr(questions, "TYPING_AFTER", 0.0)
    await bot.send(
        updates.message("/search weapons", chat_id=GROUP, chat_type="supergroup", thread_id=42)
    )
    assert bot.api.calls_to("sendChatAction")[0].params["message_thread_id"] == 42
    assert bot.api.calls_to("sendMessage")[0].params["message_thread_id"] == 42


@pytest.fixture
async def private_bot(settings: Settings, engine: Engine, api: FakeBotApi) -> AsyncIterator[Bot]:
    """A bot that only user 501 and group -100123 may use."""
    private = replace(settings, allowed_ids=frozenset({501, GROUP}))
    async for running in start_bot(private, engine, api):
        yield running


@pytest.mark.parametrize(
    ("user_id", "chat_id", "allowed"),
    [(501, None, True), (502, None, False), (502, GROUP, True)],
    ids=["listed-user", "stranger", "stranger-in-listed-group"],
)
async def test_allowlist_admits_users_and_chats(
    private_bot: Bot, updates: Updates, user_id: int, chat_id: int | None, allowed: bool
) -> None:
    """Listed users anywhere, and anyone in a listed chat, are served."""
    chat_type = "private" if chat_id is None else "supergroup"
    await private_bot.send(
        updates.message("/search weapons", user_id=user_id, chat_id=chat_id, chat_type=chat_type)
    )
    text = private_bot.texts()[-1]
    assert ("[1] " in text) == allowed
    assert (text == REFUSAL) == (not allowed)


async def test_stranger_is_refused_once_then_ignored(private_bot: Bot, updates: Updates) -> None:
    """A stranger hears one refusal per chat, then nothing, and is never searched for."""
    for text in ("weapons", "/start", "/search weapons", "weapons again"):
        await private_bot.send(updates.message(text, user_id=502))
    await private_bot.send(updates.button("p:1:0", user_id=502))
    assert private_bot.texts() == [REFUSAL]
    assert private_bot.api.calls_to("sendChatAction") == []
    assert private_bot.api.calls_to("answerCallbackQuery") == []


async def test_rate_limit_tells_once_when_to_retry(
    settings: Settings, engine: Engine, api: FakeBotApi, updates: Updates
) -> None:
    """Over the limit, the user is told once when to come back, then not searched silently."""
    limited = replace(settings, rate_limit=2, rate_window=60.0)
    async for bot in start_bot(limited, engine, api):
        for _ in range(5):
            await bot.send(updates.message("weapons"))
        texts = bot.texts()
        assert [("[1] " in t) for t in texts] == [True, True, False]
        assert texts[2].startswith(
            "You have asked 2 questions in 1 min, the most I answer for one person. Try again in "
        )
        assert len(api.calls_to("sendMessage")) == 3
        # Another user is not affected.
        await bot.send(updates.message("weapons", user_id=503))
        assert "[1] " in bot.texts()[-1]
