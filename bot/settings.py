"""One frozen ``Settings``, built in layers: defaults, ``config.toml``, environment, overrides.

``retrieval`` never sees this object; ``bot`` passes it plain parameters. Errors name the key
and the file so an operator can fix them without reading code.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from retrieval import (
    LANGUAGES,
    MAX_RESULTS,
    MIN_SHARE,
    RECENCY,
    SCORERS,
    SUPPORT,
    TITLE_WEIGHT,
    BriefbotError,
    Scorer,
)

DEFAULT_CONFIG = Path("config.toml")
TOKEN_PATTERN = re.compile(r"^\d{5,20}:[A-Za-z0-9_-]{30,60}$")
# What Telegram accepts as a webhook's secret token (setWebhook): 1-256 of these characters.
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
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
    title_weight: float = TITLE_WEIGHT
    article_support: float = SUPPORT
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
    ("search", "title_weight"): "title_weight",
    ("search", "article_support"): "article_support",
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


def _coerce(name: str, value: Any, where: str) -> Any:
    """Turn a TOML or environment value into the type the field holds, or say what is wrong."""
    default = getattr(Settings(), name)
    if name in CHOICES and value not in CHOICES[name]:
        quoted = [repr(choice) for choice in CHOICES[name]]
        options = " or ".join(quoted) if len(quoted) <= 2 else f"one of {', '.join(quoted)}"
        raise ConfigError(f"{where}: expected {options}, got {value!r}")
    try:
        if isinstance(default, bool):
            if isinstance(value, str):
                if value.lower() not in {"1", "0", "true", "false", "yes", "no"}:
                    raise ValueError(value)
                return value.lower() in {"1", "true", "yes"}
            if not isinstance(value, bool):
                raise TypeError(value)
            return value
        if isinstance(default, frozenset):
            items = value.replace(",", " ").split() if isinstance(value, str) else value
            if not isinstance(items, list | tuple):
                raise TypeError(value)
            return frozenset(int(item) for item in items)
        if isinstance(default, Path):
            if not isinstance(value, str | Path):
                raise TypeError(value)
            return Path(value).expanduser()
        if isinstance(default, int | float):
            if isinstance(value, bool):
                raise TypeError(value)
            number = type(default)(value)
            if number < 0:
                raise ValueError(value)
            if name == "results" and number > MAX_RESULTS:
                raise ConfigError(f"{where}: must be at most {MAX_RESULTS:,}, got {value!r}")
            return number
        if not isinstance(value, str):
            raise TypeError(value)
        return value
    except (TypeError, ValueError):
        kind = {"frozenset": "list of ids", "PosixPath": "path"}.get(
            type(default).__name__, type(default).__name__
        )
        raise ConfigError(f"{where}: expected a {kind}, got {value!r}") from None


def _sources(value: Any, where: str) -> tuple[Source, ...]:
    """Read ``[[sources]]`` tables (or plain strings) into ``Source`` records."""
    if not isinstance(value, list):
        raise ConfigError(f"{where}: expected a list of [[sources]] tables")
    sources = []
    for number, item in enumerate(value, 1):
        entry = {"location": item} if isinstance(item, str) else item
        if not isinstance(entry, dict) or not isinstance(entry.get("location"), str):
            raise ConfigError(f"{where} #{number}: needs a 'location' (a path or an http(s) URL)")
        every = entry.get("every", 0)
        if isinstance(every, bool) or not isinstance(every, int | float) or every < 0:
            raise ConfigError(f"{where} #{number}: 'every' must be a number of seconds >= 0")
        unknown = set(entry) - {"location", "every"}
        if unknown:
            raise ConfigError(f"{where} #{number}: unknown key(s) {', '.join(sorted(unknown))}")
        sources.append(Source(entry["location"], float(every)))
    return tuple(sources)


def from_toml(data: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Map a parsed config file onto Settings fields, rejecting unknown keys."""
    values: dict[str, Any] = {}
    for table, content in data.items():
        if table == "sources":
            values["sources"] = _sources(content, f"{where} [[sources]]")
            continue
        if not isinstance(content, dict):
            raise ConfigError(f"{where}: '{table}' should be a [{table}] table")
        for key, value in content.items():
            name = TOML_KEYS.get((table, key))
            if name is None:
                raise ConfigError(f"{where}: unknown setting [{table}] {key}")
            values[name] = _coerce(name, value, f"{where} [{table}] {key}")
    return values


