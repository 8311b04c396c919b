"""Answering on every core: the polling process hands each user's updates to worker processes.

A Python process runs one thread of Python at a time, and an answer costs about 5 ms of it
(python-telegram-bot and httpx more than the search), so one process tops out near 190 answers
a second however many cores the machine has. With several workers, the process that long-polls
keeps the access gate, operator commands and background work (source polls, alerts) and forwards
every other update to one of its worker processes (``bot.worker``), each with its own read-only
engine and Bot API connection. A user always goes to the same worker, so the per-user rate limit
and the order of a user's messages hold exactly as in one process.

Each worker is linked by a socket pair carrying one JSON object per line:

- parent to worker: ``{"update": {...}}``, or ``{"refresh": true}`` when the store has new
  passages; the end of the stream means "finish what you hold and exit".
- worker to parent: ``{"ready": true}`` once it can answer, then ``{"done": update_id}`` per
  update and ``{"answered": seconds}`` per answered question (for /stats).

An update a worker has not finished when it dies is answered by the parent instead, so none is
lost (one answered just before the crash may be answered twice), and the worker is started again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import multiprocessing
import os
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from multiprocessing.process import BaseProcess
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.settings import Settings

log = logging.getLogger(__name__)

# One line is one update: a few KB. The bound only stops a corrupt stream from eating memory.
LINE_LIMIT = 1 << 22
# How long workers get to finish the updates they hold when the bot stops.
STOP_TIMEOUT = 20.0
# A worker that dies is started again after this delay, doubled while it keeps dying young.
RESTART_DELAY = 1.0
MAX_RESTART_DELAY = 60.0
YOUNG = 60.0
# Workers are started fresh, not forked: forking a process that runs threads (the event
# loop's executor, numba's) can copy a held lock into the child.
SPAWN = multiprocessing.get_context("spawn")

AnyApp = Application[Any, Any, Any, Any, Any, Any]
Target = Callable[[Settings, int, socket.socket], None]


def processes(settings: Settings) -> int:
    """How many worker processes to answer with; 1 means answering in the polling process.

    ``workers = 0`` (the default) picks one per core when the overall flood cap is lifted, and
    one otherwise: Telegram's own cap of about 30 messages a second is a small part of what
    one process can send.
    """
    if settings.workers:
        return settings.workers
    if settings.flood_rate > 0:
        return 1
    if hasattr(os, "sched_getaffinity"):  # the cores this process may run on (Linux)
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def share(settings: Settings, size: int) -> Settings:
    """Settings for each of ``size`` workers and their parent: the flood cap split evenly."""
    return replace(settings, flood_rate=settings.flood_rate / (size + 1))


def owner(update: Update, size: int, admin_ids: frozenset[int]) -> int | None:
    """The worker (0 to ``size`` - 1) that answers ``update``, or None to answer it here.

    Keyed by user, so one user's rate limit and message order live in one process (by chat
    when there is no user). Operators' updates stay here, beside the background work their
    commands look at.
    """
    user, chat = update.effective_user, update.effective_chat
    if user is not None:
        return None if user.id in admin_ids else user.id % size
    return None if chat is None else chat.id % size


def line(message: Mapping[str, Any]) -> bytes:
    """One message of the link: compact JSON and a newline (JSON never holds a raw one)."""
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


@dataclass(eq=False)
class Worker:
    """The parent's view of one worker process."""

    number: int
    process: BaseProcess
    writer: asyncio.StreamWriter
    started: float
    ready: bool = False
    pending: dict[int, Update] = field(default_factory=dict)


