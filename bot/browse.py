"""Browsing without typing: result pages, whole passages and the /latest list, via buttons.

Every button re-reads what it shows from the stored query text or the engine, so a button
pressed after a restart shows the same thing as before it; one that points at nothing any more
gets a polite notice instead of an error. A query is shown only to whoever may see it
(``bot.state.BotState.query``): a button pressed in another chat, or forged, gets the same
notice as an expired one and learns nothing.
"""

from __future__ import annotations

import asyncio
import math
import time

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot import buttons, render, render_search
from bot.buttons import LatestButton, NoopButton, OpenButton, PageButton, owner_of
from bot.context import BriefContext, Services
from bot.feedback_buttons import WhyButton
from bot.handlers import log_answer, send_answer
from bot.questions import parse_stored, results_view, search_page
from bot.state import Owner
from retrieval import (
    QueryError,
    Retirement,
)

STALE = "This button has expired. Please send your question again."
LATEST_MAX = 100

View = tuple[str, InlineKeyboardMarkup | None]


def latest_view(services: Services, count: int, page: int) -> tuple[View, int]:
    """Page ``page`` of the newest ``count`` briefings, and how many are listed (in a thread)."""
    page_size = services.settings.page_size
    total = min(count, services.engine.count_articles())
    pages = max(1, math.ceil(total / page_size))
    page = min(max(page, 0), pages - 1)
    offset = page * page_size
    articles = services.engine.latest(min(page_size, total - offset), offset) if total else []
    text = render.latest_page(articles, offset, total)
    return (text, buttons.latest_keyboard(count, page, pages)), len(articles)


def page_view(services: Services, button: PageButton, presser: Owner) -> tuple[View, int] | None:
    """Run the stored query again and show one page of it, if ``presser`` may (in a thread)."""
    stored = services.state.stored(button.qid, presser)
    if stored is None:
        return None
    query, related_to = parse_stored(stored.text)
    try:
        result = search_page(
            services, query, button.page, related=bool(related_to), as_of=stored.asked
        )
    except QueryError:
        return None  # the engine's rules changed since the query was stored
    page_size = services.settings.page_size
    return results_view(result, button.qid, page_size, related_to), result.total


def passage_view(services: Services, button: OpenButton, presser: Owner) -> tuple[View, int] | None:
    """One whole passage with the stored query's words in bold (in a thread).

    The bold words would give the query away, so this too is only for whoever may see it.
    """
    engine = services.engine
    stored = services.state.query(button.qid, presser)
    if stored is None:
        return None
    retired = engine.retirement(button.passage_id)
    if retired is not None:
        return retired_view(retired, button), 0
    query, related_to = parse_stored(stored)
    opened = engine.open_passage(button.passage_id, query, related=bool(related_to))
    if opened is None:
        return None
    text = render_search.passage_view(opened.article, opened.passage, opened.highlights)
    keyboard = buttons.passage_keyboard(button.qid, opened, button.page)
    why = WhyButton(button.qid, opened.passage.id, button.page)
    rows = [*keyboard.inline_keyboard, [InlineKeyboardButton("Why?", callback_data=why.data())]]
    return (text, InlineKeyboardMarkup(rows)), 1


def retired_view(retired: Retirement, button: OpenButton) -> View:
    """What a button pointing at a replaced or removed briefing shows instead of an error."""
    title = render.short(retired.title, render.TITLE_CHARS)
    if retired.successor is None:
        text = f"This briefing was removed: <b>{title}</b> is no longer available."
        successor = None
    else:
        text = f"This briefing was updated since: <b>{title}</b> has a new version."
        successor = retired.successor_first
    return text, buttons.retired_keyboard(button.qid, button.page, successor)


async def on_button(update: Update, context: BriefContext) -> None:
    """Answer a button press by editing the message it sits under."""
    started = time.perf_counter()
    press = update.callback_query
    if press is None:
        return
    services = context.services
    button = buttons.parse_button(press.data)
    presser = owner_of(update)
    shown: tuple[View, int] | None = None
    if isinstance(button, NoopButton):
        await press.answer()
        return
    if isinstance(button, PageButton) and presser is not None:
        shown = await asyncio.to_thread(page_view, services, button, presser)
    elif isinstance(button, OpenButton) and presser is not None:
        shown = await asyncio.to_thread(passage_view, services, button, presser)
    elif isinstance(button, LatestButton):
        shown = await asyncio.to_thread(latest_view, services, button.count, button.page)
    if shown is None:
        await press.answer(STALE, show_alert=True)
        return
    (text, markup), count = shown
    try:
        await press.edit_message_text(text, reply_markup=markup)
    except BadRequest as error:
        # A double press asks for what is already shown; anything else is a real failure.
        if "not modified" not in error.message.lower():
            raise
    await press.answer()
    log_answer(update, services, type(button).__name__, started, count)


async def show_latest(update: Update, context: BriefContext, count: int) -> None:
    """Reply to /latest with the first page of the newest ``count`` briefings."""
    started = time.perf_counter()
    message = update.effective_message
    if message is None:
        return
    services = context.services
    count = min(max(count, 1), LATEST_MAX)
    (text, markup), shown = await asyncio.to_thread(latest_view, services, count, 0)
    await send_answer(update, context, text, markup)
    log_answer(update, services, "latest", started, shown)
