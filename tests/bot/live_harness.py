"""A bot with live services on a fake clock, and a changing feed served on 127.0.0.1."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

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


def rss(entries: list[tuple[str, str, str]]) -> bytes:
    """An RSS 2.0 document with one item per (title, link, text)."""
    items = "".join(
        f"<item><title>{escape(title)}</title><link>{escape(link)}</link>"
        f"<description>{escape(text)}</description></item>"
        for title, link, text in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Test wire</title>{items}</channel></rss>"
    ).encode()


class FeedServer(ThreadingHTTPServer):
    """Serves ``/feed`` from ``entries`` (304 when unchanged) and fails while ``failing``."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _FeedHandler)
        self.entries: list[tuple[str, str, str]] = []
        self.failing = False
        self.answers: list[int] = []

    def url(self, path: str = "/feed") -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


class _FeedHandler(BaseHTTPRequestHandler):
    server: FeedServer

    def do_GET(self) -> None:
        if self.server.failing or not self.path.startswith("/feed"):
            return self._send(500, b"boom")
        body = rss(self.server.entries)
        etag = '"' + hashlib.sha256(body).hexdigest()[:12] + '"'
        if self.headers.get("If-None-Match") == etag:
            return self._send(304, b"", etag)
        return self._send(200, body, etag)

    def _send(self, status: int, body: bytes, etag: str | None = None) -> None:
        self.server.answers.append(status)
        self.send_response(status)
        if etag:
            self.send_header("ETag", etag)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return None


@contextmanager
def feed_server() -> Iterator[FeedServer]:
    """A feed server on loopback, shut down afterwards."""
    server = FeedServer()
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