class Pool:
    """Starts, feeds, restarts and stops the worker processes of one running bot.

    The parent's services own it (``bot.context.Services.pool``): started once the bot can
    send, closed once when it stops (``bot.app``'s start and stop hooks).
    """

    def __init__(self, settings: Settings, size: int, target: Target) -> None:
        self.settings = settings
        self.size = size
        self.target = target
        self.workers: list[Worker | None] = [None] * size
        self.closing = False
        self._app: AnyApp | None = None
        self._delays = [RESTART_DELAY] * size
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = asyncio.Event()
        self._record: Callable[[float], None] = lambda _seconds: None

    def attach(self, app: AnyApp, group: int, record: Callable[[float], None]) -> None:
        """Forward updates from ``app`` through a handler in ``group`` (before all others);
        ``record`` counts each answer a worker reports (for /stats)."""
        self._app = app
        self._record = record
        app.add_handler(TypeHandler(Update, self.route), group=group)

    @property
    def app(self) -> AnyApp:
        """The application updates come from."""
        if self._app is None:
            raise RuntimeError("Pool.attach() was not called")
        return self._app

    async def start(self) -> None:
        """Start every worker; until one says it is ready, its users are answered here."""
        for number in range(self.size):
            await self._spawn(number)

    async def _spawn(self, number: int) -> None:
        ours, theirs = socket.socketpair()
        process = SPAWN.Process(
            target=self.target,
            args=(self.settings, number, theirs),
            name=f"briefbot-worker-{number}",
            daemon=True,  # never outlives the parent, even one that was killed
        )
        try:
            await asyncio.to_thread(process.start)
        finally:
            theirs.close()
        reader, writer = await asyncio.open_connection(sock=ours, limit=LINE_LIMIT)
        worker = Worker(number, process, writer, time.monotonic())
        self.workers[number] = worker
        task = asyncio.create_task(self._listen(worker, reader), name=process.name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def route(self, update: object, _context: object) -> None:
        """Hand ``update`` to its worker and stop it here; keep it if that worker is not up."""
        if not isinstance(update, Update):
            return
        number = owner(update, self.size, self.settings.admin_ids)
        worker = None if number is None else self.workers[number]
        if worker is None or not worker.ready or worker.writer.is_closing():
            return
        worker.pending[update.update_id] = update
        worker.writer.write(line({"update": update.to_dict()}))
        raise ApplicationHandlerStop

    def refresh(self) -> None:
        """Tell every worker the store has new passages to index."""
        for worker in self.workers:
            if worker is not None and not worker.writer.is_closing():
                worker.writer.write(line({"refresh": True}))

    async def _listen(self, worker: Worker, reader: asyncio.StreamReader) -> None:
        try:
            while message := await reader.readline():
                self._heard(worker, json.loads(message))
        except (ConnectionError, ValueError) as error:
            log.error("worker %d sent something unreadable: %s", worker.number + 1, error)
        finally:
            await self._lost(worker)

    def _heard(self, worker: Worker, message: dict[str, Any]) -> None:
        if "done" in message:
            worker.pending.pop(int(message["done"]), None)
        elif "answered" in message:
            self._record(float(message["answered"]))
        elif message.get("ready"):
            worker.ready = True
            log.info("worker %d of %d is answering", worker.number + 1, self.size)

    async def _lost(self, worker: Worker) -> None:
        """The worker closed its end: it finished (when closing) or it died."""
        worker.ready = False
        worker.writer.close()
        await asyncio.to_thread(worker.process.join, STOP_TIMEOUT)
        if worker.process.is_alive():
            worker.process.kill()
        if self.closing:
            if worker.pending:
                log.warning("worker %d stopped with %d updates unanswered",
                            worker.number + 1, len(worker.pending))  # fmt: skip
            return
        young = time.monotonic() - worker.started < YOUNG
        delay = self._delays[worker.number] if young else RESTART_DELAY
        self._delays[worker.number] = min(2 * delay, MAX_RESTART_DELAY)
        log.error(
            "worker %d stopped (exit code %s); answering its %d unfinished updates here and "
            "starting it again in %.0f s",
            worker.number + 1, worker.process.exitcode, len(worker.pending), delay,
        )  # fmt: skip
        self.workers[worker.number] = None
        for update in worker.pending.values():
            await self.app.update_queue.put(update)  # routed again, now to this process
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closed.wait(), delay)
        if self.closing:
            return
        try:
            await self._spawn(worker.number)
        except OSError:
            log.exception("could not start worker %d again; answering its users here",
                          worker.number + 1)  # fmt: skip

    async def close(self) -> None:
        """Let every worker finish the updates it holds, then wait for it to exit; once."""
        if self.closing:
            return
        self.closing = True
        self._closed.set()
        for worker in self.workers:
            if worker is not None and not worker.writer.is_closing():
                worker.writer.write_eof()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=STOP_TIMEOUT + 5)
        for worker in self.workers:
            if worker is not None and worker.process.is_alive():
                worker.process.kill()
