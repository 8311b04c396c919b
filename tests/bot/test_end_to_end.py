"""`briefbot run` as a real process against a fake Bot API served over HTTP on 127.0.0.1."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from html_check import html_problems
from telegram_fakes import TOKEN, Call, FakeBotApi, Updates, sent_messages, serve_bot_api

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
SECRET = TOKEN.partition(":")[2]

pytestmark = pytest.mark.slow


class Conversation:
    """Pushes updates to the fake API and waits for the bot's reaction."""

    def __init__(self, api: FakeBotApi, log: Path) -> None:
        self.api = api
        self.log = log
        self.updates = Updates()
        self.exit_code: int | None = None
        self.pid: int | None = None

    def say(self, update: dict[str, Any], method: str = "sendMessage") -> Call:
        """Send one update and return the next call of ``method`` it causes."""
        count = len(self.api.calls_to(method))
        self.api.push(update)
        return self.api.wait_for(method, count + 1)[-1]


def child_env(base_url: str, tmp_path: Path, config: Path) -> dict[str, str]:
    """The environment of `briefbot run`: ours, minus anything that could reach elsewhere."""
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("BRIEFBOT_") and "proxy" not in k.lower()
    }
    return keep | {
        "BRIEFBOT_TOKEN": TOKEN,
        "BRIEFBOT_BASE_URL": base_url,
        "BRIEFBOT_DB": str(tmp_path / "briefbot.sqlite3"),
        "BRIEFBOT_CONFIG": str(config),
        "BRIEFBOT_LOG_LEVEL": "DEBUG",
        "NO_PROXY": "127.0.0.1,localhost",
    }


@contextmanager
def briefbot_run(tmp_path: Path, more_config: str = "") -> Iterator[Conversation]:
    """Run `briefbot run` polling a fake API until the block ends, then stop it with SIGTERM."""
    api = FakeBotApi()
    config = tmp_path / "config.toml"
    config.write_text(
        f"[search]\nresults = 6\npage_size = 2\n\n[[sources]]\nlocation = {str(SEEDS)!r}\n\n"
        + more_config,
        encoding="utf-8",
    )
    chat = Conversation(api, tmp_path / "stderr.log")
    with serve_bot_api(api) as base_url, chat.log.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"],
            cwd=ROOT,
            env=child_env(base_url, tmp_path, config),
            stdout=log,
            stderr=log,
        )
        chat.pid = process.pid
        try:
            api.wait_for("setMyCommands", 1, timeout=90)
            api.wait_for("getUpdates", 1)
            yield chat
        finally:
            process.send_signal(signal.SIGTERM)
            chat.exit_code = process.wait(timeout=30)


def test_conversation_over_http(tmp_path: Path) -> None:
    """A whole conversation works over HTTP, every reply is valid HTML, and no log has the token."""
    with briefbot_run(tmp_path) as chat:
        converse(chat)
    logged = chat.log.read_text()
    assert chat.exit_code == 0, logged
    for call in sent_messages(chat.api):
        assert html_problems(call.params["text"]) == [], call.params["text"]
        assert call.params["parse_mode"] == "HTML"
    for what in ("start", "question", "PageButton", "OpenButton", "latest", "usage"):
        assert f"answered {what} in private chat" in logged
    assert TOKEN not in logged
    assert SECRET not in logged


