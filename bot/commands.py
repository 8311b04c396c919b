"""The slash commands and the one registry that lists them.

``COMMANDS`` feeds the handler registration (``bot.app``), ``set_my_commands`` (the menu in
Telegram's input field), ``/help`` and the README test, so none of them can drift from the others.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from telegram import BotCommand, Update

from bot import admin, render
from bot.browse import show_latest
from bot.context import BriefContext
from bot.feedback import share_line
from bot.handlers import Callback, command_argument, log_answer, logs_answer, send_answer
from bot.questions import answer_question

SEARCH_USAGE = (
    "Usage: /search <words>, e.g. /search weapons for Ukraine. Or just send me a question."
)
LATEST_USAGE = "Usage: /latest [n], e.g. /latest 5: the newest n briefings (at most 100)."


@dataclass(frozen=True, slots=True)
class Command:
    """One slash command: its name, argument syntax, one-line description and handler."""

    name: str
    args: str
    description: str
    callback: Callback
    admin: bool = False

    @property
    def usage(self) -> str:
        """``/search <words>``: how /help writes it."""
        return f"/{self.name} {self.args}".rstrip()


async def usage(update: Update, context: BriefContext, text: str) -> None:
    """Explain how a command is used."""
    started = time.perf_counter()
    await send_answer(update, context, render.usage(text))
    log_answer(update, context.services, "usage", started, 0)


@logs_answer("start")
async def start(update: Update, context: BriefContext) -> None:
    """Welcome the user with an example question drawn from the loaded briefings."""
    example = await asyncio.to_thread(context.services.engine.example_query)
    await send_answer(update, context, render.welcome(example))


@logs_answer("help")
async def help_command(update: Update, context: BriefContext) -> None:
    """List every command this user may use, straight from the registry."""
    user = update.effective_user
    admin = context.services.is_admin(user.id if user else None)
    lines = [(command.usage, command.description) for command in visible(admin=admin)]
    await send_answer(update, context, render.help_text(lines))


async def search(update: Update, context: BriefContext) -> None:
    """Search for the words after /search; with none, explain how."""
    message = update.effective_message
    if message is None:
        return
    query = command_argument(message)
    if not query:
        await usage(update, context, SEARCH_USAGE)
        return
    await answer_question(update, context, query)


async def latest(update: Update, context: BriefContext) -> None:
    """List the newest briefings; an optional number says how many."""
    message = update.effective_message
    if message is None:
        return
    argument = command_argument(message)
    if not argument:
        await show_latest(update, context, context.services.settings.results)
    elif argument.isascii() and argument.isdigit() and int(argument) > 0:
        await show_latest(update, context, int(argument))
    else:
        await usage(update, context, LATEST_USAGE)


@logs_answer("stats")
async def stats(update: Update, context: BriefContext) -> None:
    """Operator numbers: corpus size, questions answered, answer times, uptime."""
    services = context.services
    sizes = await asyncio.to_thread(services.engine.stats)
    check = await asyncio.to_thread(services.engine.check)
    snapshot = services.stats.snapshot()
    text = render.stats_text(sizes.articles, sizes.passages, snapshot, check.unsearchable)
    text += "\n" + share_line(await asyncio.to_thread(services.votes.last_week))
    await send_answer(update, context, text)


COMMANDS: tuple[Command, ...] = (
    Command("start", "", "what this bot does, with an example question", start),
    Command("help", "", "this list of commands", help_command),
    Command("search", "<words>", "search the briefings (or just send a question)", search),
    Command("latest", "[n]", "the newest briefings, newest first", latest),
    Command("watch", "<words>", "get new briefings that match these words", admin.watch),
    Command("watches", "", "this chat's watches, with their ids", admin.watches),
    Command("unwatch", "<id>", "stop one of this chat's watches", admin.unwatch),
    Command("forgetme", "", "delete your watches and alerts", admin.forgetme),
    Command("stats", "", "operator statistics: corpus, answers, timings, uptime", stats, True),
    Command("ingest", "<url>", "fetch a feed or article now and report", admin.ingest, True),
    Command("sources", "", "each source's last poll, items added, last error", admin.sources, True),
    Command(
        "remove",
        "<url or id> | source <name>",
        "remove articles from results and alerts",
        admin.remove,
        True,
    ),
)


def visible(*, admin: bool) -> list[Command]:
    """The commands a user sees: everyone sees the public ones, admins see all."""
    return [command for command in COMMANDS if admin or not command.admin]


def bot_commands(*, admin: bool) -> list[BotCommand]:
    """The command menu Telegram shows, for ordinary users or for admins."""
    return [BotCommand(command.name, command.description) for command in visible(admin=admin)]
