"""The one typed way handlers reach the engine, the bot's tables and the guard.

``Services`` is made once by ``bot.app.build_application`` and kept in ``bot_data``;
``BriefContext`` (installed through ``ContextTypes``) hands it out typed, so no handler needs a
``cast`` or a string key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from telegram.ext import CallbackContext, ExtBot

from bot.guard import Guard
from bot.settings import Settings
from bot.state import BotState
from bot.stats import Stats
from bot.votes import Votes
from retrieval.engine import Engine

SERVICES_KEY = "briefbot.services"


@dataclass(frozen=True, slots=True)
class Services:
    """Everything a handler needs besides the update: made once per application."""

    settings: Settings
    engine: Engine
    state: BotState
    guard: Guard
    stats: Stats
    votes: Votes

    @classmethod
    def create(cls, settings: Settings, engine: Engine) -> Services:
        """Open the bot's tables beside the engine's and set up the guard from settings."""
        return cls(
            settings=settings,
            engine=engine,
            state=BotState(settings.db_path),
            guard=Guard(settings.allowed_ids, settings.rate_limit, settings.rate_window),
            stats=Stats(),
            votes=Votes(settings.db_path),
        )

    def is_admin(self, user_id: int | None) -> bool:
        """Whether ``user_id`` may use operator commands."""
        return user_id is not None and user_id in self.settings.admin_ids


class BriefContext(CallbackContext[ExtBot[int], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB's callback context plus a typed ``services`` attribute."""

    @property
    def services(self) -> Services:
        """The application's services, as ``build_application`` stored them."""
        return services_in(self.bot_data)


def services_in(bot_data: Mapping[Any, Any]) -> Services:
    """The ``Services`` kept in an application's ``bot_data``."""
    services = bot_data.get(SERVICES_KEY)
    if not isinstance(services, Services):
        raise RuntimeError("build_application() did not run: no services in bot_data")
    return services
