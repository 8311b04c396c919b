"""The application factory and the blocking ``run_bot`` the CLI calls.

``build_application`` is the only place the bot is wired: defaults, handlers (in one ordered
block), the error handler, start-up and shutdown hooks. Tests call it with a recording request
instead of the network; ``run_bot`` calls it with the real one and long-polls, handing updates
to worker processes when given a ``Pool``; each worker builds the same application.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    ExtBot,
    InlineQueryHandler,
    JobQueue,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import commands, feedback_buttons, live, menus
from bot.browse import on_button
from bot.context import SERVICES_KEY, BriefContext, Services, services_in
from bot.feedback import on_feedback
from bot.handlers import gate, logs_answer, on_error, on_text, send_answer
from bot.inline import on_inline
from bot.pool import Pool, pool_in
from bot.retry import PollWatch, RetryingRequest
from bot.settings import Settings
from bot.transport import AiohttpRequest
from retrieval.engine import Engine

log = logging.getLogger(__name__)

# PTB 22 warns (a line on stderr, an error under pytest) each time it builds a RetryAfter for a
# 429 unless durations are opted into timedelta; nothing here reads those durations.
os.environ.setdefault("PTB_TIMEDELTA", "1")

BriefApp = Application[
    ExtBot[int], BriefContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], JobQueue[Any]
]
UNKNOWN_COMMAND = "I don't know that command. /help lists what I can do."
# Retries after Telegram's flood control answers "retry after": a reply is delayed, not lost.
FLOOD_RETRIES = 3
# Threads for searches and store calls (polls have their own, see bot.live). All Python
# threads share one interpreter lock: more threads than cores only queue behind each other and
# starve the event loop (bench/bot.py at 50 chats: 6 threads 32 answers/s, 2 threads 44/s);
# two keep one slow search from holding up everyone else's.
WORKER_THREADS = 2
# How often a busy worker thread yields the interpreter lock to the event loop (default 5 ms):
# a shorter slice keeps replies flowing while a search computes.
SWITCH_INTERVAL = 0.001
# Open connections to the Bot API for replies (the long poll has its own). A reply waits up to
# a second for a free one, so the pool covers every answer that can be in flight at once.
CONNECTION_POOL = 64
WATCH_KEY = "briefbot.poll_watch"


def use_worker_threads() -> None:
    """Give the running event loop the few worker threads searches and store calls run on."""
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(WORKER_THREADS, thread_name_prefix="briefbot")
    )
    sys.setswitchinterval(SWITCH_INTERVAL)


async def post_init(app: BriefApp) -> None:
    """Set up the worker threads and processes, then publish the command menu."""
    use_worker_threads()
    pool = pool_in(app.bot_data)
    if pool is not None:
        await pool.start()
    await menus.publish(app.bot, services_in(app.bot_data).settings.admin_ids)
    # Polls and alert sends start only once the bot can send: after initialize(), on the queue.
    live.start(app)
    log.info("serving as @%s", app.bot.username)


async def post_stop(app: BriefApp) -> None:
    """Polling has stopped: let the worker processes finish what they hold."""
    pool = pool_in(app.bot_data)
    if pool is not None:
        await pool.close()


def close_services(app: BriefApp) -> None:
    """Close the bot's tables; the engine belongs to whoever opened it."""
    services_in(app.bot_data).state.close()
    services_in(app.bot_data).votes.close()
    live.live_in(app.bot_data).close()


async def post_shutdown(app: BriefApp) -> None:
    """Release everything once nothing can use it any more, also after a failed start.

    When the first Bot API call fails (a bad token, an unreachable server), PTB skips its own
    shutdown, which would leave the HTTP sessions open; closing twice is harmless.
    """
    pool = pool_in(app.bot_data)
    if pool is not None:
        await pool.close()
    await app.bot.shutdown()
    close_services(app)


@logs_answer("unknown command")
async def unknown_command(update: Update, context: BriefContext) -> None:
    """Point to /help instead of staying silent about a typo."""
    await send_answer(update, context, UNKNOWN_COMMAND)


def build_application(
    settings: Settings,
    engine: Engine,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    pool: Pool | None = None,
    background: bool = True,
) -> BriefApp:
    """Wire the bot for ``settings`` around ``engine``; pass requests to replace the network.

    Every request, given or made here, goes through ``bot.retry``'s policy for failed calls.
    With ``pool``, updates that pass the access gate go to worker processes (``bot.pool``).
    A worker process builds its application without ``background``: no job queue, since
    source polls and alerts run in the parent.
    """
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .context_types(ContextTypes(context=BriefContext))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .rate_limiter(
            AIORateLimiter(overall_max_rate=settings.flood_rate, max_retries=FLOOD_RETRIES)
        )
        .concurrent_updates(True)
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
    )
    if settings.base_url:
        builder = builder.base_url(settings.base_url)
    if not background:
        # PTB documents None as "no job queue"; its type hint leaves None out.
        builder = builder.job_queue(None)  # type: ignore[arg-type]
    watch = PollWatch()
    builder = builder.request(RetryingRequest(request or AiohttpRequest(CONNECTION_POOL)))
    builder = builder.get_updates_request(
        RetryingRequest(get_updates_request or AiohttpRequest(1), watch)
    )
    app: BriefApp = builder.build()
    watch.on_rejected = app.stop_running  # a token revoked while running: stop, don't poll on
    app.bot_data[WATCH_KEY] = watch
    app.bot_data[SERVICES_KEY] = Services.create(settings, engine)
    live.install(app, settings, engine)

    # Group -2 runs before every other group, so nobody off the allowlist reaches a handler
    # (or a worker process: group -1 hands updates over to those).
    app.add_handler(TypeHandler(Update, gate), group=-2)
    if pool is not None:
        pool.attach(app, group=-1)
    # Commands before free text: "/search x" must never be read as the question "/search x".
    # CommandHandler also sees edited messages, so an edited /search edits its answer.
    admins = filters.User(user_id=settings.admin_ids)
    for command in commands.COMMANDS:
        only = admins if command.admin else None
        app.add_handler(CommandHandler(command.name, command.callback, filters=only))
    # Votes and "Why?" have their own prefixes; every other press is a browsing button.
    app.add_handler(CallbackQueryHandler(on_feedback, pattern=feedback_buttons.PATTERN))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(InlineQueryHandler(on_inline))
    # Free text (new or edited) is a question; commands are excluded so that the
    # unknown-command reply below is the only answer to a mistyped command.
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    # Last: any command nobody above took, in private chats only (in groups it may be for
    # another bot), including admin commands from non-admins.
    app.add_handler(MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, unknown_command))
    app.add_error_handler(on_error)
    return app


def run_bot(settings: Settings, engine: Engine, pool: Pool | None = None) -> None:
    """Long-poll until Ctrl-C or SIGTERM, then shut down cleanly (run_polling handles both).

    Raises ``InvalidToken`` when Telegram rejected the token while running (it was revoked):
    polling stopped for good, so the bot stops too instead of running deaf.
    """
    app = build_application(settings, engine, pool=pool)
    app.run_polling(allowed_updates=["message", "edited_message", "callback_query", "inline_query"])
    watch = app.bot_data.get(WATCH_KEY)
    if isinstance(watch, PollWatch) and watch.rejected:
        raise InvalidToken("the token was rejected while running")
