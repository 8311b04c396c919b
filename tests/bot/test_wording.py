"""Counts agree with their nouns, and the per-person limit says it is one, in every reply."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from telegram import Update
from telegram_fakes import Updates

from bot.handlers import log_answer
from bot.render import counted, retry_later
from bot.render_alerts import ingest_result, source_block
from bot.settings import Settings
from bot.terminal import describe
from bot.wording import ago_words, every_words
from retrieval.models import ArticleInfo, IngestSummary
from retrieval.sources import SourceStatus

ONE = IngestSummary(added=(ArticleInfo("a", "Aid talks", None, None, None, 1),), passages=1)
NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, "0 briefings"), (1, "1 briefing"), (2, "2 briefings"), (1200, "1,200 briefings")],
)
def test_counted_puts_the_noun_in_agreement(count: int, expected: str) -> None:
    """One takes the singular; zero and many the plural."""
    assert counted(count, "briefing") == expected


def test_one_of_each_reads_in_the_singular() -> None:
    """/ingest, `briefbot ingest` and /sources say "1 briefing", "1 article", "1 failed poll"."""
    assert "added 1 briefing (1 passage), 0 already stored" in ingest_result("u", ONE, None)
    assert describe(ONE).startswith("Added 1 article (1 passage), 0 already stored")
    failing = SourceStatus("u", NOW, None, 0, 0, 1, "the server answered HTTP 500", None)
    assert "(1 failed poll in a row)" in source_block("u", 60.0, failing, NOW)


def test_the_answer_log_line_says_1_result(
    caplog: pytest.LogCaptureFixture, updates: Updates
) -> None:
    """The one log line per answer counts "1 result", not "1 results"."""
    services: Any = SimpleNamespace(settings=Settings())
    with caplog.at_level(logging.INFO, logger="bot.handlers"):
        update = Update.de_json(updates.message("weapons"), None)
        log_answer(update, services, "question", time.perf_counter(), 1)
    assert "question in private chat: 1 result, " in caplog.text


def test_the_rate_limit_reply_names_the_persons_own_quota() -> None:
    """Over the per-user limit, the reply says it is that person's limit, not the bot's load."""
    text = retry_later(11.6, 20, 60.0)
    assert text == (
        "You have asked 20 questions in 1 min, the most I answer for one person. Try again in 12 s."
    )
    assert "faster than I can keep up" not in text
    assert retry_later(0.2, 1, 30.0).startswith("You have asked 1 question in 30 s,")


@pytest.mark.parametrize(
    ("every", "words"),
    [(0, "at start only"), (30, "every 30 s"), (900, "every 15 min"), (5400, "every 1.5 h"),
     (86400, "every 1 day"), (172800, "every 2 days")],
    ids=["zero", "seconds", "minutes", "hours", "day", "days"],
)  # fmt: skip
def test_every_words(every: float, words: str) -> None:
    """Poll intervals read as plain words."""
    assert every_words(every) == words


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(None, "never"), (0, "just now"), (42, "42 s ago"), (180, "3 min ago"), (7200, "2 h ago")],
    ids=["never", "now", "seconds", "minutes", "hours"],
)
def test_ago_words(seconds: float | None, words: str) -> None:
    """Last-poll times read as plain words relative to now."""
    now = datetime(2024, 5, 1, 12, tzinfo=UTC)
    moment = None if seconds is None else now - timedelta(seconds=seconds)
    assert ago_words(moment, now) == words
