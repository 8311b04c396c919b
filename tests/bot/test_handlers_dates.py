"""Questions carry their date: the bot searches as of the message and says the range it used."""

from __future__ import annotations

from datetime import UTC, datetime

from bot_harness import Bot
from html_check import html_problems
from telegram_fakes import Updates

from retrieval.engine import Engine


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


async def test_a_range_with_no_match_shows_any_date_and_says_so(bot: Bot, updates: Updates) -> None:
    """Nothing before 2020: the reply says so and shows the briefings of any date."""
    await bot.send(updates.message("Blinken Brussels until:2020-01-01"))
    sent = bot.api.calls_to("sendMessage")[-1].params
    text = str(sent["text"])
    assert html_problems(text) == []
    assert text.startswith(
        "🔎 Nothing before 1 January 2020 for <i>Blinken Brussels</i>; showing briefings from"
        " any date ("
    )
    assert "Blinken" in text.split("\n", 1)[1]
    assert "reply_markup" in sent


async def test_words_that_match_at_no_date_say_no_briefing_matches(
    bot: Bot, updates: Updates
) -> None:
    """A range widened to any date that still finds nothing: the plain no-results reply."""
    await bot.send(updates.message("zeppelin since 1 May 2020"))
    text = str(bot.api.calls_to("sendMessage")[-1].params["text"])
    assert text.startswith("No briefing matches <i>zeppelin</i>.")


async def test_a_relative_date_is_preferred_and_hides_no_briefing(
    bot: Bot, updates: Updates
) -> None:
    """'last week', asked on 20 April 2022 with three other words: no briefing is from that
    week, yet the April ones are shown, and the header says the week is only preferred."""
    asked = sent_on(updates, "Blinken weapons Ukraine last week", datetime(2022, 4, 20, tzinfo=UTC))
    await bot.send(asked)
    text = str(bot.api.calls_to("sendMessage")[-1].params["text"])
    assert html_problems(text) == []
    assert text.startswith("🔎 ")
    assert (
        "for <i>Blinken weapons Ukraine</i>, preferring those dated from 11 April 2022 to"
        " 17 April 2022 (" in text.split("\n", 1)[0]
    )
    assert "Blinken" in text.split("\n", 1)[1]


async def test_an_engine_with_date_preference_zero_keeps_to_the_range(
    bot: Bot, engine: Engine, updates: Updates
) -> None:
    """With date_preference 0 the same question filters: only the undated grain briefing is
    left in that week, it does not answer, and the reply offers the question without dates."""
    engine.date_preference = 0.0
    asked = sent_on(updates, "Blinken weapons Ukraine last week", datetime(2022, 4, 20, tzinfo=UTC))
    await bot.send(asked)
    text = str(bot.api.calls_to("sendMessage")[-1].params["text"])
    assert text.startswith(
        "No stored briefing answers that. (<i>Blinken weapons Ukraine last week</i> dated from"
        " 11 April 2022 to 17 April 2022)"
    )
    assert "To search all dates, send: <code>Blinken weapons Ukraine</code>" in text
