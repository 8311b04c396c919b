"""Watch alerts: match newly ingested passages, then send each chat one message per batch.

Matching is synchronous (engine and sqlite) and runs in a worker thread; sending is async and
goes through the application's bot, so Telegram's flood limits are respected by the app's
``AIORateLimiter``. Scheduling (when to send) is ``bot.live``'s job; this module only decides
whether the hourly cap allows a send now and does it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from telegram import Bot
from telegram.error import BadRequest, Forbidden

from bot import render_alerts
from bot.alert_queue import HOUR
from bot.watches import WatchStore
from retrieval import (
    Engine,
    Hit,
    IngestSummary,
    QueryError,
)

log = logging.getLogger(__name__)

# Telegram's answers when a chat can never receive messages again: stop alerting it.
GONE = (
    "chat not found",
    "bot was blocked",
    "bot was kicked",
    "user is deactivated",
    "group chat was deleted",
)


def match_new(
    engine: Engine, store: WatchStore, summary: IngestSummary, min_match: float, now: float
) -> list[int]:
    """Queue an alert for each watch the new passages match; return the chats with new alerts.

    Each distinct query is scored once however many chats watch it. A chat gets at most one
    alert per article, whichever of its watches matched first (the table enforces it).
    """
    if summary.passages == 0:
        return []
    chats: set[int] = set()
    found: dict[str, list[Hit]] = {}
    for watch in store.watches():
        if watch.query not in found:
            try:
                found[watch.query] = engine.watch_hits(
                    watch.query, since=summary.first_passage, min_match=min_match
                )
            except QueryError:
                # Saved under other analysis settings (e.g. another language): skip, don't fail.
                found[watch.query] = []
        if found[watch.query] and store.alerts.queue(
            watch.chat_id, watch.id, watch.query, found[watch.query], now
        ):
            chats.add(watch.chat_id)
    return sorted(chats)


def cap_delay(sends: Sequence[float], cap: int, now: float) -> float:
    """Seconds until a chat that got messages at ``sends`` may get one more (0: now).

    At most ``cap`` messages in any hour; a cap of 0 means no cap. ``sends`` is sorted.
    """
    recent = [sent for sent in sends if sent > now - HOUR]
    if cap <= 0 or len(recent) < cap:
        return 0.0
    return recent[len(recent) - cap] + HOUR - now


async def send_pending(
    bot: Bot, store: WatchStore, chat_id: int, cap: int, now: float
) -> float | None:
    """Send the chat's pending alerts as one message if the cap allows.

    Returns the seconds after which to try again (over the cap, or alerts left that did not fit
    in one message), or None when nothing is left to send. Alerts are claimed before sending,
    so a crash can lose one batch but never repeat it; a failed send releases them again; a
    batch another process claimed first is left to it.
    """
    pending = await asyncio.to_thread(store.alerts.pending, chat_id)
    if not pending:
        return None
    sends = await asyncio.to_thread(store.alerts.sends_since, chat_id, now - HOUR)
    wait = cap_delay(sends, cap, now)
    if wait > 0:
        return wait
    # One message per forum topic: the alerts of watches set in the first alert's topic.
    topic = [alert for alert in pending if alert.thread_id == pending[0].thread_id]
    text, shown = render_alerts.alerts_message(topic)
    ids = [alert.article.id for alert in topic[:shown]]
    if not await asyncio.to_thread(store.alerts.claim, chat_id, ids, now):
        # Another process sends these; read what is still pending again.
        return 0.0
    try:
        await bot.send_message(chat_id, text, message_thread_id=pending[0].thread_id)
    except (Forbidden, BadRequest) as error:
        if isinstance(error, Forbidden) or any(g in error.message.lower() for g in GONE):
            log.info("chat %s cannot receive alerts (%s): dropping its watches", chat_id, error)
            await asyncio.to_thread(store.drop_chat, chat_id)
            await asyncio.to_thread(store.alerts.drop_chat, chat_id)
            return None
        await asyncio.to_thread(store.alerts.release, chat_id, ids, now)
        raise
    except BaseException:
        await asyncio.to_thread(store.alerts.release, chat_id, ids, now)
        raise
    log.info("sent %d alerts to chat %s", shown, chat_id)
    return 0.0 if shown < len(pending) else None
