"""The application factory and the blocking ``run_bot`` the CLI calls.

``build_application`` is the only place the bot is wired: defaults, handlers (in one ordered
block), the error handler, start-up and shutdown hooks. Tests call it with a recording request
instead of the network; ``run_bot`` calls it with the real one and long-polls.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from telegram import BotCommandScopeChat, LinkPreviewOptions, Update
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
    JobQueue,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import commands, live
from bot.browse import on_button
from bot.context import SERVICES_KEY, BriefContext, Services, services_in
from bot.handlers import gate, logs_answer, on_error, on_text, send_answer
from bot.settings import Settings
from retrieval.engine import Engine

log = logging.getLogger(__name__)

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
# Open connections to the Bot API; httpx scans its pool on every request, so a pool much
# larger than the requests actually in flight costs time on every call.
CONNECTION_POOL = 8


async def post_init(app: BriefApp) -> None:
    """Set up the worker threads, then publish the command menu (all commands for admins)."""
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(WORKER_THREADS, thread_name_prefix="briefbot")
    )
    sys.setswitchinterval(SWITCH_INTERVAL)
    await app.bot.set_my_commands(commands.bot_commands(admin=False))
    for admin_id in sorted(services_in(app.bot_data).settings.admin_ids):
        await app.bot.set_my_commands(
            commands.bot_commands(admin=True), scope=BotCommandScopeChat(admin_id)
        )
    # Polls and alert sends start only once the bot can send: after initialize(), on the queue.
    live.start(app)
    log.info("serving as @%s", app.bot.username)


async def post_shutdown(app: BriefApp) -> None:
    """Close the bot's tables; the engine belongs to whoever opened it."""
    services_in(app.bot_data).state.close()
    live.live_in(app.bot_data).close()


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
) -> BriefApp:
    """Wire the bot for ``settings`` around ``engine``; pass requests to replace the network."""
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
        .post_shutdown(post_shutdown)
    )
    if settings.base_url:
        builder = builder.base_url(settings.base_url)
    if request is not None:
        builder = builder.request(request)
    else:
        builder = builder.connection_pool_size(CONNECTION_POOL)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    app: BriefApp = builder.build()
    app.bot_data[SERVICES_KEY] = Services.create(settings, engine)
    live.install(app, settings, engine)

    # Group -1 runs before every other group, so nobody off the allowlist reaches a handler.
    app.add_handler(TypeHandler(Update, gate), group=-1)
    # Commands before free text: "/search x" must never be read as the question "/search x".
    # CommandHandler also sees edited messages, so an edited /search edits its answer.
    admins = filters.User(user_id=settings.admin_ids)
    for command in commands.COMMANDS:
        only = admins if command.admin else None
        app.add_handler(CommandHandler(command.name, command.callback, filters=only))
    app.add_handler(CallbackQueryHandler(on_button))
    # Free text (new or edited) is a question; commands are excluded so that the
    # unknown-command reply below is the only answer to a mistyped command.
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    # Last: any command nobody above took, in private chats only (in groups it may be for
    # another bot), including admin commands from non-admins.
    app.add_handler(MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, unknown_command))
    app.add_error_handler(on_error)
    return app


def run_bot(settings: Settings, engine: Engine) -> None:
    """Long-poll until Ctrl-C or SIGTERM, then shut down cleanly (run_polling handles both)."""
    app = build_application(settings, engine)
    app.run_polling(allowed_updates=["message", "edited_message", "callback_query"])
