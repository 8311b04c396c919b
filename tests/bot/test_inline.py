"""Inline mode through the recording fake Bot API: results, pages, refusals and declines."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest
from bot_harness import Bot, start_bot
from html_check import html_problems
from telegram_fakes import FakeBotApi, Updates

from bot.inline import CACHE_SECONDS, DECLINED, PAGE, WIDENED, parse_offset
from bot.render import fits
from bot.settings import Settings
from retrieval.engine import Engine
from retrieval.models import Article


def answer(bot: Bot) -> dict[str, Any]:
    """The parameters of the bot's last answer to an inline query."""
    return bot.api.calls_to("answerInlineQuery")[-1].params


@pytest.fixture
async def many(settings: Settings, api: FakeBotApi) -> AsyncIterator[Bot]:
    """A bot over 25 articles that all mention weapons, so inline results span three pages."""
    engine = Engine.open(":memory:")
    engine.ingest(
        Article(
            title=f"Weapons report {n} <draft>",
            text=f"Shipment {n} of weapons reached the border. Officials counted {n} crates.",
            url=f"https://example.org/weapons/{n}?a=1&b=2",
            source="Wire & Co",
        )
        for n in range(25)
    )
    async for bot in start_bot(settings, engine, api):
        yield bot
    engine.close()


async def test_inline_results_from_any_date_say_the_range_matched_nothing(
    bot: Bot, updates: Updates
) -> None:
    """A range nothing falls in is searched at any date, and the line above the results says
    so; results inside their range carry no such line."""
    await bot.send(updates.inline("Blinken since:2030-01-01"))
    params = answer(bot)
    assert params["results"]
    assert params["button"]["text"] == WIDENED.format("since 1 January 2030")
    await bot.send(updates.inline("Blinken since:2022-04-01"))
    params = answer(bot)
    assert params["results"]
    assert "button" not in params


async def test_inline_results_of_a_preferred_date_need_no_line_above(
    bot: Bot, updates: Updates
) -> None:
    """'last week' with enough other words is only preferred: the 2022 briefings are results
    (every date was searched), so no line says the range matched nothing."""
    await bot.send(updates.inline("Blinken weapons Ukraine last week"))
    params = answer(bot)
    assert any("Blinken" in str(result) for result in params["results"])
    assert "button" not in params


async def test_inline_query_answers_cited_articles(bot: Bot, updates: Updates) -> None:
    """Each result is a cited excerpt: citation as title, excerpt as description, HTML message."""
    await bot.send(updates.inline("weapons Ukraine"))
    params = answer(bot)
    assert params["is_personal"] is True
    assert params["cache_time"] == CACHE_SECONDS
    results = params["results"]
    assert 1 <= len(results) <= PAGE
    first = results[0]
    assert first["type"] == "article"
    assert first["title"].startswith("Blinken Reaffirms U.S. Commitment")
    assert first["title"].endswith(" · RFE/RL · 7 Apr 2022")
    assert "weapons" in first["description"].lower()
    message = first["input_message_content"]
    text = message["message_text"]
    assert message["parse_mode"] == "HTML"
    assert html_problems(text) == []
    assert fits(text)
    assert '<a href="https://example.org/a/blinken?x=1&amp;y=2">' in text
    assert "RFE/RL · 7 Apr 2022" in text
    assert not text.startswith("[1]")
    assert "<b>" in text
    assert len({result["id"] for result in results}) == len(results)


async def test_inline_results_page_with_next_offset(many: Bot, updates: Updates) -> None:
    """Ten results a page; next_offset leads on until the last page, which gives none."""
    seen: list[str] = []
    offset = ""
    for expected in (PAGE, PAGE, 5):
        await many.send(updates.inline("weapons shipment", offset=offset))
        params = answer(many)
        assert len(params["results"]) == expected
        seen += [result["id"] for result in params["results"]]
        offset = params.get("next_offset", "")
        for result in params["results"]:
            text = result["input_message_content"]["message_text"]
            assert html_problems(text) == []
            assert "Wire &amp; Co" in text
            assert "&lt;draft&gt;" in text
    assert offset == ""
    assert len(set(seen)) == 25


async def test_declined_inline_query_offers_the_bot(bot: Bot, updates: Updates) -> None:
    """A question no briefing answers sends no excerpt, only a button that opens the bot."""
    await bot.send(updates.inline("zebra migration"))
    params = answer(bot)
    assert params["results"] == []
    assert params["button"] == {"text": DECLINED, "start_parameter": "inline"}


async def test_empty_and_unsearchable_inline_queries_explain(bot: Bot, updates: Updates) -> None:
    """An empty query and a stopword-only one get a button saying what to do, no traceback."""
    await bot.send(updates.inline("   "))
    assert answer(bot)["results"] == []
    assert answer(bot)["button"]["text"].startswith("Type a question")
    await bot.send(updates.inline("the of and"))
    assert answer(bot)["results"] == []
    assert "common" in answer(bot)["button"]["text"] or "words" in answer(bot)["button"]["text"]


async def test_inline_queries_count_against_the_rate_limit(
    settings: Settings, engine: Engine, api: FakeBotApi, updates: Updates
) -> None:
    """Over the limit, an inline query is told when to retry, uncached, and not searched."""
    limited = dataclasses.replace(settings, rate_limit=2, rate_window=60.0)
    async for bot in start_bot(limited, engine, api):
        for _ in range(2):
            await bot.send(updates.inline("weapons"))
            assert answer(bot)["results"]
        await bot.send(updates.inline("weapons"))
        params = answer(bot)
        assert params["results"] == []
        assert params["cache_time"] == 0
        assert params["button"]["text"].startswith("Too many questions")


async def test_inline_query_from_stranger_is_refused(
    settings: Settings, engine: Engine, api: FakeBotApi, updates: Updates
) -> None:
    """With an allowlist, a stranger's inline query gets nothing: no result and no search."""
    private = dataclasses.replace(settings, allowed_ids=frozenset({900}))
    async for bot in start_bot(private, engine, api):
        await bot.send(updates.inline("weapons", user_id=501))
        assert answer(bot)["results"] == []
        assert "button" not in answer(bot)
        await bot.send(updates.inline("weapons", user_id=900))
        assert answer(bot)["results"]


@pytest.mark.parametrize(
    ("offset", "expected"),
    [("", 0), ("10", 10), ("abc", 0), ("-5", 0), ("٣", 0), ("99999", 0), ("70", 50)],
    ids=["empty", "number", "word", "negative", "arabic-digit", "too-long", "past-depth"],
)
def test_parse_offset(offset: str, expected: int) -> None:
    """Only offsets the bot gave are honoured; anything else starts from the top."""
    assert parse_offset(offset) == expected
