"""The worker role: answer the updates the parent forwards (see ``bot.pool`` for the link).

It runs the same handlers as a single-process bot, with its own Bot API connection, in an
application built for ``Role.WORKER``: no updater, no job queue, no source tracker, since
polling and background work stay with the parent. It opens the store read-only and indexes
what the parent ingests when told to refresh. ``serve`` is the process's entry point, which
``bot.runtime`` gives the pool.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import signal
import socket
from typing import Any

from telegram import Update

from bot.app import BriefApp, build_application, use_worker_threads
from bot.logs import configure_logging, redact_output
from bot.pool import LINE_LIMIT, line
from bot.roles import Role
from bot.settings import Settings
from bot.store import open_engine
from retrieval import (
    Engine,
)

log = logging.getLogger(__name__)


def serve(settings: Settings, number: int, link: socket.socket) -> None:
    """Answer forwarded updates until the parent ends the stream, then finish and exit.

    Ctrl-C reaches every process of the terminal's group and a service manager may signal
    them all: a worker that stopped on its own would drop the updates it holds, so the parent
    alone decides when workers stop.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # Before anything can fail: even the traceback multiprocessing prints as a worker dies.
    redact_output(settings.token, settings.secret_token)
    configure_logging(settings, process=f"worker {number + 1}")
    engine = open_engine(settings, read_only=True)
    try:
        asyncio.run(answer(settings, engine, link))
    except Exception:
        log.exception("worker %d failed", number + 1)
        # Exit code 1 without multiprocessing printing the traceback a second time.
        raise SystemExit(1) from None
    finally:
        engine.close()


async def answer(settings: Settings, engine: Engine, link: socket.socket) -> None:
    """Run the application on the updates read from ``link``."""
    reader, writer = await asyncio.open_connection(sock=link, limit=LINE_LIMIT)
    app = build_application(settings, engine, Role.WORKER)
    services = app.bot_data.services
    services.stats.on_record = lambda s: writer.write(line({"answered": s}))
    use_worker_threads()
    try:
        async with app:
            await app.start()
            try:
                writer.write(line({"ready": True}))
                await follow(app, engine, reader, writer)
            finally:
                await app.stop()  # waits for every update still being answered
    finally:
        await app.bot.shutdown()  # also after a failed start, which `async with` leaves open
        services.close()
        writer.close()


async def follow(
    app: BriefApp, engine: Engine, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """Start one task per forwarded update and report each when it is done."""
    while text := await reader.readline():
        message: dict[str, Any] = json.loads(text)
        if "update" in message:
            update = Update.de_json(message["update"], app.bot)
            task = app.create_task(app.process_update(update), update=update)
            task.add_done_callback(functools.partial(report_done, writer, update.update_id))
        elif message.get("refresh"):
            app.create_task(refresh(engine))


def report_done(writer: asyncio.StreamWriter, update_id: int, _task: object) -> None:
    """Tell the parent an update is answered (or failed and was apologised for)."""
    writer.write(line({"done": update_id}))


async def refresh(engine: Engine) -> None:
    """Index what the parent stored, off the event loop."""
    added = await asyncio.to_thread(engine.refresh)
    if added:
        log.info("indexed %d new passages", added)
