"""Commands for watches (/watch, /watches, /unwatch, /forgetme) and operators (/ingest, /sources).

Parse, call a synchronous table or the engine in a thread, render, send: like every handler.
Who may run the operator commands is decided where they are registered (``bot.app``), so a
non-admin gets exactly the unknown-command reply.
"""

from __future__ import annotations

import asyncio
import functools
from datetime import UTC, datetime

from telegram import Update

from bot import render_alerts
from bot.context import BriefContext
from bot.handlers import command_argument, logs_answer, send_answer
from bot.live import after_ingest
from bot.render import usage
from bot.votes import forgot_votes
from bot.watches import Forgotten, WatchCapError
from retrieval import (
    IngestSummary,
    QueryError,
    SourceError,
    load_url,
)

WATCH_USAGE = (
    "Usage: /watch <words>, e.g. /watch grain exports. I will send you new briefings that match."
)
UNWATCH_USAGE = "Usage: /unwatch <id>, e.g. /unwatch 3. /watches lists the ids."
INGEST_USAGE = "Usage: /ingest <http(s) URL of a feed or an article>."
REMOVE_USAGE = (
    "Usage: /remove <article URL or id> (several may follow), or /remove source <name> for "
    "every article of a source. They leave results and alerts at once."
)
# per ("chat" or "user") -> what a refused /watch says; the caps are settings ([watches]).
TOO_MANY = {
    "chat": "This chat already has {} watches, the most I keep. Stop one with /unwatch <id> first.",
    "user": (
        "You already have {} watches across your chats, the most I keep for one person. "
        "Stop one with /unwatch <id> in the chat that has it first."
    ),
}


def _ids(update: Update) -> tuple[int, int] | None:
    """(chat id, user id) of the update; None for updates without both."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return None
    return chat.id, user.id


@logs_answer("watch")
async def watch(update: Update, context: BriefContext) -> None:
    """Save a search for this chat, after checking it is one the engine can run."""
    ids, message = _ids(update), update.effective_message
    if ids is None or message is None:
        return
    query = " ".join(command_argument(message).split())
    if not query:
        await send_answer(update, context, usage(WATCH_USAGE))
        return
    engine = context.services.engine
    related = engine.too_long(query)  # watched by its telling terms, as a search would be
    try:
        await asyncio.to_thread(engine.query_terms, query, related=related)
    except QueryError as error:
        await send_answer(update, context, usage(f"{error}\n{WATCH_USAGE}"))
        return
    store, settings = context.services.watches, context.services.settings
    topic = message.message_thread_id if message.is_topic_message else None
    add = functools.partial(
        store.add_watch,
        per_chat=settings.watches_per_chat,
        per_user=settings.watches_per_user,
    )
    try:
        saved, new = await asyncio.to_thread(add, ids[0], ids[1], query, topic)
    except WatchCapError as full:
        await send_answer(update, context, usage(TOO_MANY[full.per].format(full.cap)))
        return
    await send_answer(update, context, render_alerts.watch_saved(saved, new=new, related=related))


@logs_answer("watches")
async def watches(update: Update, context: BriefContext) -> None:
    """List this chat's watches with the ids /unwatch takes."""
    chat = update.effective_chat
    if chat is None:
        return
    found = await asyncio.to_thread(context.services.watches.watches, chat.id)
    await send_answer(update, context, render_alerts.watch_list(found))


@logs_answer("unwatch")
async def unwatch(update: Update, context: BriefContext) -> None:
    """Stop one of this chat's watches; another chat's id is refused like an unknown one."""
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None:
        return
    argument = command_argument(message).lstrip("#")
    if not (argument.isascii() and argument.isdigit()):
        await send_answer(update, context, usage(UNWATCH_USAGE))
        return
    watch_id = int(argument)
    store = context.services.watches
    removed = await asyncio.to_thread(store.remove_watch, chat.id, watch_id)
    if removed:
        await asyncio.to_thread(store.alerts.forget, [watch_id])
    await send_answer(update, context, render_alerts.unwatched(watch_id, removed=removed))


@logs_answer("forgetme")
async def forgetme(update: Update, context: BriefContext) -> None:
    """Delete the user's watches, alerts, alert history and stored questions; say what went."""
    ids = _ids(update)
    if ids is None:
        return
    chat_id, user_id = ids
    services = context.services
    # Each owner forgets what its tables hold; in the user's private chat also its history.
    private = chat_id if chat_id == user_id else None
    watch_ids = await asyncio.to_thread(services.watches.forget, user_id)
    alerts = await asyncio.to_thread(services.watches.alerts.forget, watch_ids, private)
    questions = await asyncio.to_thread(services.state.forget, user_id, chat_id)
    votes = await asyncio.to_thread(services.votes.forget, user_id)
    services.guard.forget(user_id)
    forgotten = Forgotten(len(watch_ids), alerts)
    text = render_alerts.forgot(forgotten, questions) + forgot_votes(votes)
    await send_answer(update, context, text)


def _ingest_now(context: BriefContext, url: str) -> tuple[IngestSummary | None, str | None]:
    """Fetch ``url`` and ingest it (in a thread): through the tracker if it is a configured
    source, so its validators and status stay right; else a one-off download."""
    services, live = context.services, context.services.background()
    every = {s.location: s.every for s in services.settings.sources}
    if url in every:
        result = live.tracker.poll(url, every[url])
        return result.summary, result.error
    try:
        report = load_url(url, timeout=live.tracker.timeout, max_bytes=live.tracker.max_bytes)
    except SourceError as error:
        return None, str(error)
    return services.engine.ingest(report), None


@logs_answer("ingest")
async def ingest(update: Update, context: BriefContext) -> None:
    """Admins: fetch a feed or article now, report what was added and skipped, then alert."""
    message = update.effective_message
    if message is None:
        return
    url = command_argument(message)
    if not url.lower().startswith(("http://", "https://")) or len(url.split()) != 1:
        # Only URLs: a path typed in Telegram must never read the server's files.
        await send_answer(update, context, usage(INGEST_USAGE))
        return
    summary, error = await context.services.background().run(_ingest_now, context, url)
    await send_answer(update, context, render_alerts.ingest_result(url, summary, error))
    if summary is not None and (summary.added or summary.updated):
        await after_ingest(context.application, summary)


@logs_answer("remove")
async def remove(update: Update, context: BriefContext) -> None:
    """Admins: remove articles by URL or id, or a whole source; say what went, drop their
    pending alerts and have the worker processes stop showing them."""
    message = update.effective_message
    if message is None:
        return
    words = command_argument(message).split()
    targets: list[str] = words
    source: str | None = None
    if words and words[0].lower() in ("source", "source:"):
        targets, source = [], " ".join(words[1:])
    if not words or source == "":
        await send_answer(update, context, usage(REMOVE_USAGE))
        return
    services = context.services
    remove_now = functools.partial(services.engine.remove, targets, source=source)
    removed = await services.background().run(remove_now)
    if removed.articles:
        gone = [info.id for info in removed.articles]
        await asyncio.to_thread(services.watches.alerts.drop_pending, gone)
        if services.pool is not None:
            services.pool.refresh()
    await send_answer(update, context, render_alerts.removed_text(removed, targets, source))


@logs_answer("sources")
async def sources(update: Update, context: BriefContext) -> None:
    """Admins: each source's last poll, items added and last error, in plain words."""
    statuses = await asyncio.to_thread(context.services.background().tracker.status)
    configured = context.services.settings.sources
    now = datetime.fromtimestamp(context.services.background().clock(), UTC)
    await send_answer(update, context, render_alerts.sources_text(configured, statuses, now))
