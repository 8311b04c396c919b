"""Questions carry their date: the bot searches as of the message and says the range it used."""

from __future__ import annotations

from datetime import UTC, datetime

from bot_harness import Bot
from html_check import html_problems
from telegram_fakes import Updates


def sent_on(updates: Updates, text: str, moment: datetime) -> dict[str, object]:
    """A text message sent at ``moment``."""
    update = updates.message(text)
    update["message"]["date"] = int(moment.timestamp())
    return update


async def test_a_question_is_searched_as_of_its_message_date(bot: Bot, updates: Updates) -> None:
    """Asked on 8 April 2022, the briefing of 9 April does not exist yet; the 7 April one does."""
    await bot.send(sent_on(updates, "weapons Ukraine", datetime(2022, 4, 8, tzinfo=UTC)))
    text = bot.api.calls_to("sendMessage")[-1].params["text"]
    assert "Blinken" in text
    assert "Aid report" not in text


async def test_the_header_says_the_range_of_a_dated_question(bot: Bot, updates: Updates) -> None:
    """'since 8 April' keeps the 9 April (and an undated) briefing; the header names the range."""
    await bot.send(
        sent_on(updates, "weapons Ukraine since 8 April", datetime(2022, 4, 20, tzinfo=UTC))
    )
    text = str(bot.api.calls_to("sendMessage")[-1].params["text"])
    assert html_problems(text) == []
    assert text.startswith("🔎 2 results for <i>weapons Ukraine</i> dated since 8 April 2022 (")
    assert "Aid report" in text
    assert "Blinken" not in text


async def test_a_range_with_no_match_offers_the_question_without_it(
    bot: Bot, updates: Updates
) -> None:
    """Nothing before 2020: the reply says so and gives the words to send for all dates."""
    await bot.send(updates.message("Blinken Brussels until:2020-01-01"))
    sent = bot.api.calls_to("sendMessage")[-1].params
    text = str(sent["text"])
    assert html_problems(text) == []
    assert text == (
        "No briefing dated before 1 January 2020 matches <i>Blinken Brussels</i>.\n"
        "To search all dates, send: <code>Blinken Brussels</code>"
    )
    assert "reply_markup" not in sent
