"""Answers under Bot API faults: the real ``briefbot run`` against a loopback Bot API that fails.

The fake Bot API of ``bench/bot.py`` (served here on 127.0.0.1) fails a fraction of *all* calls,
from the first ``getMe`` on: flood control (429 with ``retry_after``), 500 (JSON) and 502 (a
proxy's text page) answers that echo the request path (and so the token), connections reset
before the call takes effect, connections reset after it did (the reply is lost), and slow
replies. Questions come from distinct private chats, ``--concurrency`` at a time; a chat that
gets no reply within ``--timeout`` counts as unanswered. After the last question the bench waits
``--drain`` seconds for late copies, stops the bot with SIGTERM and reads its whole output.

Reported per run: questions asked, answered, answered twice (a chat got two answers),
apologised, unanswered, and how many sends the bot logged as not repeated because they may
have arrived (``bot.retry``: a reset after the request was written); tracebacks in the output;
occurrences of the token (or its secret half) in the output. Targets: 0 answered twice,
0 tracebacks, 0 token occurrences, and no unanswered question beyond those sends.

    python -m bench.faults [--questions 150] [--faults 0.2] [--workers 1,2] [--concurrency 10]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.bot import BOT, TOKEN, FakeTelegram
from bench.machine import CACHE, machine_report, markdown_table

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SECRET = TOKEN.partition(":")[2]
FIRST_CHAT = 200_001
KINDS = ("429", "500", "502", "reset", "lost reply", "slow")
# The bot's own line for a send it did not repeat because it may have arrived (bot.retry).
NOT_REPEATED = "may or may not have been done, not repeated"
QUESTIONS = ("Blinken weapons", "Bucha", "NATO headquarters Brussels", "Kuleba", "diplomacy",
             "Russia must decide", "weapons Ukraine", "grain exports", "meaningful diplomacy",
             "Secretary of State")  # fmt: skip
CONFIG = """\
# Written by bench/faults.py: the seeds as the only source, no per-user or overall rate limit.
[[sources]]
location = {seeds!r}

[limits]
rate_limit = 0
flood_rate = 0

[logging]
level = "INFO"

[telegram]
workers = {workers}
"""


class FaultyTelegram(FakeTelegram):
    """``bench.bot``'s fake Bot API, failing a fraction of calls and keeping every reply."""

    def __init__(self, fraction: float, slow: float, seed: int) -> None:
        super().__init__(QUESTIONS)
        self.fraction = fraction
        self.slow = slow
        self.rng = random.Random(seed)
        self.injected: collections.Counter[str] = collections.Counter()
        self.injected_in: collections.Counter[str] = collections.Counter()
        self.replies: dict[int, list[str]] = collections.defaultdict(list)
        self.replied: dict[int, asyncio.Event] = collections.defaultdict(asyncio.Event)

    async def reply(
        self, path: str, params: dict[str, Any], now: float
    ) -> tuple[int, bytes] | None:
        """Answer as the fake does, or fail this call one of the ``KINDS`` of ways."""
        method = path.rsplit("/", 1)[-1]
        if self.rng.random() >= self.fraction:
            return await super().reply(path, params, now)
        kind = self.rng.choice(KINDS)
        self.injected[kind] += 1
        self.injected_in[method] += 1
        if kind == "slow":
            await asyncio.sleep(self.slow)
            return await super().reply(path, params, now)
        if kind == "reset":
            return None
        if kind == "lost reply":
            await super().reply(path, params, now)
            return None
        if kind == "429":
            body = {"ok": False, "error_code": 429, "description": "Too Many Requests: retry "
                    "after 1", "parameters": {"retry_after": 1}}  # fmt: skip
            return 429, json.dumps(body).encode()
        echo = f"upstream failed for POST {path}"  # the path holds the token
        if kind == "502":
            return 502, f"<html><body><h1>502 Bad Gateway</h1>{echo}</body></html>".encode()
        body = {"ok": False, "error_code": 500, "description": f"Internal Server Error: {echo}"}
        return 500, json.dumps(body).encode()

    async def answer(self, method: str, params: dict[str, Any], now: float) -> Any:
        """Keep each sendMessage text by chat; everything else as the plain fake does."""
        if method != "sendMessage":
            return await super().answer(method, params, now)
        self.methods[method] = self.methods.get(method, 0) + 1
        chat_id = int(params["chat_id"])
        self.replies[chat_id].append(str(params.get("text", "")))
        self.replied[chat_id].set()
        chat = {"id": chat_id, "type": "private", "first_name": "Reader"}
        n = next(self.count)
        return {"message_id": 10**9 + n, "date": int(time.time()), "chat": chat, "from": BOT,
                "text": params.get("text", "")}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one run counted."""

    workers: int
    asked: int
    answered: int
    twice: int
    apologised: int
    unanswered: int
    not_repeated: int
    tracebacks: int
    token: int
    injected: int
    seconds: float
    exit_code: int | None


def child_env(port: int, store: Path) -> dict[str, str]:
    """The bot's environment: ours without proxies, the fake's URL and a throwaway store."""
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith("BRIEFBOT_") and "proxy" not in k.lower()}  # fmt: skip
    return keep | {
        "BRIEFBOT_TOKEN": TOKEN,
        "BRIEFBOT_BASE_URL": f"http://127.0.0.1:{port}/bot",
        "BRIEFBOT_DB": str(store),
        "NO_PROXY": "127.0.0.1,localhost",
    }


def start_bot(config: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``briefbot run`` with ``config``; its stdout and stderr both go to ``log``."""
    argv = [sys.executable, "-m", "bot.cli", "--config", str(config), "run"]
    with log.open("wb") as out:
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


