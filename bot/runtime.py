"""How each process role is chosen, built, started and stopped (the roles: ``bot.roles``).

``briefbot run`` calls ``run``, which picks the role from the settings and runs it until
Ctrl-C or SIGTERM:

- ``SINGLE`` and ``PARENT`` long-poll with PTB's ``run_polling``; the parent also owns the
  pool of worker processes (``bot.pool``), started once the bot can send and closed once when
  it stops (``bot.app``'s start and shutdown hooks).
- ``WORKER`` is started by the pool in a fresh process at ``bot.worker.serve``; it stops when
  its parent ends the link.
- ``WEBHOOK`` serves PTB's own webhook server (``run_webhook``, tornado): it registers the
  webhook with ``setWebhook`` on start, answers only requests that carry the secret token in
  ``X-Telegram-Bot-Api-Secret-Token`` (PTB refuses the rest with 403 before they become
  updates), and calls ``deleteWebhook`` on an orderly stop only with
  ``delete_webhook_on_stop``.

Every role runs over one engine its caller opened and closes.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from telegram.error import InvalidToken

from bot.app import build_application
from bot.pool import Pool, processes, share
from bot.roles import Role
from bot.settings import ConfigError, Settings
from bot.worker import serve
from retrieval import Engine

__all__ = ["ALLOWED_UPDATES", "Role", "plan", "run", "run_polling", "run_webhook"]

# The update kinds the handlers act on; Telegram sends no others.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "inline_query"]


def plan(settings: Settings) -> Role:
    """The role ``briefbot run`` plays with ``settings``."""
    if settings.mode == "webhook":
        return Role.WEBHOOK
    return Role.PARENT if processes(settings) > 1 else Role.SINGLE


def run(settings: Settings, engine: Engine) -> None:
    """Run the role the settings ask for until stopped; see the module docstring."""
    role = plan(settings)
    if role is Role.WEBHOOK:
        run_webhook(settings, engine)
    elif role is Role.PARENT:
        size = processes(settings)
        shared = share(settings, size)  # the flood cap split between parent and workers
        run_polling(shared, engine, Pool(shared, size, serve))
    else:
        run_polling(settings, engine)


def run_polling(settings: Settings, engine: Engine, pool: Pool | None = None) -> None:
    """Long-poll as ``SINGLE`` (or as ``PARENT`` of ``pool``) until Ctrl-C or SIGTERM.

    Raises ``InvalidToken`` when Telegram rejected the token while running (it was revoked):
    polling stopped for good, so the bot stops too instead of running deaf.
    """
    role = Role.SINGLE if pool is None else Role.PARENT
    app = build_application(settings, engine, role, pool=pool)
    app.run_polling(allowed_updates=ALLOWED_UPDATES)
    watch = app.bot_data.services.poll_watch
    if watch is not None and watch.rejected:
        raise InvalidToken("the token was rejected while running")


def run_webhook(settings: Settings, engine: Engine) -> None:
    """Serve Telegram's webhook as ``WEBHOOK`` until Ctrl-C or SIGTERM.

    The server answers on the path of the public URL, so a load balancer or reverse proxy
    forwards that path unchanged to ``listen``:``port``.
    """
    app = build_application(settings, engine, Role.WEBHOOK)
    try:
        app.run_webhook(
            listen=settings.listen,
            port=settings.port,
            url_path=urlsplit(settings.webhook_url).path,
            webhook_url=settings.webhook_url,
            secret_token=settings.secret_token,
            allowed_updates=ALLOWED_UPDATES,
        )
    except OSError as error:  # the address is taken or not this machine's: the operator's to fix
        where = f"{settings.listen}:{settings.port}"
        raise ConfigError(
            f"[telegram] listen, port: cannot serve the webhook on {where}: "
            f"{error.strerror or error}"
        ) from None
