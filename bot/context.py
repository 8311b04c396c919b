"""The one typed way handlers and jobs reach the engine, the bot's tables and the guard.

``Services`` is made once per application by ``bot.app.build_application`` for the process's
role (``bot.roles``) and kept on ``BotData``, the application's ``bot_data`` (installed through
``ContextTypes``, as python-telegram-bot's ``contexttypesbot`` example does). ``BriefContext``
hands the services out typed: no handler needs a ``cast`` or a ``bot_data`` string key.
Each service is opened here once and closed once, by ``Services.close``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from telegram.ext import CallbackContext, ExtBot

from bot.guard import Guard
from bot.pool import Pool
from bot.retry import PollWatch
from bot.roles import Role
from bot.settings import Settings
from bot.state import BotState
from bot.stats import Stats
from bot.votes import Votes
from bot.watches import WatchStore
from retrieval import (
    Engine,
    SourceTracker,
)

# Polls wait on the network; two let one slow feed run beside everything else.
BACKGROUND_THREADS = 2
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Live:
    """What background work needs besides the engine and watches: source tracker and clock.

    Only roles that run background work have it (``bot.live`` schedules that work). Polls and
    ingests run on threads of their own: a feed that takes its full timeout to answer must
    never hold up the threads that answer questions.
    """

    tracker: SourceTracker
    clock: Callable[[], float] = time.time
    background: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(BACKGROUND_THREADS, "briefbot-live")
    )

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """Run a slow call (poll, ingest, alert matching) on the background threads."""
        return await asyncio.get_running_loop().run_in_executor(self.background, function, *args)

    def close(self) -> None:
        """Stop the background threads and close the source state's connection."""
        self.background.shutdown(wait=False, cancel_futures=True)
        self.tracker.close()


@dataclass(frozen=True, slots=True)
class Services:
    """Everything a handler needs besides the update: made once per application.

    ``live`` is None in a worker (no background work there) and ``pool`` is the polling
    parent's only; ``poll_watch`` watches the long poll of the roles that poll.
    """

    settings: Settings
    engine: Engine
    state: BotState
    watches: WatchStore
    guard: Guard
    stats: Stats
    votes: Votes
    role: Role = Role.SINGLE
    live: Live | None = None
    pool: Pool | None = None
    poll_watch: PollWatch | None = None

    @classmethod
    def create(
        cls,
        settings: Settings,
        engine: Engine,
        role: Role = Role.SINGLE,
        *,
        live: Live | None = None,
        pool: Pool | None = None,
        poll_watch: PollWatch | None = None,
    ) -> Services:
        """Open the bot's tables beside the engine's and set up the guard from settings."""
        return cls(
            settings=settings,
            engine=engine,
            state=BotState(settings.db_path),
            watches=WatchStore(settings.db_path),
            guard=Guard(settings.allowed_ids, settings.rate_limit, settings.rate_window),
            stats=Stats(),
            votes=Votes(settings.db_path),
            role=role,
            live=live,
            pool=pool,
            poll_watch=poll_watch,
        )

    def is_admin(self, user_id: int | None) -> bool:
        """Whether ``user_id`` may use operator commands."""
        return user_id is not None and user_id in self.settings.admin_ids

    def background(self) -> Live:
        """The background services; only operators' commands and jobs ask, in roles with them."""
        if self.live is None:
            raise RuntimeError(f"a {self.role.value} runs no background work")
        return self.live

    def close(self) -> None:
        """Close the bot's tables and background threads; the engine belongs to its opener."""
        self.state.close()
        self.watches.close()
        self.votes.close()
        if self.live is not None:
            self.live.close()


class BotData:
    """The application's ``bot_data``: its services, set once when the application is built."""

    __slots__ = ("_services",)

    def __init__(self) -> None:
        self._services: Services | None = None

    @property
    def services(self) -> Services:
        """The services ``build_application`` installed."""
        if self._services is None:
            raise RuntimeError("build_application() did not run: no services in bot_data")
        return self._services

    @services.setter
    def services(self, services: Services) -> None:
        self._services = services


class BriefContext(CallbackContext[ExtBot[int], dict[Any, Any], dict[Any, Any], BotData]):
    """PTB's callback context plus a typed ``services`` attribute."""

    @property
    def services(self) -> Services:
        """The application's services, as ``build_application`` stored them."""
        return self.bot_data.services


def services_in(bot_data: BotData) -> Services:
    """The ``Services`` kept in an application's ``bot_data``."""
    return bot_data.services
