"""Handlers for questions, edits and the access gate: parse, call retrieval, render, send.

Retrieval and the bot's sqlite tables are synchronous, so every call to them leaves the event
loop through ``asyncio.to_thread``: one slow query never stalls the other chats.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import time
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardMarkup, Message, MessageEntity, Update
from telegram.constants import ChatAction, ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import ApplicationHandlerStop

from bot import buttons, render, render_search
from bot.context import BriefContext, Services
from bot.feedback_buttons import feedback_row
from bot.guard import Access
from bot.retry import failure_line, is_outage, may_have_arrived
from bot.state import Owner
from retrieval import (
    QueryError,
    SearchResult,
)

log = logging.getLogger(__name__)

REFUSAL = "Sorry, this bot is private. Ask its operator for access."
# Seconds a search may take before the chat is shown "typing…".
TYPING_AFTER = 0.3
# Questions being searched at once above which no typing indicator is sent (see below).
TYPING_MAX_IN_FLIGHT = 8


def addressed_text(message: Message, bot_id: int, username: str) -> str | None:
    """The question in ``message``, or None if it is group chatter not meant for the bot.

    In private chats everything is a question. In groups the bot answers only when mentioned
    (the mention is removed from the question) or when someone replies to one of its messages.
    """
    text = message.text or ""
    if message.chat.type == ChatType.PRIVATE:
        return text
    mention = f"@{username}".lower()
    for entity, value in message.parse_entities([MessageEntity.MENTION]).items():
        if value.lower() == mention:
            # Entity offsets count UTF-16 code units, not Python characters.
            units = text.encode("utf-16-le")
            start, end = 2 * entity.offset, 2 * (entity.offset + entity.length)
            return (units[:start] + units[end:]).decode("utf-16-le").strip()
    replied = message.reply_to_message
    # In forum topics every message "replies" to the topic's opening service message.
    if replied and replied.from_user and replied.from_user.id == bot_id:
        return None if replied.forum_topic_created else text
    return None


def command_argument(message: Message) -> str:
    """Everything after ``/command`` (or ``/command@BotName``), with line breaks kept."""
    text = message.text or ""
    for entity in message.entities:
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            return text[entity.length :].strip()
    return text.strip()


Callback = Callable[[Update, BriefContext], Coroutine[Any, Any, None]]


def log_answer(update: Update, services: Services, what: str, started: float, count: int) -> None:
    """One line per answered update: what, chat type, result count and latency."""
    chat = update.effective_chat
    seconds = time.perf_counter() - started
    line = "answered %s in %s chat: %s, %.1f ms"
    found = render.counted(count, "result")
    args: tuple[object, ...] = (what, chat.type if chat else "unknown", found, seconds * 1000)
    message = update.effective_message
    if services.settings.log_questions and message and message.text:
        line += " (question: %r)"
        args += (message.text,)
    log.info(line, *args)


def logs_answer(what: str) -> Callable[[Callback], Callback]:
    """Give a handler that answers without searching its one log line too."""

    def wrap(callback: Callback) -> Callback:
        @functools.wraps(callback)
        async def logged(update: Update, context: BriefContext) -> None:
            started = time.perf_counter()
            await callback(update, context)
            log_answer(update, context.services, what, started, 0)

        return logged

    return wrap


async def send_answer(
    update: Update, context: BriefContext, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Reply to the question, or edit the earlier answer if the question was edited.

    The question -> answer link is stored, so an edit made after a restart still edits.
    """
    message = update.effective_message
    if message is None:
        return
    state = context.services.state
    if update.edited_message:
        answer_id = await asyncio.to_thread(state.answer_for, message.chat_id, message.message_id)
        if answer_id is not None:
            try:
                await context.bot.edit_message_text(
                    text, chat_id=message.chat_id, message_id=answer_id, reply_markup=markup
                )
                return
            except BadRequest as error:
                if "not modified" in error.message.lower():
                    return
                # The answer was deleted or can no longer be edited: answer afresh below.
                log.info("could not edit answer %s: %s", answer_id, error.message)
    sent = await message.reply_text(text, reply_markup=markup)
    await asyncio.to_thread(state.link_answer, message.chat_id, message.message_id, sent.message_id)


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


def is_for_bot(update: Update, bot_id: int, username: str) -> bool:
    """Whether the bot would act on ``update``: a button, a command, or an addressed question."""
    if update.callback_query or update.inline_query:
        return True
    message = update.effective_message
    if message is None:
        return False
    if message.text and message.text.startswith("/"):
        return True
    return addressed_text(message, bot_id, username) is not None


async def gate(update: Update, context: BriefContext) -> None:
    """Stop updates from people not on the allowlist; refuse once per chat, then stay silent."""
    if not isinstance(update, Update):
        return
    if not is_for_bot(update, context.bot.id, context.bot.username):
        return
    user, chat = update.effective_user, update.effective_chat
    access = context.services.guard.access(user.id if user else None, chat.id if chat else None)
    if access is Access.ALLOW:
        return
    if access is Access.REFUSE:
        if update.callback_query:
            await update.callback_query.answer(REFUSAL, show_alert=True)
        elif update.inline_query:
            await update.inline_query.answer([], is_personal=True)
        elif update.effective_message:
            await update.effective_message.reply_text(REFUSAL)
    raise ApplicationHandlerStop


APOLOGY = "Sorry, something went wrong while answering. Please try again."


async def on_error(update: object, context: BriefContext) -> None:
    """Log the failure first, then apologise; the application keeps serving other updates.

    The update itself is not logged: it holds the user's question. A Bot API that failed
    (after ``bot.retry``'s attempts) is not a bug: one line with the cause, no traceback, and
    no apology when the answer may have arrived after all.
    """
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    if is_outage(error) and isinstance(error, TelegramError):
        if update is None and context.job is None and context.coroutine is None:
            return  # a failed poll: bot.retry.PollWatch logs each outage once
        log.error("update %s failed: %s", update_id, failure_line(error))
        if may_have_arrived(error):
            return
    else:
        log.error("update %s failed", update_id, exc_info=error)
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query:
            await update.callback_query.answer(APOLOGY)
        elif update.effective_message:
            await update.effective_message.reply_text(APOLOGY)
    except TelegramError as error:
        # Telegram itself may be what failed; the log line above already says what happened.
        log.warning("could not apologise for update %s: %s", update_id, error)