async def ask_all(api: FaultyTelegram, args: argparse.Namespace, deadline: float) -> None:
    """Ask ``args.questions`` questions from as many chats, ``args.concurrency`` at a time."""
    slots = asyncio.Semaphore(args.concurrency)

    async def one(number: int) -> None:
        async with slots:
            chat_id = FIRST_CHAT + number
            api.ask(chat_id)
            wait = min(args.timeout, max(0.0, deadline - time.monotonic()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(api.replied[chat_id].wait(), wait)

    await asyncio.gather(*(one(number) for number in range(args.questions)))


async def run_once(args: argparse.Namespace, workers: int, apology: str) -> Outcome:
    """Start the bot with ``workers``, ask every question under faults, stop it, count."""
    api = FaultyTelegram(args.faults, args.slow, args.seed + workers)
    server = await asyncio.start_server(api.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    started = time.monotonic()
    deadline = started + args.max_seconds
    with tempfile.TemporaryDirectory(prefix="briefbot-faults-") as folder:
        config = Path(folder) / "config.toml"
        config.write_text(CONFIG.format(seeds=str(SEEDS), workers=workers), encoding="utf-8")
        log = Path(folder) / "bot.log"
        bot = start_bot(config, child_env(port, Path(folder) / "s.db"), log)
        exit_code: int | None = None
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(api.ready.wait(), max(1.0, deadline - time.monotonic()))
            if api.ready.is_set():
                await ask_all(api, args, deadline)
                await asyncio.sleep(min(args.drain, max(0.0, deadline - time.monotonic())))
        finally:
            bot.send_signal(signal.SIGTERM)
            try:
                exit_code = await asyncio.to_thread(bot.wait, 30)
            except subprocess.TimeoutExpired:
                bot.kill()
            api.arrived.set()  # release a long poll the stopped bot left hanging
            server.close()
            await asyncio.sleep(0.2)
        output = log.read_text(encoding="utf-8", errors="replace")
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / f"faults-workers-{workers}.log").write_text(output, encoding="utf-8")
    seconds = time.monotonic() - started
    asked = api.asked
    chats = [api.replies.get(FIRST_CHAT + n, []) for n in range(asked)]
    answers = [sum(text != apology for text in texts) for texts in chats]
    return Outcome(
        workers=workers,
        asked=asked,
        answered=sum(1 for n in answers if n),
        twice=sum(1 for n in answers if n > 1),
        apologised=sum(1 for texts in chats if apology in texts),
        unanswered=sum(1 for texts in chats if not texts),
        not_repeated=output.count(NOT_REPEATED),
        tracebacks=output.count("Traceback (most recent call last)"),
        token=output.count(TOKEN) + output.count(SECRET),
        injected=sum(api.injected.values()),
        seconds=seconds,
        exit_code=exit_code,
    )


def row(outcome: Outcome) -> list[str]:
    """One Markdown row for a run."""
    o = outcome
    return [f"{o.workers} process" if o.workers == 1 else f"workers = {o.workers}",
            str(o.asked), str(o.answered), str(o.twice), str(o.apologised), str(o.unanswered),
            str(o.not_repeated), str(o.tracebacks), str(o.token), str(o.injected),
            f"{o.seconds:.0f}", str(o.exit_code)]  # fmt: skip


def verdict(outcome: Outcome) -> str:
    """Say which targets a run met."""
    checks = [
        ("0 answered twice", outcome.twice == 0),
        ("0 tracebacks", outcome.tracebacks == 0),
        ("0 token occurrences", outcome.token == 0),
        ("unanswered within the not-repeated sends", outcome.unanswered <= outcome.not_repeated),
        ("clean exit", outcome.exit_code == 0),
    ]
    return ", ".join(f"{name}: {'met' if ok else 'NOT met'}" for name, ok in checks)


async def run(args: argparse.Namespace) -> None:
    """Run once per worker count and print the report."""
    from bot.handlers import APOLOGY

    print("## Answers under Bot API faults (loopback fake Bot API)\n")
    print(machine_report() + "\n")
    outcomes = [await run_once(args, workers, APOLOGY) for workers in args.workers]
    headers = ("run", "asked", "answered", "answered twice", "apologised", "unanswered",
               "sends not repeated (may have arrived)", "tracebacks", "token occurrences",
               "faults injected", "seconds", "exit code")  # fmt: skip
    print(markdown_table(headers, [row(o) for o in outcomes]))
    print()
    for outcome in outcomes:
        print(f"workers = {outcome.workers}: {verdict(outcome)}.")
    print(
        f"\n{args.faults:.0%} of all Bot API calls failed (getMe, setMyCommands, getUpdates and "
        f"sendMessage alike), each way equally often: {', '.join(KINDS)} "
        f"(slow = {args.slow:g} s; 429 asks for 1 s; 500 and 502 bodies quote the request path "
        "with the token). Each question comes from its own private chat, "
        f"{args.concurrency} chats at a time; no reply within {args.timeout:g} s counts as "
        f"unanswered; {args.drain:g} s of drain catch late second copies. A send reset after "
        "it was written is not repeated (it may have arrived): the bot logs it, and when the "
        "reset came before the fake acted, that question stays unanswered by design. "
        f"The bot's output of each run is kept in {CACHE.name}/faults-workers-N.log."
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Parse flags and run the benchmark."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.faults",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--questions", type=int, default=150, help="questions asked per run")
    parser.add_argument("--faults", type=float, default=0.2, help="fraction of calls failed")
    parser.add_argument(
        "--workers", type=lambda v: [int(x) for x in v.split(",")], default=[1, 2],
        help="[telegram] workers, one run each (default 1,2)",
    )  # fmt: skip
    parser.add_argument("--concurrency", type=int, default=10, help="chats asking at once")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait per question")
    parser.add_argument("--drain", type=float, default=5.0, help="seconds to wait at the end")
    parser.add_argument("--slow", type=float, default=2.0, help="delay of a slow reply, seconds")
    parser.add_argument("--max-seconds", type=float, default=300.0, help="bound on one run")
    parser.add_argument("--seed", type=int, default=7, help="seed of the fault schedule")
    args = parser.parse_args(argv)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
