"""Webhook mode: `briefbot run` serves PTB's webhook server on 127.0.0.1, replies through a fake
Bot API (also on 127.0.0.1), and processes only updates that carry the secret token."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from telegram_fakes import TOKEN, FakeBotApi, Updates, serve_bot_api

ROOT = Path(__file__).resolve().parents[2]
SECRET_TOKEN = "webhook-secret_0123456789"
PATH = "/telegram/hook"
# No proxy, whatever the environment says: every request here goes to 127.0.0.1.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))

pytestmark = pytest.mark.slow


def free_port() -> int:
    """A port nothing listens on right now (the bot binds it a moment later)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """The running bot's webhook address, its fake Bot API and its log."""

    url: str
    api: FakeBotApi
    log: Path
    exit_code: int | None = None

    def post(self, update: dict[str, Any], secret: str | None = SECRET_TOKEN) -> int:
        """POST ``update`` as Telegram would (with ``secret`` in its header); the HTTP status."""
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        request = urllib.request.Request(
            self.url, json.dumps(update).encode(), headers=headers, method="POST"
        )
        try:
            with DIRECT.open(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return error.code

    def wait_until_serving(self, timeout: float = 90.0) -> None:
        """Block until the server accepts connections (it starts after setWebhook)."""
        host, port = "127.0.0.1", int(self.url.split(":")[2].split("/")[0])
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection((host, port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"no webhook server:\n{self.log.read_text()}") from None
                time.sleep(0.05)


def bot_env(tmp_path: Path, base_url: str, config: Path) -> dict[str, str]:
    """The environment of `briefbot run`: ours, minus anything that could reach elsewhere."""
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith("BRIEFBOT_") and "proxy" not in k.lower()}  # fmt: skip
    return keep | {
        "BRIEFBOT_TOKEN": TOKEN,
        "BRIEFBOT_SECRET_TOKEN": SECRET_TOKEN,
        "BRIEFBOT_BASE_URL": base_url,
        "BRIEFBOT_DB": str(tmp_path / "briefbot.sqlite3"),
        "BRIEFBOT_CONFIG": str(config),
        "NO_PROXY": "127.0.0.1,localhost",
    }


@contextmanager
def webhook_bot(tmp_path: Path, more: str = "") -> Iterator[Server]:
    """`briefbot run` in webhook mode until the block ends, then stopped with SIGTERM."""
    api = FakeBotApi()
    port = free_port()
    config = tmp_path / "config.toml"
    config.write_text(
        "[[sources]]\nlocation = 'seeds'\n\n[telegram]\nmode = 'webhook'\n"
        f"webhook_url = 'https://bot.example.org{PATH}'\nlisten = '127.0.0.1'\nport = {port}\n"
        + more,
        encoding="utf-8",
    )
    log = tmp_path / "stderr.log"
    with serve_bot_api(api) as base_url, log.open("w") as out:
        env = bot_env(tmp_path, base_url, config)
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"], cwd=ROOT, env=env, stdout=out, stderr=out
        )
        server = Server(f"http://127.0.0.1:{port}{PATH}", api, log)
        try:
            server.wait_until_serving()
            yield server
        finally:
            process.send_signal(signal.SIGTERM)
            server.exit_code = process.wait(timeout=30)


def test_only_updates_with_the_secret_are_answered(tmp_path: Path) -> None:
    """setWebhook registers the URL and secret; a post without the secret or with a wrong one is
    refused (403) and never answered; the right one is answered through the Bot API."""
    updates = Updates()
    with webhook_bot(tmp_path) as bot:
        [registered] = bot.api.calls_to("setWebhook")
        assert registered.params["url"] == f"https://bot.example.org{PATH}"
        assert registered.params["secret_token"] == SECRET_TOKEN
        assert set(registered.params["allowed_updates"]) >= {"message", "callback_query"}
        intruder = {"user_id": 666, "chat_id": 666}
        assert bot.post(updates.message("Blinken weapons", **intruder), secret=None) == 403
        assert bot.post(updates.message("Blinken weapons", **intruder), secret="wrong") == 403
        assert bot.post(updates.message("Blinken weapons")) == 200
        first = bot.api.wait_for("sendMessage", 1, done=True)[0]
        assert first.params["chat_id"] == 501
        assert "[1] " in first.params["text"]
        # A second answered question: by now a refused update would have been answered too.
        assert bot.post(updates.message("/latest")) == 200
        replies = bot.api.wait_for("sendMessage", 2, done=True)
    logged = bot.log.read_text()
    assert bot.exit_code == 0, logged
    assert [reply.params["chat_id"] for reply in replies] == [501, 501]
    assert all(call.params.get("chat_id") != 666 for call in bot.api.calls)
    assert "webhook server" in logged
    assert bot.api.calls_to("deleteWebhook") == []  # not asked to: other instances may serve
    assert TOKEN.partition(":")[2] not in logged
    assert SECRET_TOKEN not in logged


def test_an_orderly_stop_deletes_the_webhook_when_asked(tmp_path: Path) -> None:
    """With delete_webhook_on_stop, SIGTERM unhooks the bot before it exits."""
    with webhook_bot(tmp_path, "delete_webhook_on_stop = true\n") as bot:
        assert bot.api.calls_to("deleteWebhook") == []
    assert bot.exit_code == 0, bot.log.read_text()
    assert len(bot.api.calls_to("deleteWebhook")) == 1


def test_a_taken_port_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    """When the webhook's port is taken, `briefbot run` says so in one line, no traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        config = tmp_path / "config.toml"
        config.write_text(
            "[[sources]]\nlocation = 'seeds'\n\n[telegram]\nmode = 'webhook'\n"
            f"webhook_url = 'https://bot.example.org{PATH}'\nport = {port}\n",
            encoding="utf-8",
        )
        with serve_bot_api(FakeBotApi()) as base_url:
            env = bot_env(tmp_path, base_url, config)
            done = subprocess.run(
                [sys.executable, "-m", "bot.cli", "run"],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
            )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert f"cannot serve the webhook on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr
