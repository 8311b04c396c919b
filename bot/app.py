"""The application factory: one application per process, built for that process's role.

``build_application`` is the only place the bot is wired: defaults, services for the role
(``bot.roles``), handlers (in one ordered block), the error handler, start-up and shutdown
hooks. Tests call it with a recording request instead of the network; ``bot.runtime`` calls it
with the real one and starts and stops each role.
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
from telegram.request import BaseRequest, HTTPXRequest

from bot import commands, feedback_buttons, live, menus
from bot.browse import on_button
from bot.context import BotData, BriefContext, Services
from bot.feedback import on_feedback
from bot.handlers import gate, logs_answer, on_error, send_answer
from bot.inline import on_inline
from bot.pool import Pool
from bot.questions import on_text
from bot.retry import PollWatch, RetryingRequest
from bot.roles import Role
from bot.settings import Settings
from bot.transport import AiohttpRequest
from retrieval import (
    Engine,
)

log = logging.getLogger(__name__)

# PTB 22 warns (a line on stderr, an error under pytest) each time it builds a RetryAfter for a
# 429 unless durations are opted into timedelta; nothing here reads those durations.
os.environ.setdefault("PTB_TIMEDELTA", "1")

BriefApp = Application[
    ExtBot[int], BriefContext, dict[Any, Any], dict[Any, Any], BotData, JobQueue[Any]
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


def use_worker_threads() -> None:
    """Give the running event loop the few worker threads searches and store calls run on."""
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(WORKER_THREADS, thread_name_prefix="briefbot")
    )
    sys.setswitchinterval(SWITCH_INTERVAL)


async def post_init(app: BriefApp) -> None:
    """Set up the worker threads, publish the command menu, then start the workers (if any)."""
    use_worker_threads()
    services = app.bot_data.services
    # Menus per scope: private chats, groups, and each admin's own chat (every command).
    await menus.publish(app.bot, services.settings.admin_ids)
    if services.pool is not None:
        await services.pool.start()
    if services.live is not None:
        # Polls and alert sends start only once the bot can send: after initialize().
        live.start(app)
    log.info("serving as @%s (%s)", app.bot.username, services.role.value)


async def post_stop(app: BriefApp) -> None:
    """An orderly stop: a webhook server unhooks the bot if the settings ask it to.

    Off by default: with several instances behind one URL, one stopping must not unhook the
    others. PTB calls this only after the application ran, never after a failed start.
    """
    services = app.bot_data.services
    if services.role is Role.WEBHOOK and services.settings.delete_webhook_on_stop:
        await app.bot.delete_webhook()
        log.info("webhook removed")


async def post_shutdown(app: BriefApp) -> None:
    """Release everything once nothing can use it any more, also after a failed start.

    The one place the pool and the bot's tables close. When the first Bot API call fails (a
    bad token, an unreachable server), PTB skips its own shutdown, which would leave the HTTP
    sessions open; closing twice is harmless.
    """
    services = app.bot_data.services
    if services.pool is not None:
        await services.pool.close()  # the workers finish what they hold first
    await app.bot.shutdown()
    services.close()


def bot_api_request(settings: Settings, connections: int) -> BaseRequest:
    """The Bot API client the settings name: Briefbot's aiohttp one or PTB's own httpx one."""
    if settings.transport == "httpx":
        return HTTPXRequest(connection_pool_size=connections)
    return AiohttpRequest(connections)


@logs_answer("unknown command")
async def unknown_command(update: Update, context: BriefContext) -> None:
    """Point to /help instead of staying silent about a typo."""
    await send_answer(update, context, UNKNOWN_COMMAND)


def build_application(
    settings: Settings,
    engine: Engine,
    role: Role = Role.SINGLE,
    *,
    pool: Pool | None = None,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
) -> BriefApp:
    """Wire the bot for ``settings`` around ``engine`` as ``role``; pass requests to replace
    the network.

    Every request, given or made here, goes through ``bot.retry``'s policy for failed calls.
    A ``PARENT`` hands updates that pass the access gate to the workers of ``pool``. A
    ``WORKER`` gets only what answering uses: no updater, no job queue, no source tracker.
    """
    if role.forwards != (pool is not None):
        raise ValueError(f"a {role.value} needs a pool exactly when it forwards updates")
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .context_types(ContextTypes(context=BriefContext, bot_data=BotData))
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
    builder = builder.request(
        RetryingRequest(request or bot_api_request(settings, CONNECTION_POOL))
    )
    watch = PollWatch() if role.polls else None
    if role.has_updater:
        builder = builder.get_updates_request(
            RetryingRequest(get_updates_request or bot_api_request(settings, 1), watch)
        )
    else:
        builder = builder.updater(None)
    if not role.runs_background:
        # PTB documents None as "no job queue"; its type hint leaves None out.
        builder = builder.job_queue(None)  # type: ignore[arg-type]
    app: BriefApp = builder.build()
    if watch is not None:
        watch.on_rejected = app.stop_running  # a token revoked while running: stop, not deaf
    app.bot_data.services = Services.create(
        settings,
        engine,
        role,
        live=live.open_live(engine) if role.runs_background else None,
        pool=pool,
        poll_watch=watch,
    )

    # Group -2 runs before every other group, so nobody off the allowlist reaches a handler
    # (or a worker process: group -1 hands updates over to those).
    app.add_handler(TypeHandler(Update, gate), group=-2)
    if pool is not None:
        pool.attach(app, group=-1, record=app.bot_data.services.stats.record)
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
