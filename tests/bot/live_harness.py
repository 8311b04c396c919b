"""A bot with live services on a fake clock (the feed server is tests/support/feed_server.py)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from bot_harness import Bot, start_bot
from telegram_fakes import FakeBotApi

from bot.live import Live, install, live_in
from bot.settings import Settings
from retrieval.engine import Engine
from retrieval.models import Article, IngestSummary
from retrieval.sources import SourceTracker

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY")


class Clock:
    """A wall clock the test moves by hand."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@asynccontextmanager
async def live_bot(
    settings: Settings, engine: Engine, api: FakeBotApi, clock: Clock
) -> AsyncIterator[Bot]:
    """The test bot, its live services on ``clock`` with a short fetch timeout; all closed after."""
    async for bot in start_bot(settings, engine, api):
        live_in(bot.app.bot_data).close()
        tracker = SourceTracker(engine, timeout=1.0, max_bytes=200_000, clock=clock)
        install(bot.app, settings, engine, tracker=tracker, clock=clock)
        try:
            yield bot
        finally:
            live_in(bot.app.bot_data).close()


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    """Block (call it in a thread) until ``condition()`` holds or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def live(bot: Bot) -> Live:
    """The bot's live services."""
    return live_in(bot.app.bot_data)


def briefing(title: str, text: str, slug: str) -> Article:
    """A new briefing with its own URL."""
    return Article(title=title, text=text, url=f"https://wire.example/{slug}", source="Wire")


def ingest(engine: Engine, *articles: Article) -> IngestSummary:
    """Store ``articles`` the way a poll would."""
    return engine.ingest(articles)