def converse(chat: Conversation) -> None:
    """Search, page, open, list, edit, and every kind of bad input, checking each reaction."""
    build = chat.updates

    welcome = chat.say(build.message("/start"))
    assert "For example: <i>Blinken Reaffirms Commitment Send</i>" in welcome.params["text"]

    question = build.message("Blinken weapons")
    answer = chat.say(question)
    assert "[1] " in answer.params["text"]
    keyboard = answer.params["reply_markup"]["inline_keyboard"]
    page_two = keyboard[-1][-1]["callback_data"]
    assert re.fullmatch(r"p:\d+:1", page_two)

    paged = chat.say(build.button(page_two), "editMessageText")
    assert "[3] " in paged.params["text"]
    open_third = paged.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    opened = chat.say(build.button(open_third), "editMessageText")
    assert "Passage " in opened.params["text"]
    assert chat.api.wait_for("answerCallbackQuery", 2)[-1].params.get("text") is None

    latest = chat.say(build.message("/latest"))
    assert "Blinken Reaffirms" in latest.params["text"]

    edited = build.message("Bucha atrocities", message_id=question["message"]["message_id"],
                           edited=True)  # fmt: skip
    edit = chat.say(edited, "editMessageText")
    assert edit.params["message_id"] == 10_002  # the answer to the original question
    assert "<b>Bucha</b>" in edit.params["text"]

    assert "very common words" in chat.say(build.message("the of and")).params["text"]
    assert "Usage: /search" in chat.say(build.message("/search")).params["text"]
    pasted = chat.say(build.message("weapons " * 700)).params["text"]
    assert pasted.startswith("🔎 Briefings related to the message you pasted")
    stale = chat.say(build.button("p:999:0"), "answerCallbackQuery")
    assert "expired" in stale.params["text"]


def wait_for_log(log: Path, text: str, count: int = 1, timeout: float = 60.0) -> None:
    """Block until ``text`` appears ``count`` times in the bot's log."""
    deadline = time.monotonic() + timeout
    while log.read_text().count(text) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} not logged {count} times:\n{log.read_text()}")
        time.sleep(0.05)


def worker_pids(parent: int) -> list[int]:
    """The bot's worker processes (children started by multiprocessing's spawn)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if ppid == parent and b"spawn_main" in command:
            found.append(int(stat.parent.name))
    return found


WORKERS = "[telegram]\nworkers = 2\n\n[limits]\nflood_rate = 0\n"


def test_conversation_through_worker_processes(tmp_path: Path) -> None:
    """With two workers the conversation is the same; killed workers lose no question."""
    with briefbot_run(tmp_path, WORKERS) as chat:
        for number in (1, 2):
            wait_for_log(chat.log, f"worker {number} of 2 is answering")
        converse(chat)
        assert chat.pid is not None
        killed = worker_pids(chat.pid)
        assert len(killed) == 2
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        wait_for_log(chat.log, "stopped (exit code -9)", 2)
        answer = chat.say(chat.updates.message("Blinken weapons"))
        assert "[1] " in answer.params["text"]
        wait_for_log(chat.log, "of 2 is answering", 4)
        assert not set(worker_pids(chat.pid)) & set(killed)
        again = chat.say(chat.updates.message("/search Bucha"))
        assert "<b>Bucha</b>" in again.params["text"]
    logged = chat.log.read_text()
    assert chat.exit_code == 0, logged
    # User 501 asks everything, so worker 2 of 2 (501 % 2 = 1) answers it.
    assert "[worker 2] bot.handlers: answered question in private chat" in logged
    assert "[worker 1] bot.handlers: answered" not in logged
    assert "unanswered" not in logged
    for call in sent_messages(chat.api):
        assert html_problems(call.params["text"]) == [], call.params["text"]
    assert TOKEN not in logged
    assert SECRET not in logged


def test_a_rejected_token_gets_a_paragraph_not_a_traceback(tmp_path: Path) -> None:
    """A token the Bot API refuses ends `briefbot run` with how to get one, exit 2."""
    config = tmp_path / "config.toml"
    config.write_text("sources = []\n", encoding="utf-8")
    other = "987654321:AAHanotherTokenTheServerDoesNotKnow_xyz"
    with serve_bot_api(FakeBotApi()) as base_url:
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "run"],
            cwd=ROOT,
            env=child_env(base_url, tmp_path, config) | {"BRIEFBOT_TOKEN": other},
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    assert done.returncode == 2
    assert "Telegram rejected the token. Talk to @BotFather" in done.stderr
    assert "Traceback" not in done.stderr
    assert "Unclosed" not in done.stderr
    assert other.partition(":")[2] not in done.stderr
