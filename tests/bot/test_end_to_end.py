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

from bot.handlers import APOLOGY
from bot.retry import START_BUDGET

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
        self.process: subprocess.Popen[bytes] | None = None

    def say(self, update: dict[str, Any], method: str = "sendMessage") -> Call:
        """Send one update and return the next call of ``method`` it causes that took effect."""
        count = len(self.api.answered(method))
        self.api.push(update)
        return self.api.wait_for(method, count + 1, done=True)[-1]


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
def briefbot_run(
    tmp_path: Path, more_config: str = "", api: FakeBotApi | None = None
) -> Iterator[Conversation]:
    """Run `briefbot run` polling a fake API until the block ends, then stop it with SIGTERM."""
    api = api or FakeBotApi()
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
        chat.process = process
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
    assert re.fullmatch(r"p:[A-Za-z0-9_-]{12}:1", page_two)

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


def echo(method: str) -> str:
    """An error description quoting the request path, as some proxies and servers write them."""
    return f"upstream failed for POST /bot{TOKEN}/{method}"


def assert_quiet_and_secret(logged: str) -> None:
    """No traceback and neither the token nor its secret half anywhere in the output."""
    assert "Traceback" not in logged, logged
    assert TOKEN not in logged
    assert SECRET not in logged


def test_start_survives_a_dropped_getme_and_a_failed_setmycommands(tmp_path: Path) -> None:
    """A reset at getMe and a 502 at setMyCommands are retried: the bot starts and answers."""
    api = FakeBotApi()
    api.drop_next("getMe")
    api.fail_next("setMyCommands", echo("setMyCommands"), 502)
    with briefbot_run(tmp_path, api=api) as chat:
        answer = chat.say(chat.updates.message("Blinken weapons"))
        assert "[1] " in answer.params["text"]
    logged = chat.log.read_text()
    assert chat.exit_code == 0, logged
    assert len(api.calls_to("getMe")) == 2
    assert_quiet_and_secret(logged)


def test_sends_and_polls_survive_faults_quietly(tmp_path: Path) -> None:
    """Mid-run 5xx answers and resets are retried or waited out: each question answered once."""
    with briefbot_run(tmp_path) as chat:
        api = chat.api
        api.fail_next("sendMessage", echo("sendMessage"), 500, plain=True)
        api.fail_next("sendMessage", "Bad Gateway", 502)
        first = chat.say(chat.updates.message("Blinken weapons"))
        for _ in range(3):
            api.fail_next("getUpdates", echo("getUpdates"), 502)
        api.drop_next("getUpdates")
        second = chat.say(chat.updates.message("/search Bucha"))
        wait_for_log(chat.log, "polling works again")
    logged = chat.log.read_text()
    assert chat.exit_code == 0, logged
    assert "[1] " in first.params["text"]
    assert "<b>Bucha</b>" in second.params["text"]
    assert len(api.answered("sendMessage")) == 2  # no apology, no second copy
    assert logged.count("polling failed") == 1
    assert logged.count("polling works again after") == 1
    assert "update None failed" not in logged
    assert "[token]" in logged  # the echoed path was logged, masked
    assert_quiet_and_secret(logged)


def test_echoed_token_never_reaches_the_output_of_parent_or_workers(tmp_path: Path) -> None:
    """Errors quoting the token at start-up, in workers and mid-run are all logged masked."""
    api = FakeBotApi()
    api.fail_next("getMe", echo("getMe"), 502, plain=True)  # the parent's first try
    api.fail_next("getMe", "", 200)  # its second
    api.fail_next("getMe", f"Unauthorized: {echo('getMe')}", 401)  # a worker dies at start
    with briefbot_run(tmp_path, WORKERS, api=api) as chat:
        wait_for_log(chat.log, "stopped (exit code 1)")
        for number in (1, 2):
            wait_for_log(chat.log, f"worker {number} of 2 is answering")
        api.fail_next("sendMessage", f"Bad Request: can't parse {echo('sendMessage')}", 400)
        assert chat.say(chat.updates.message("Blinken weapons")).params["text"] == APOLOGY
        api.fail_next("sendMessage", echo("sendMessage"), 503, plain=True)
        assert "[1] " in chat.say(chat.updates.message("Bucha")).params["text"]
    logged = chat.log.read_text()
    assert chat.exit_code == 0, logged
    assert "[worker 2] bot.handlers: update" in logged  # the 400 was logged by the worker
    assert logged.count("[token]") >= 3
    assert TOKEN not in logged
    assert SECRET not in logged


def test_a_token_revoked_mid_run_stops_the_bot_with_one_line(tmp_path: Path) -> None:
    """With workers, a token Telegram starts refusing ends the run: exit 2, the BotFather hint."""
    with briefbot_run(tmp_path, WORKERS) as chat:
        for number in (1, 2):
            wait_for_log(chat.log, f"worker {number} of 2 is answering")
        assert "[1] " in chat.say(chat.updates.message("Blinken weapons")).params["text"]
        chat.api.revoke(f"Unauthorized: {echo('getUpdates')}")
        assert chat.process is not None
        chat.process.wait(timeout=60)  # it stops by itself
    logged = chat.log.read_text()
    assert chat.exit_code == 2, logged
    assert_quiet_and_secret(logged)


def test_start_that_keeps_failing_exits_with_one_line(tmp_path: Path) -> None:
    """getMe failing on every attempt of the start-up budget ends the run: one line, exit 2."""
    config = tmp_path / "config.toml"
    config.write_text("sources = []\n", encoding="utf-8")
    api = FakeBotApi()
    for _ in range(START_BUDGET.attempts):
        api.fail_next("getMe", echo("getMe"), 502, plain=True)
    with serve_bot_api(api) as base_url:
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "run"],
            cwd=ROOT, env=child_env(base_url, tmp_path, config) | {"BRIEFBOT_LOG_LEVEL": "INFO"},
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    assert done.returncode == 2
    assert len(api.calls_to("getMe")) == START_BUDGET.attempts
    assert done.stderr.strip().splitlines()[-1].startswith("briefbot: cannot reach http://")
    assert "upstream failed for POST /bot[token]/getMe" in done.stderr
    assert_quiet_and_secret(done.stdout + done.stderr)
