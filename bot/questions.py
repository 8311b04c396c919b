"""Answering a question: search in a thread, remember it for the buttons, reply with a page.

Kept apart from :mod:`bot.handlers` (the gate, the error handler and the reply and log
helpers every handler shares) because a question is the one update that searches: it is
rate limited, may show "typing…", is remembered for its result buttons (a forwarded or pasted
message marked so the buttons search it the same way), and its results page comes back
through :func:`results_view`, which the page buttons use too.
"""

from __future__ import annotations

import asyncio
import math
import time
from datetime import datetime

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction

from bot import buttons, render, render_search
from bot.context import BriefContext, Services
from bot.feedback_buttons import feedback_row
from bot.handlers import addressed_text, log_answer, send_answer
from bot.state import Owner
from retrieval import QueryError, SearchResult

# Seconds a search may take before the chat is shown "typing…".
TYPING_AFTER = 0.3
# Questions being searched at once above which no typing indicator is sent (see below).
TYPING_MAX_IN_FLIGHT = 8


# A message searched for related briefings is remembered as MARK + how + MARK + text, so its
# buttons search it the same way. The record separator is never typed; a text that starts with
# it anyway is marked too (with no "how"), so every stored text reads back as it was.
RELATED_MARK = "\x1e"


def stored_text(query: str, related_to: str) -> str:
    """The text to remember for ``query``: marked when it is a forwarded or pasted message."""
    if related_to or query.startswith(RELATED_MARK):
        return f"{RELATED_MARK}{related_to}{RELATED_MARK}{query}"
    return query


def parse_stored(text: str) -> tuple[str, str]:
    """The query and how it arrived ("" for a question) from a remembered text."""
    if text.startswith(RELATED_MARK):
        related_to, _, query = text[1:].partition(RELATED_MARK)
        return query, related_to
    return text, ""


def related_to(message: Message, query: str, max_query_chars: int) -> str:
    """``"forwarded"`` or ``"pasted"`` for a message to find related briefings for, else "".

    A forwarded message is somebody else's text, and anything over the question limit is a
    paste: neither is a question, so both are searched by their most telling words.
    """
    if message.forward_origin is not None:
        return "forwarded"
    return "pasted" if len(query.strip()) > max_query_chars else ""


def search_page(
    services: Services,
    query: str,
    page: int,
    *,
    related: bool = False,
    as_of: datetime | None = None,
) -> SearchResult:
    """Rank the results and cite only page ``page`` (clamped into range), in a thread.

    ``as_of`` is the question's "today" (the message's date; default now).
    """
    settings = services.settings
    size, results, share = settings.page_size, settings.results, settings.min_share
    page = max(page, 0)
    engine = services.engine

    def search(offset: int) -> SearchResult:
        return engine.search(
            query,
            results,
            as_of=as_of,
            offset=offset,
            limit=size,
            related=related,
            min_share=share,
        )

    result = search(page * size)
    if result.total and not result.hits:  # a page past the end: show the last one
        result = search((result.total - 1) // size * size)
    return result


def search_and_remember(
    services: Services,
    query: str,
    owner: Owner,
    related_to: str = "",
    as_of: datetime | None = None,
) -> tuple[SearchResult, str]:
    """Search, and store the query for ``owner``'s result buttons to run again (in a thread).

    A declined question is not stored: its reply has no buttons.
    """
    result = search_page(services, query, 0, related=bool(related_to), as_of=as_of)
    stored = stored_text(query, related_to)
    keep = result.hits and not result.abstained
    qid = services.state.remember_query(stored, owner, as_of) if keep else ""
    return result, qid


def results_view(
    result: SearchResult, qid: str, page_size: int, related_to: str = ""
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text and buttons for the page of results ``result`` holds."""
    if not result.hits:
        if related_to:
            return render_search.no_related(related_to), None
        # A range that matched nothing was widened to any date: the words match nothing at all.
        words = result.undated if result.date_range is not None else result.query
        return render_search.no_results(words), None
    if result.abstained:  # no answer: the nearest titles, and nothing to page through
        return render_search.abstained(result), None
    pages = math.ceil(result.total / page_size)
    page = result.offset // page_size
    ranked = [(hit.rank, hit.passage.id) for hit in result.hits]
    text = render_search.results_page(result, related_to=related_to)
    rows = [list(row) for row in buttons.results_keyboard(qid, page, pages, ranked).inline_keyboard]
    first = result.hits[0]
    # Votes and "Why?" between the numbers and the pager, which stays the last row.
    rows.insert(1, feedback_row(qid, first.rank, (first.ranked or first.passage).id, page))
    return text, InlineKeyboardMarkup(rows)


async def answer_question(update: Update, context: BriefContext, query: str) -> None:
    """Search for ``query`` and reply with the first page of cited excerpts."""
    started = time.perf_counter()
    services = context.services
    message = update.effective_message
    user = update.effective_user
    owner = buttons.owner_of(update)
    if message is None or owner is None:
        return
    verdict = services.guard.question(user.id if user else message.chat_id)
    if not verdict.allowed:
        if verdict.tell:
            guard = services.guard
            await message.reply_text(
                render.retry_later(verdict.retry_after, guard.limit, guard.window)
            )
        return
    related = related_to(message, query, services.settings.max_query_chars)
    searching = asyncio.ensure_future(
        asyncio.to_thread(search_and_remember, services, query, owner, related, message.date)
    )
    services.stats.in_flight += 1
    try:
        # Most answers arrive before a typing indicator could even show; sending one anyway
        # would double the Bot API calls, which count against Telegram's flood limits. When
        # many questions queue, answers are slow because the bot is saturated, and typing
        # indicators for all of them would only saturate it further: they are skipped then.
        done, _ = await asyncio.wait({searching}, timeout=TYPING_AFTER)
        if not done and services.stats.in_flight <= TYPING_MAX_IN_FLIGHT:
            await message.reply_chat_action(ChatAction.TYPING)
        result, qid = await searching
    except QueryError as error:
        await send_answer(update, context, render.usage(str(error)))
        log_answer(update, services, "unsearchable question", started, 0)
        return
    finally:
        services.stats.in_flight -= 1
    text, markup = results_view(result, qid, services.settings.page_size, related)
    await send_answer(update, context, text, markup)
    services.stats.record(time.perf_counter() - started)
    log_answer(update, services, f"{related} message" if related else "question", started,
               result.total)  # fmt: skip


async def on_text(update: Update, context: BriefContext) -> None:
    """Answer a free-text question (in groups only when it is meant for the bot)."""
    message = update.effective_message
    if message is None:
        return
    query = addressed_text(message, context.bot.id, context.bot.username)
    if query is not None:
        await answer_question(update, context, query)
