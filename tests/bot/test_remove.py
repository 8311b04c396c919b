"""Admin /remove, updated feed entries, and buttons that point at a replaced briefing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from bot_harness import Bot, start_bot
from feed_server import FeedServer, feed_server
from html_check import html_problems
from live_harness import PROXY_VARIABLES, Clock, live_bot
from telegram_fakes import FakeBotApi, Updates
from writers import marker, numbered

from bot.buttons import OpenButton, parse_button
from bot.live import catch_up, poll_source, send_alerts
from bot.settings import Settings, Source
from retrieval.engine import Engine

ADMIN = 900
ENTRIES = [
    ("Grain corridor reopens", "https://wire.example/grain", "Ships carrying grain left Odesa."),
    ("Drone strike on depot", "https://wire.example/depot", "A fuel depot burned overnight."),
]


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FeedServer]:
    """A feed with two entries on loopback (proxy variables cleared so urllib goes direct)."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    with feed_server() as httpd:
        httpd.entries = list(ENTRIES)
        yield httpd


@pytest.fixture
def feed(server: FeedServer) -> Source:
    """The feed as a configured source."""
    return Source(server.url("/feed"), 60.0)


@pytest.fixture
async def polling(
    settings: Settings, feed: Source, engine: Engine, api: FakeBotApi
) -> AsyncIterator[Bot]:
    """A bot with live services that polls the feed."""
    async with live_bot(replace(settings, sources=(feed,)), engine, api, Clock()) as bot:
        yield bot


def keyboard(params: dict[str, object]) -> list[tuple[str, str]]:
    """``(label, callback_data)`` of every button in a recorded reply_markup."""
    markup = params.get("reply_markup")
    assert isinstance(markup, dict)
    return [(b["text"], b["callback_data"]) for row in markup["inline_keyboard"] for b in row]


async def test_remove_by_url_confirms_and_the_article_leaves_search(
    polling: Bot, engine: Engine, feed: Source, updates: Updates
) -> None:
    """/remove with an article's URL (tracking parameters aside) says what went, and the
    article is gone from the next answer."""
    await poll_source(polling.app, feed)
    await polling.send(
        updates.message("/remove https://wire.example/depot?utm_source=x", user_id=ADMIN)
    )
    text = polling.texts()[-1]
    assert html_problems(text) == []
    assert text.startswith("Removed 1 article (1 passage).")
    assert "Drone strike on depot" in text
    assert engine.search("fuel depot").hits == ()
    await polling.send(updates.message("fuel depot"))
    assert "Drone strike" not in polling.texts()[-1]


async def test_remove_a_whole_source(
    polling: Bot, engine: Engine, feed: Source, updates: Updates
) -> None:
    """/remove source <name> removes every article of that source, whatever its case."""
    before = engine.count_articles()
    await poll_source(polling.app, feed)
    name = engine.search("fuel depot").hits[0].article.source
    assert name
    await polling.send(updates.message(f"/remove source {name.upper()}", user_id=ADMIN))
    assert polling.texts()[-1].startswith("Removed 2 articles (2 passages).")
    assert engine.count_articles() == before


async def test_removing_drops_alerts_not_sent_yet(
    polling: Bot, engine: Engine, feed: Source, updates: Updates
) -> None:
    """An alert queued for a briefing that is removed before it went out is never sent."""
    await polling.send(updates.message("/watch fuel depot"))
    await poll_source(polling.app, feed)
    assert polling.app.bot_data.services.watches.alerts.chats_with_pending() == [501]
    await polling.send(updates.message("/remove https://wire.example/depot", user_id=ADMIN))
    assert polling.app.bot_data.services.watches.alerts.chats_with_pending() == []
    assert await send_alerts(polling.app, 501) is None
    assert not any(text.startswith("<b>1 new briefing") for text in polling.texts())


