"""The command menus Telegram shows, one per scope: private chats, groups, each admin's chat.

Telegram picks the narrowest scope that applies: an admin's own chat (``BotCommandScopeChat``)
over all private chats, all group chats over the default. Groups get the commands that make
sense where several people read along: no /start (a private greeting) and no /forgetme (it
answers about one person's data in front of everyone; it still works there when typed).
Admins see every command in their chat with the bot, the operator ones (/stats, /sources,
/ingest) included; nobody else is offered those.

Each menu is one ``setMyCommands`` call with ``bot.retry``'s start-up budget of its own, so
a flaky Bot API at start costs each call its retries, as the single call did before.
"""

from __future__ import annotations

from collections.abc import Collection

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)

from bot.commands import visible

NOT_IN_GROUPS = frozenset({"start", "forgetme"})


def menus(admin_ids: Collection[int]) -> list[tuple[BotCommandScope, list[BotCommand]]]:
    """Each scope with the commands it shows, broadest first."""
    public = [BotCommand(c.name, c.description) for c in visible(admin=False)]
    everything = [BotCommand(c.name, c.description) for c in visible(admin=True)]
    groups = [command for command in public if command.command not in NOT_IN_GROUPS]
    scoped: list[tuple[BotCommandScope, list[BotCommand]]] = [
        (BotCommandScopeAllPrivateChats(), public),
        (BotCommandScopeAllGroupChats(), groups),
    ]
    scoped += [(BotCommandScopeChat(admin_id), everything) for admin_id in sorted(admin_ids)]
    return scoped


async def publish(bot: Bot, admin_ids: Collection[int]) -> None:
    """Set every scope's menu (at start-up, from ``post_init``)."""
    for scope, commands in menus(admin_ids):
        await bot.set_my_commands(commands, scope=scope)