def load_settings(
    config: Path | None = None,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Build Settings from defaults, the config file, ``BRIEFBOT_*`` variables, then overrides.

    The config file is ``config`` if given, else ``$BRIEFBOT_CONFIG``, else ``./config.toml`` if it
    exists. Naming a file that does not exist is an error; a missing default file is not.
    """
    env = os.environ if env is None else env
    explicit = config or (Path(env["BRIEFBOT_CONFIG"]) if env.get("BRIEFBOT_CONFIG") else None)
    path = explicit or DEFAULT_CONFIG
    values: dict[str, Any] = {}
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise ConfigError(f"{path}: cannot read config: {error}") from None
        values.update(from_toml(data, str(path)))
    elif explicit is not None:
        raise ConfigError(f"{path}: config file not found")
    for variable, name in ENV_KEYS.items():
        if env.get(variable):
            values[name] = _coerce(name, env[variable], f"${variable}")
    values.update({key: value for key, value in overrides.items() if value is not None})
    settings = replace(Settings(), **values)
    if settings.results < 1 or settings.page_size < 1:
        raise ConfigError("[search] results and page_size must be at least 1")
    if settings.results > MAX_RESULTS:
        raise ConfigError(f"[search] results must be at most {MAX_RESULTS:,}")
    if settings.min_share > 1:
        raise ConfigError("[search] min_share must be between 0 and 1")
    if settings.language not in LANGUAGES:  # an override (--language) is checked here
        raise ConfigError(
            f"unknown language {settings.language!r}; Briefbot stems {', '.join(LANGUAGES)}"
        )
    if settings.mode == "webhook":
        check_webhook(settings)
    recency = (settings.recency_half_life_days, settings.recency_weight)
    if not all(math.isfinite(value) and value >= 0 for value in recency):
        raise ConfigError("[search] recency_half_life_days and recency_weight must be 0 or more")
    if not 0 <= settings.title_weight < float("inf"):
        raise ConfigError("[search] title_weight must be a number of at least 0 (0 turns it off)")
    if not 0 <= settings.article_support < float("inf"):
        raise ConfigError("[search] article_support must be a number of at least 0 (0 is off)")
    return settings


def check_webhook(settings: Settings) -> None:
    """Refuse a webhook set-up Telegram would reject or that would let anyone post updates."""
    if not settings.webhook_url.lower().startswith("https://"):
        raise ConfigError(
            "[telegram] webhook_url: webhook mode needs the public https:// URL Telegram posts "
            f"updates to (e.g. https://bot.example.org/telegram), got {settings.webhook_url!r}"
        )
    if not settings.secret_token:
        raise ConfigError(
            "[telegram] secret_token is required in webhook mode: without it anyone who finds "
            "the URL can post updates. Set 1-256 characters of A-Z, a-z, 0-9, _ and - (e.g. "
            "the output of `openssl rand -hex 32`) in BRIEFBOT_SECRET_TOKEN or config.toml."
        )
    if not SECRET_PATTERN.match(settings.secret_token):
        raise ConfigError(
            "[telegram] secret_token: Telegram accepts 1-256 characters of A-Z, a-z, 0-9, _ "
            "and - only"
        )
    if not 0 < settings.port < 65536:
        raise ConfigError(f"[telegram] port: expected 1-65535, got {settings.port}")
    if settings.workers > 1:
        raise ConfigError(
            "[telegram] workers: a webhook server answers in one process; to use more cores, "
            "run more instances behind the load balancer (see the README's Deploy section)"
        )


BOTFATHER_HELP = (
    "Talk to @BotFather in Telegram, send /newbot (or /token for an existing bot), and copy the "
    "token it gives you (it looks like 123456789:AAE...). Then run: "
    "export BRIEFBOT_TOKEN='<token>' (or set [telegram] token in config.toml) and start "
    "Briefbot again."
)


def check_token(token: str) -> str | None:
    """Return None if ``token`` looks like a Bot API token, else a paragraph on how to get one."""
    if TOKEN_PATTERN.match(token):
        return None
    problem = "No bot token is set." if not token else "The bot token is malformed."
    return f"{problem} {BOTFATHER_HELP}"
