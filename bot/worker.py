"""One worker process: answers the updates its parent forwards (see ``bot.pool`` for the link).

It runs the same application as a single-process bot, with the same handlers and its own Bot
API connection, but without polling or background work: those stay with the parent. It opens
the store read-only and indexes what the parent ingests when told to refresh.
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

from bot.app import BriefApp, build_application, close_services, use_worker_threads
from bot.cli import open_engine
from bot.context import services_in
from bot.logs import configure_logging, redact_output
from bot.pool import LINE_LIMIT, line
from bot.settings import Settings
from retrieval.engine import Engine

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
    redact_output(settings.token)
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
    app = build_application(settings, engine, background=False)
    services_in(app.bot_data).stats.on_record = lambda s: writer.write(line({"answered": s}))
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
        close_services(app)
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
