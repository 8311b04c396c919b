"""Loading the settings: read ``config.toml`` and ``BRIEFBOT_*``, check each value, refuse bad ones.

Kept apart from :mod:`bot.settings` (the ``Settings`` record and the keys that feed it) because
this is the one place that touches files and the environment and turns a wrong value into a
``ConfigError`` naming the key and the file; everything else only reads ``Settings``.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.settings import CHOICES, ENV_KEYS, TOML_KEYS, ConfigError, Settings, Source
from retrieval import LANGUAGES, MAX_RESULTS

DEFAULT_CONFIG = Path("config.toml")
TOKEN_PATTERN = re.compile(r"^\d{5,20}:[A-Za-z0-9_-]{30,60}$")
# What Telegram accepts as a webhook's secret token (setWebhook): 1-256 of these characters.
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


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
    if not 0 <= settings.date_preference < float("inf"):
        raise ConfigError("[search] date_preference must be a number of at least 0 (0 filters)")
    if not 0 <= settings.article_support < float("inf"):
        raise ConfigError("[search] article_support must be a number of at least 0 (0 is off)")
    if not 0 <= settings.statement_support < float("inf"):
        raise ConfigError("[search] statement_support must be a number of at least 0 (0 is off)")
    if not 0 <= settings.coverage < float("inf"):
        raise ConfigError("[search] coverage must be a number of at least 0 (0 is off)")
    if not 0 <= settings.rarity_prior < float("inf"):
        raise ConfigError("[search] rarity_prior must be a number of at least 0 (0 is off)")
    if not 0 <= settings.asked_weight < float("inf"):
        raise ConfigError("[search] asked_weight must be a number of at least 0 (1 is off)")
    if not 0 <= settings.proximity < float("inf"):
        raise ConfigError("[search] proximity must be a number of at least 0 (0 is off)")
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