@pytest.mark.parametrize(
    ("argument", "reply"),
    [
        ("", "Usage: /remove"),
        ("source", "Usage: /remove"),
        ("no-such-id", "Nothing removed: no stored article has id or URL 'no-such-id'."),
        ("source Nobody", "Nothing removed: no stored article has source 'Nobody'."),
    ],
    ids=["none", "source-without-name", "unknown-id", "unknown-source"],
)
async def test_remove_that_matches_nothing_says_so(
    polling: Bot, engine: Engine, updates: Updates, argument: str, reply: str
) -> None:
    """No argument gets the usage line; nothing matching is said plainly; nothing is removed."""
    before = engine.count_articles()
    await polling.send(updates.message(f"/remove {argument}".strip(), user_id=ADMIN))
    text = polling.texts()[-1]
    assert html_problems(text) == []
    assert text.replace("&#x27;", "'").startswith(reply)
    assert engine.count_articles() == before


async def test_remove_is_for_admins_only(
    polling: Bot, engine: Engine, feed: Source, updates: Updates
) -> None:
    """A non-admin's /remove gets the unknown-command reply and removes nothing."""
    await poll_source(polling.app, feed)
    count = engine.count_articles()
    await polling.send(updates.message("/remove https://wire.example/depot", user_id=501))
    assert "Removed" not in polling.texts()[-1]
    assert engine.count_articles() == count


async def test_an_updated_entry_replaces_the_briefing_and_old_buttons_offer_the_new_version(
    polling: Bot, engine: Engine, feed: Source, server: FeedServer, updates: Updates
) -> None:
    """A corrected feed entry replaces the stored briefing (/sources counts it updated); the
    open button of an answer given before says it was updated and opens the new version."""
    await poll_source(polling.app, feed)
    await polling.send(updates.message("fuel depot burned"))
    answer = polling.api.calls_to("sendMessage")[-1].params
    opened = parse_button(keyboard(answer)[0][1])
    assert isinstance(opened, OpenButton)
    title, link, text = server.entries[1]
    server.entries[1] = (title, link, text + " Firefighters contained the blaze by noon.")
    await poll_source(polling.app, feed)
    assert [hit.passage.text for hit in engine.search("depot").hits] == [
        "A fuel depot burned overnight. Firefighters contained the blaze by noon."
    ]
    await polling.send(updates.message("/sources", user_id=ADMIN))
    assert "updated 1 (total 1)" in polling.texts()[-1]
    await polling.send(updates.button(opened.data()))
    edit = polling.api.calls_to("editMessageText")[-1].params
    assert html_problems(str(edit["text"])) == []
    assert str(edit["text"]).startswith("This briefing was updated since")
    (new_label, new_data), (back_label, _) = keyboard(edit)
    assert (new_label, back_label) == ("Open the new version", "Back to results")
    await polling.send(updates.button(new_data))
    shown = str(polling.api.calls_to("editMessageText")[-1].params["text"])
    assert "Firefighters contained the blaze" in shown


async def test_a_button_on_a_removed_briefing_says_so(
    polling: Bot, engine: Engine, feed: Source, updates: Updates
) -> None:
    """The open button of a removed briefing says it was removed and offers only the way back."""
    await poll_source(polling.app, feed)
    await polling.send(updates.message("fuel depot burned"))
    opened = parse_button(keyboard(polling.api.calls_to("sendMessage")[-1].params)[0][1])
    assert isinstance(opened, OpenButton)
    await polling.send(updates.message("/remove https://wire.example/depot", user_id=ADMIN))
    await polling.send(updates.button(opened.data()))
    edit = polling.api.calls_to("editMessageText")[-1].params
    assert str(edit["text"]).startswith("This briefing was removed")
    assert [label for label, _ in keyboard(edit)] == ["Back to results"]


async def test_a_removal_by_another_process_leaves_the_bot_answers_at_once(
    settings: Settings, api: FakeBotApi, updates: Updates, tmp_path: Path
) -> None:
    """`briefbot remove` beside the running bot: the next answer already leaves the article
    out, and the next catch-up masks it (the article count drops) though nothing was added."""
    db = tmp_path / "b.sqlite3"
    engine = Engine.open(db)
    engine.ingest(numbered("r", 2))
    async for bot in start_bot(settings, engine, api):
        other = Engine.open(db)
        assert [info.id for info in other.remove(["r-1"]).articles] == ["r-1"]
        other.close()
        await bot.send(updates.message(marker("r", 1)))
        assert f"Briefing {marker('r', 1)}" not in bot.texts()[-1]
        assert engine.count_articles() == 2
        assert await catch_up(bot.app) == 0
        assert engine.count_articles() == 1
        assert engine.stats().retired == 1
    engine.close()
