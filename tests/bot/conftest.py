"""Fixtures for bot tests: a real in-memory engine, test settings and an app on a fake network."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from bot_harness import ARTICLES, Bot, start_bot
from telegram_fakes import TOKEN, FakeBotApi, Updates

from bot.settings import Settings
from retrieval.engine import Engine


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An isolated store path and no config file, whatever the developer's machine has."""
    db = tmp_path / "store.sqlite3"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BRIEFBOT_DB", str(db))
    monkeypatch.delenv("BRIEFBOT_CONFIG", raising=False)
    return db


@pytest.fixture
def engine() -> Iterator[Engine]:
    """A real engine over a few hand-made briefings (one with five passages)."""
    engine = Engine.open(":memory:")
    engine.ingest(ARTICLES)
    yield engine
    engine.close()


@pytest.fixture
def settings() -> Settings:
    """Small pages so paging shows up with a handful of hits; one admin; no allowlist."""
    return Settings(
        db_path=Path(":memory:"),
        token=TOKEN,
        results=6,
        page_size=2,
        admin_ids=frozenset({900}),
        rate_limit=50,
    )


@pytest.fixture
def api() -> FakeBotApi:
    """The fake Bot API every app in a test talks to."""
    return FakeBotApi()


@pytest.fixture
def updates() -> Updates:
    """Builders for updates with increasing ids."""
    return Updates()


@pytest.fixture
async def bot(settings: Settings, engine: Engine, api: FakeBotApi) -> AsyncIterator[Bot]:
    """The bot with the default test settings."""
    async for running in start_bot(settings, engine, api):
        yield running
