"""The access gate and the error handler, and what every handler answers with.

Here: what in a chat is addressed to the bot, a command's argument, one log line per answer,
and the reply that edits the earlier answer when a question is edited. Answering a question
(search, remember, reply) is :mod:`bot.questions`. Retrieval and the bot's sqlite tables are
synchronous, so every call to them leaves the event loop through ``asyncio.to_thread``: one
slow query never stalls the other chats.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import InlineKeyboardMarkup, Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import ApplicationHandlerStop

from bot import render
from bot.context import BriefContext, Services
from bot.guard import Access
from bot.retry import failure_line, is_outage, may_have_arrived
from retrieval import StoreError

log = logging.getLogger(__name__)

REFUSAL = "Sorry, this bot is private. Ask its operator for access."


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
    elif isinstance(error, StoreError):
        # A damaged or unreadable store or index is the operator's to fix, not a bug: the
        # message names what to do (e.g. the index folder to delete); a traceback adds nothing.
        log.error("update %s failed: %s", update_id, error)
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
