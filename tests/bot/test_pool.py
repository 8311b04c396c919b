"""Worker processes: routing by user, the JSON-lines link, restarts, and no update lost.

The workers here are stand-ins (``pool_targets``) that speak the link protocol, started as real
processes; the parent side is the real application on the recording fake network.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pool_targets
import pytest
from telegram import Update
from telegram_fakes import FakeBotApi, RecordingRequest, Updates

from bot import pool as pool_module
from bot.app import BriefApp, build_application
from bot.context import services_in
from bot.pool import Pool, Target, owner, processes, share
from bot.roles import Role
from bot.settings import Settings
from retrieval.engine import Engine


def update(data: dict[str, Any], app: BriefApp | None = None) -> Update:
    return Update.de_json(data, app.bot if app else None)


def test_one_user_always_goes_to_one_worker(updates: Updates) -> None:
    """Messages, edits and button presses of a user share a worker; users spread over all."""
    admins = frozenset({900})
    for user in (501, 502, 10**10 + 7):
        sent = [
            updates.message("hi", user_id=user),
            updates.message("hi", user_id=user, edited=True),
            updates.button("p:1:1", user_id=user),
            updates.message("hi", user_id=user, chat_id=-100, chat_type="group"),
        ]
        assert {owner(update(each), 3, admins) for each in sent} == {user % 3}
    spread = {owner(update(updates.message("x", user_id=user)), 3, admins) for user in range(9)}
    assert spread == {0, 1, 2}


def test_operators_stay_with_the_polling_process(updates: Updates) -> None:
    """Admin commands touch background work that only the parent runs."""
    assert owner(update(updates.message("/stats", user_id=900)), 2, frozenset({900})) is None


def test_how_many_workers(settings: Settings) -> None:
    """0 means one per core, but only when no overall flood cap makes them pointless."""
    assert processes(replace(settings, workers=3)) == 3
    assert processes(replace(settings, workers=0, flood_rate=30)) == 1
    assert processes(replace(settings, workers=0, flood_rate=0)) >= 1
    assert share(replace(settings, flood_rate=30), 2).flood_rate == 10


async def until(check: Callable[[], bool]) -> None:
    """Wait for ``check`` to hold; fail after half a minute."""
    deadline = time.monotonic() + 30
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.02)


def written(log: Path, number: int) -> list[str]:
    """The lines stand-in worker ``number`` wrote down."""
    path = Path(f"{log}.{number}")
    return path.read_text().splitlines() if path.exists() else []


def received(log: Path, number: int) -> list[Any]:
    """The messages stand-in worker ``number`` received."""
    return [json.loads(line) for line in written(log, number)]


@contextlib.asynccontextmanager
async def running(
    settings: Settings, engine: Engine, api: FakeBotApi, target: Target, log: Path
) -> AsyncIterator[tuple[BriefApp, Pool]]:
    """The application with a pool of two stand-in workers, started as ``run_bot`` would."""
    pool = Pool(replace(settings, db_path=log), 2, target)
    request = RecordingRequest(api)
    app = build_application(
        settings, engine, Role.PARENT, pool=pool, request=request, get_updates_request=request
    )
    async with app:
        await app.start()
        await pool.start()
        await until(lambda: all(w is not None and w.ready for w in pool.workers))
        try:
            yield app, pool
        finally:
            await pool.close()
            await app.stop()
    services_in(app.bot_data).close()


async def test_updates_reach_their_worker_and_answers_count(
    settings: Settings, engine: Engine, api: FakeBotApi, updates: Updates, tmp_path: Path
) -> None:
    """Each user's update goes to its worker once; admins are answered here; /stats counts all."""
    log = tmp_path / "worker"
    async with running(settings, engine, api, pool_targets.echo, log) as (app, pool):
        for user in (600, 601, 603):
            await app.process_update(update(updates.message("weapons", user_id=user), app))
        await until(lambda: len(received(log, 0)) + len(received(log, 1)) == 3)
        await until(lambda: services_in(app.bot_data).stats.snapshot().answered == 3)
        await app.process_update(update(updates.message("/stats", user_id=900), app))
        pool.refresh()
        await until(lambda: [received(log, n)[-1:] for n in (0, 1)] == [[{"refresh": True}]] * 2)
        await until(lambda: all(w is not None and not w.pending for w in pool.workers))
    users = [[m["update"]["message"]["from"]["id"] for m in received(log, n) if "update" in m]
             for n in (0, 1)]  # fmt: skip
    assert users == [[600], [601, 603]]
    stats_reply = [c for c in api.calls if c.method == "sendMessage"]
    assert len(stats_reply) == 1
    assert "Questions answered: 3" in stats_reply[0].params["text"]
    assert all(w is not None and w.process.exitcode == 0 for w in pool.workers)


async def test_a_dead_worker_is_replaced_and_its_update_answered_here(
    settings: Settings,
    engine: Engine,
    api: FakeBotApi,
    updates: Updates,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The question a crashed worker held is answered by the parent; the worker comes back."""
    monkeypatch.setattr(pool_module, "RESTART_DELAY", 0.05)
    log = tmp_path / "worker"
    async with running(settings, engine, api, pool_targets.die_on_update, log) as (app, pool):
        first = pool.workers[1]
        await app.process_update(update(updates.message("weapons Ukraine", user_id=601), app))
        answers = lambda: [c for c in api.calls if c.method == "sendMessage"]  # noqa: E731
        await until(lambda: len(answers()) == 1)
        assert "Blinken" in answers()[0].params["text"]
        await until(lambda: pool.workers[1] not in (None, first) and pool.workers[1].ready)
        assert first is not None
        assert first.process.exitcode == 3
    assert written(log, 1) == ["started", "started"]
    assert "worker 2 stopped (exit code 3); answering its 1 unfinished updates here" in caplog.text
