"""Process roles: what each role's application is made of, which role the settings pick, and
that the pool is started and closed exactly once."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from telegram.ext import JobQueue, Updater
from telegram.request import HTTPXRequest
from telegram.warnings import PTBUserWarning
from telegram_fakes import FakeBotApi, RecordingRequest, serve_bot_api

from bot.app import BriefApp, bot_api_request, build_application, post_init, post_shutdown
from bot.pool import Pool
from bot.retry import RetryingRequest
from bot.roles import Role
from bot.runtime import plan
from bot.settings import Settings
from bot.store import open_engine
from bot.transport import AiohttpRequest
from retrieval.engine import Engine

WEBHOOK = {
    "mode": "webhook",
    "webhook_url": "https://bot.example.org/telegram",
    "secret_token": "s3cret-token_for-tests",
}


class CountingPool(Pool):
    """A pool that starts no process and counts how often it is started and closed."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, 2, lambda *_: None)
        self.starts = self.closes = 0

    async def start(self) -> None:
        self.starts += 1

    async def close(self) -> None:
        self.closes += 1
        await super().close()


def build(settings: Settings, engine: Engine, role: Role, api: FakeBotApi) -> BriefApp:
    request = RecordingRequest(api)
    pool = CountingPool(settings) if role is Role.PARENT else None
    return build_application(
        settings, engine, role, pool=pool, request=request, get_updates_request=request
    )


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.name)
def test_each_role_gets_what_it_uses(
    settings: Settings, engine: Engine, api: FakeBotApi, role: Role
) -> None:
    """A worker has no updater, no job queue and no background services; every other role has
    all three; only the parent has a pool and only the polling roles watch the long poll."""
    app = build(settings, engine, role, api)
    services = app.bot_data.services
    try:
        assert services.role is role
        assert isinstance(app.updater, Updater) is (role is not Role.WORKER)
        if role is Role.WORKER:
            with pytest.warns(PTBUserWarning, match="No `JobQueue`"):  # PTB says it is off
                assert app.job_queue is None
        else:
            assert isinstance(app.job_queue, JobQueue)
        assert (services.live is not None) is (role is not Role.WORKER)
        assert (services.pool is not None) is (role is Role.PARENT)
        assert (services.poll_watch is not None) is (role in (Role.SINGLE, Role.PARENT))
    finally:
        services.close()


def test_a_worker_has_no_background_to_hand_out(
    settings: Settings, engine: Engine, api: FakeBotApi
) -> None:
    """Asking a worker for background services is a bug, said in plain words."""
    app = build(settings, engine, Role.WORKER, api)
    with pytest.raises(RuntimeError, match="a worker runs no background work"):
        app.bot_data.services.background()
    app.bot_data.services.close()


@pytest.mark.parametrize(
    ("role", "with_pool"),
    [(Role.PARENT, False), (Role.SINGLE, True), (Role.WORKER, True)],
    ids=["parent-without", "single-with", "worker-with"],
)
def test_a_pool_goes_with_the_parent_only(
    settings: Settings, engine: Engine, role: Role, with_pool: bool
) -> None:
    """Only the polling parent forwards updates, so only it is built with a pool."""
    pool = CountingPool(settings) if with_pool else None
    with pytest.raises(ValueError, match="needs a pool exactly when it forwards"):
        build_application(settings, engine, role, pool=pool)


@pytest.mark.parametrize(
    ("changes", "role"),
    [
        ({}, Role.SINGLE),
        ({"workers": 1}, Role.SINGLE),
        ({"workers": 3}, Role.PARENT),
        ({"workers": 0, "flood_rate": 30.0}, Role.SINGLE),
        (WEBHOOK, Role.WEBHOOK),
    ],
    ids=["default", "one-worker", "three-workers", "auto-capped", "webhook"],
)
def test_the_settings_pick_the_role(
    settings: Settings, changes: dict[str, object], role: Role
) -> None:
    """Webhook mode serves webhooks; polling with more than one process is a parent."""
    assert plan(replace(settings, **changes)) is role


async def test_the_pool_is_started_once_and_closed_once(
    settings: Settings, engine: Engine, api: FakeBotApi
) -> None:
    """The parent's start-up hook starts the pool after the menu is set, and the one shutdown
    hook (run after a stop and after a failed start alike) closes it, once."""
    app = build(settings, engine, Role.PARENT, api)
    pool = app.bot_data.services.pool
    assert isinstance(pool, CountingPool)
    async with app:
        await post_init(app)
        assert pool.starts == 1
        assert api.calls_to("setMyCommands")
    await post_shutdown(app)
    await pool.close()  # a second close (from anywhere) does nothing more
    assert (pool.starts, pool.closes, pool.closing) == (1, 2, True)
    with pytest.raises(sqlite3.ProgrammingError):  # the bot's tables were closed too
        app.bot_data.services.state.answer_for(1, 1)


@pytest.mark.parametrize(
    ("transport", "kind"),
    [("briefbot", AiohttpRequest), ("httpx", HTTPXRequest)],
    ids=["briefbot", "httpx"],
)
def test_the_transport_setting_picks_the_client(
    settings: Settings, transport: str, kind: type
) -> None:
    """``[telegram] transport = "httpx"`` falls back to PTB's own HTTPXRequest."""
    assert isinstance(bot_api_request(replace(settings, transport=transport), 4), kind)


async def test_the_httpx_fallback_talks_to_the_bot_api(
    settings: Settings, engine: Engine, api: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the httpx transport the bot starts and sends through a real loopback server."""
    for variable in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(variable, raising=False)
    with serve_bot_api(api) as base_url:
        changed = replace(settings, transport="httpx", base_url=base_url)
        app = build_application(changed, engine, Role.SINGLE)
        assert isinstance(app.bot.request, RetryingRequest)
        assert isinstance(app.bot.request.inner, HTTPXRequest)
        async with app:
            await app.bot.send_message(501, "hello over httpx")
        app.bot_data.services.close()
    assert [call.params["text"] for call in api.calls_to("sendMessage")] == ["hello over httpx"]


def test_the_engine_gets_the_date_preference_setting(tmp_path: Path, settings: Settings) -> None:
    """[search] date_preference reaches the bot's engine (0: every date range filters)."""
    engine = open_engine(replace(settings, db_path=tmp_path / "s.sqlite3", date_preference=0.0))
    try:
        assert engine.date_preference == 0.0
    finally:
        engine.close()


def test_a_worker_engine_is_read_only(tmp_path: Path, settings: Settings) -> None:
    """The worker's engine opens the store without writing it: no schema, no ingest."""
    writer = open_engine(replace(settings, db_path=tmp_path / "s.sqlite3"))
    writer.close()
    reader = open_engine(replace(settings, db_path=tmp_path / "s.sqlite3"), read_only=True)
    try:
        assert reader.read_only
        assert reader._store.readonly
    finally:
        reader.close()
