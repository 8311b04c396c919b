"""/ingest and `briefbot ingest` take an article page's URL, as /ingest's usage promises."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from bot_harness import Bot
from feed_server import FeedServer, feed_server
from html_check import html_problems
from live_harness import PROXY_VARIABLES, Clock, live_bot
from telegram_fakes import FakeBotApi, Updates

from bot.admin import INGEST_USAGE
from bot.cli import main
from bot.settings import Settings
from retrieval.engine import Engine

ADMIN = 900
PAGE = b"""<!DOCTYPE html><html><head><title>Dockers fix cranes | Port News</title>
<meta property="og:title" content="Dockers fix the harbour cranes">
<meta property="og:site_name" content="Port News">
<meta property="article:published_time" content="2024-06-01T08:30:00+00:00"></head>
<body><nav><a href="/">Home</a> <a href="/jobs">Jobs</a> <a href="/shop">Shop</a></nav>
<article><h1>Dockers fix the harbour cranes</h1>
<p>Dockers repaired the two harbour cranes overnight, and the first container ship was
unloaded at dawn, the port authority said on Saturday.</p>
<p>The cranes had stood still for a week after a storm damaged their power lines, leaving
forty ships waiting at anchor outside the breakwater.</p></article>
<footer>Port News. All rights reserved. Advertise with us.</footer></body></html>"""


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FeedServer]:
    """A loopback server with one article page."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    with feed_server() as httpd:
        httpd.pages = {"/port/cranes": (200, PAGE, "text/html; charset=utf-8", {})}
        yield httpd


@pytest.fixture
async def bot(settings: Settings, engine: Engine, api: FakeBotApi) -> AsyncIterator[Bot]:
    """A bot with live services (the tracker /ingest reads its limits from)."""
    async with live_bot(settings, engine, api, Clock()) as started:
        yield started


async def test_ingest_of_an_article_url_adds_it_and_it_is_searchable(
    bot: Bot, engine: Engine, server: FeedServer, updates: Updates
) -> None:
    """An admin's /ingest of an article page adds one briefing, which questions then find."""
    assert "article" in INGEST_USAGE
    url = server.url("/port/cranes")
    await bot.send(updates.message(f"/ingest {url}", user_id=ADMIN))
    report = bot.texts()[-1]
    assert html_problems(report) == []
    assert "added 1 briefing (" in report
    assert "Could not ingest" not in report
    (hit, *_) = engine.search("harbour cranes repaired", 5).hits
    assert hit.article.title == "Dockers fix the harbour cranes"
    assert hit.article.source == "Port News"
    assert hit.article.url == url
    assert "All rights reserved" not in hit.passage.text


def test_cli_ingest_of_an_article_url(
    env: Path, server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """`briefbot ingest <article URL>` stores the article; a second time it is a duplicate."""
    url = server.url("/port/cranes")
    assert main(["ingest", url]) == 0
    assert capsys.readouterr().out.startswith("Added 1 article (")
    assert main(["ingest", url]) == 0
    assert "0 articles" in capsys.readouterr().out
    assert main(["latest", "--json"]) == 0
    assert '"title": "Dockers fix the harbour cranes"' in capsys.readouterr().out
