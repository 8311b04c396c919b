"""One frozen ``Settings``, built in layers: defaults, ``config.toml``, environment, overrides.

This module holds the record and its schema: every field with its default, which
``config.toml`` key and ``BRIEFBOT_*`` variable feed it, and the values a field may take.
:mod:`bot.settings_loader` builds the layers and checks them. ``retrieval`` never sees this
object; ``bot`` passes it plain parameters. Errors name the key and the file so an operator
can fix them without reading code.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

from retrieval import (
    ASKED_WEIGHT,
    COVERAGE,
    LANGUAGES,
    MIN_SHARE,
    PREFER_WEIGHT,
    PROXIMITY,
    RARITY_PRIOR,
    RECENCY,
    SCORERS,
    STATEMENT_SUPPORT,
    SUPPORT,
    TITLE_WEIGHT,
    BriefbotError,
    Scorer,
)

# Settings that must never be printed: a settings dump shows them masked.
SECRETS = frozenset({"token", "secret_token"})


class ConfigError(BriefbotError):
    """A setting is missing, mistyped or out of range; the message names key and file."""


@dataclass(frozen=True, slots=True)
class Source:
    """A place briefings come from; ``every`` is the poll interval in seconds (0: at start only)."""

    location: str
    every: float = 0.0


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting Briefbot reads; see config.example.toml for what each one means."""

    db_path: Path = Path("data/briefbot.sqlite3")
    language: str = "english"
    scorer: Scorer = "lucene"
    results: int = 12
    page_size: int = 3
    max_query_chars: int = 500
    min_share: float = MIN_SHARE
    recency_half_life_days: float = RECENCY.half_life_days
    recency_weight: float = RECENCY.weight
    date_preference: float = PREFER_WEIGHT
    title_weight: float = TITLE_WEIGHT
    article_support: float = SUPPORT
    statement_support: float = STATEMENT_SUPPORT
    coverage: float = COVERAGE
    rarity_prior: float = RARITY_PRIOR
    asked_weight: float = ASKED_WEIGHT
    proximity: float = PROXIMITY
    sources: tuple[Source, ...] = (Source("seeds"),)
    token: str = field(default="", repr=False)
    base_url: str = ""
    workers: int = 0
    mode: str = "polling"
    webhook_url: str = ""
    listen: str = "127.0.0.1"
    port: int = 8443
    secret_token: str = field(default="", repr=False)
    delete_webhook_on_stop: bool = False
    transport: str = "briefbot"
    allowed_ids: frozenset[int] = frozenset()
    admin_ids: frozenset[int] = frozenset()
    rate_limit: int = 20
    rate_window: float = 60.0
    flood_rate: float = 30.0
    log_questions: bool = False
    log_level: str = "INFO"
    alert_window: float = 60.0
    alert_cap_per_hour: int = 10
    alert_min_match: float = 0.3
    watches_per_chat: int = 20
    watches_per_user: int = 50

    def __repr__(self) -> str:
        """Show every setting with the token and webhook secret masked: a dump never leaks them."""
        shown = ", ".join(f"{f.name}={self._shown(f.name)}" for f in fields(self))
        return f"Settings({shown})"

    def _shown(self, name: str) -> str:
        value = getattr(self, name)
        return "'***'" if name in SECRETS and value else repr(value)


# (table, key) in config.toml -> Settings field
TOML_KEYS: dict[tuple[str, str], str] = {
    ("store", "path"): "db_path",
    ("index", "language"): "language",
    ("index", "scorer"): "scorer",
    ("search", "results"): "results",
    ("search", "page_size"): "page_size",
    ("search", "max_query_chars"): "max_query_chars",
    ("search", "min_share"): "min_share",
    ("search", "recency_half_life_days"): "recency_half_life_days",
    ("search", "recency_weight"): "recency_weight",
    ("search", "date_preference"): "date_preference",
    ("search", "title_weight"): "title_weight",
    ("search", "article_support"): "article_support",
    ("search", "statement_support"): "statement_support",
    ("search", "coverage"): "coverage",
    ("search", "rarity_prior"): "rarity_prior",
    ("search", "asked_weight"): "asked_weight",
    ("search", "proximity"): "proximity",
    ("telegram", "token"): "token",
    ("telegram", "base_url"): "base_url",
    ("telegram", "workers"): "workers",
    ("telegram", "mode"): "mode",
    ("telegram", "webhook_url"): "webhook_url",
    ("telegram", "listen"): "listen",
    ("telegram", "port"): "port",
    ("telegram", "secret_token"): "secret_token",
    ("telegram", "delete_webhook_on_stop"): "delete_webhook_on_stop",
    ("telegram", "transport"): "transport",
    ("access", "allowed_ids"): "allowed_ids",
    ("access", "admin_ids"): "admin_ids",
    ("limits", "rate_limit"): "rate_limit",
    ("limits", "rate_window"): "rate_window",
    ("limits", "flood_rate"): "flood_rate",
    ("logging", "log_questions"): "log_questions",
    ("logging", "level"): "log_level",
    ("alerts", "window"): "alert_window",
    ("alerts", "cap_per_hour"): "alert_cap_per_hour",
    ("alerts", "min_match"): "alert_min_match",
    ("watches", "per_chat"): "watches_per_chat",
    ("watches", "per_user"): "watches_per_user",
}

ENV_KEYS: dict[str, str] = {
    "BRIEFBOT_DB": "db_path",
    "BRIEFBOT_LANGUAGE": "language",
    "BRIEFBOT_SCORER": "scorer",
    "BRIEFBOT_TOKEN": "token",
    "BRIEFBOT_BASE_URL": "base_url",
    "BRIEFBOT_WORKERS": "workers",
    "BRIEFBOT_MODE": "mode",
    "BRIEFBOT_WEBHOOK_URL": "webhook_url",
    "BRIEFBOT_SECRET_TOKEN": "secret_token",
    "BRIEFBOT_ALLOWED_IDS": "allowed_ids",
    "BRIEFBOT_ADMIN_IDS": "admin_ids",
    "BRIEFBOT_LOG_LEVEL": "log_level",
    "BRIEFBOT_LOG_QUESTIONS": "log_questions",
}


CHOICES: dict[str, tuple[str, ...]] = {
    "scorer": SCORERS,
    "language": LANGUAGES,
    "log_level": ("DEBUG", "INFO", "WARNING", "ERROR"),
    "mode": ("polling", "webhook"),
    # "httpx" falls back to python-telegram-bot's own HTTPXRequest (bot/transport.py says why
    # "briefbot", over aiohttp, is the default).
    "transport": ("briefbot", "httpx"),
}
