"""The bot's answer latency and throughput through a loopback fake Bot API, 100k passages loaded.

The real ``briefbot run`` (same entry point, ``python -m bot.cli``) runs as a subprocess with
``base_url`` pointing at a fake Bot API served here on 127.0.0.1 with asyncio streams (HTTP/1.1
keep-alive). With ``--workers`` 0 (the default) the bot answers with one worker process per
core, as it does when the overall flood cap is lifted; ``--workers 1`` measures one process.
Simulated private chats ask real news questions in a closed loop (a chat asks its next question
as soon as the answer to the previous one arrives) and at fixed offered rates. Latency
is the time from the update's first hand-out in a ``getUpdates`` reply to the arrival of the
``sendMessage`` answering it; an update still unanswered after the drain is lost.

The store (eval articles repeated under new titles and URLs until about 100k passages) is
cached in ``bench/.cache/`` and copied fresh for each run, since the bot writes its own tables
into the same SQLite file.

    python -m bench.bot [--chats 50] [--seconds 25] [--passages 100000] [--workers 0] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import numpy as np

from bench.corpus import QUERY_SETS, SEED, SOURCES, read_jsonl
from bench.machine import CACHE, fmt, machine_report, markdown_table, need_eval

# A made-up token that only ever travels to the loopback fake.
TOKEN = "123456789:AAHbenchTokenForLoopbackOnly_abcdefghijk"  # noqa: S105
BOT = {"id": 777000222, "is_bot": True, "first_name": "Briefbot", "username": "BriefBenchBot"}
FIRST_CHAT = 100_001
BATCH = 2_000
DRAIN_SECONDS = 15.0
TARGETS = "p50 < 30 ms, p99 < 150 ms, >= 200 answered/s, 0 lost"
# The bot logs one line per answered update with its own handler time.
HANDLER_LINE = re.compile(r"answered question in \w+ chat: \d+ results, ([\d.]+) ms")
CONFIG = """\
# Written by bench/bot.py: no sources (the store is prebuilt), no per-user rate limit, and no
# overall flood cap (Telegram's real 30 messages/s limit would cap any bot at 30 answers/s).
sources = []

[limits]
rate_limit = 0
flood_rate = 0

[logging]
level = "INFO"

[telegram]
workers = {workers}
"""


def article_stream() -> Iterator[Any]:
    """Yield eval articles forever; copy ``c`` gets " #c" in its title and its own URL."""
    from retrieval.models import Article

    records = [
        (name, i, str(r.get("title") or ""), str(r["text"]))
        for name in SOURCES
        for i, r in enumerate(read_jsonl(need_eval() / name / "corpus.jsonl.gz"))
    ]
    for copy in itertools.count():
        for name, i, title, text in records:
            url = f"https://briefings.example/{name}/{copy}/{i}"
            yield Article(f"{title} #{copy}".strip(), text, url=url, source=name)


def ensure_store(passages: int) -> Path:
    """Return a cached store of at least ``passages`` passages, building it on the first run."""
    from retrieval.engine import Engine

    path = CACHE / f"bot-{passages}.sqlite3"
    if path.exists() and Path(f"{path}.index").is_dir():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    shutil.rmtree(f"{path}.index", ignore_errors=True)
    engine, stream, held = Engine.open(path), article_stream(), 0
    while held < passages:
        held += engine.ingest(list(itertools.islice(stream, BATCH)), persist=False).passages
        print(f"  store: {held:,} passages", file=sys.stderr, flush=True)
    engine.save_index()
    engine.close()
    return path


def fresh_copy(store: Path) -> Path:
    """Copy the cached store and its index for one run, so bot tables never accumulate."""
    run = CACHE / "bot-run.sqlite3"
    for stale in (run, Path(f"{run}-wal"), Path(f"{run}-shm")):
        stale.unlink(missing_ok=True)
    shutil.rmtree(f"{run}.index", ignore_errors=True)
    shutil.copy2(store, run)
    if Path(f"{store}-wal").exists():
        shutil.copy2(f"{store}-wal", f"{run}-wal")
    shutil.copytree(f"{store}.index", f"{run}.index")
    return run


def questions() -> list[str]:
    """Real news questions (RealTime QA) and BBC headlines, shuffled with a fixed seed."""
    texts = [
        str(r["text"]).strip()
        for name in QUERY_SETS
        for r in read_jsonl(need_eval() / name / "queries.jsonl")
    ]
    kept = [t for t in texts if t]
    return [kept[i] for i in np.random.default_rng(SEED).permutation(len(kept))]


@dataclass(frozen=True, slots=True)
class Phase:
    """What one closed-loop phase measured."""

    chats: int
    seconds: float
    asked: int
    answered_in_window: int
    latencies: tuple[float, ...]
    with_results: int
    lost: int
    stray: int
    bot_cpu: float
    bench_cpu: float
    handler_ms: tuple[float, ...]


def decode(body: bytes, content_type: str) -> dict[str, Any]:
    """Read PTB's parameters: form-encoded, JSON inside for anything that is not a plain string."""
    if content_type.startswith("application/json"):
        return dict(json.loads(body or b"{}"))
    return dict(parse_qsl(body.decode(), keep_blank_values=True))


class FakeTelegram:
    """The Bot API side: hands out questions from simulated chats and times their answers."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = texts
        self.count = itertools.count()
        self.pending: list[dict[str, Any]] = []  # updates not yet confirmed by an offset
        self.handed: dict[int, float] = {}  # update_id -> first hand-out time
        self.open: dict[int, int] = {}  # chat_id -> the update_id its answer is awaited for
        self.arrived = asyncio.Event()
        self.ready = asyncio.Event()
        self.drained = asyncio.Event()
        self.asking = False
        self.idle: collections.deque[int] | None = None  # paced mode: chats free to ask
        self.methods: dict[str, int] = {}
        self.reset()

    def reset(self) -> None:
        """Start counting a new phase."""
        self.asked = self.stray = self.with_results = 0
        self.answers: list[tuple[float, float]] = []  # (arrival time, latency)

    def ask(self, chat_id: int) -> None:
        """Queue chat ``chat_id``'s next question as a private-chat text message."""
        n = next(self.count)
        text = self.texts[n % len(self.texts)]
        chat = {"id": chat_id, "type": "private", "first_name": "Reader"}
        message = {"message_id": n + 1, "date": int(time.time()), "chat": chat, "text": text}
        message["from"] = {"id": chat_id, "is_bot": False, "first_name": "Reader"}
        self.pending.append({"update_id": n + 1, "message": message})
        self.open[chat_id] = n + 1
        self.asked += 1
        self.arrived.set()

    async def get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Confirm updates below ``offset``, long-poll if none are left, stamp the hand-out."""
        self.ready.set()
        offset = int(params.get("offset") or 0)
        self.pending = [u for u in self.pending if u["update_id"] >= offset]
        if not self.pending:
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), float(params.get("timeout") or 0))
        batch = self.pending[: int(params.get("limit") or 100)]
        now = time.perf_counter()
        for update in batch:
            self.handed.setdefault(update["update_id"], now)
        return batch

    def send_message(self, params: dict[str, Any], now: float) -> dict[str, Any]:
        """Time the answer, let its chat ask again, and return the sent message."""
        chat_id = int(params["chat_id"])
        update_id = self.open.pop(chat_id, None)
        if not self.open:
            self.drained.set()
        if update_id is None:
            self.stray += 1
        else:
            self.answers.append((now, now - self.handed[update_id]))
            self.with_results += "reply_markup" in params
            if self.idle is not None:
                self.idle.append(chat_id)
            elif self.asking:
                self.ask(chat_id)
        chat = {"id": chat_id, "type": "private", "first_name": "Reader"}
        n = next(self.count)
        return {"message_id": 10**9 + n, "date": int(time.time()), "chat": chat, "from": BOT,
                "text": params.get("text", "")}  # fmt: skip

    async def answer(self, method: str, params: dict[str, Any], now: float) -> Any:
        """The ``result`` of one Bot API call."""
        self.methods[method] = self.methods.get(method, 0) + 1
        if method == "getUpdates":
            return await self.get_updates(params)
        if method == "sendMessage":
            return self.send_message(params, now)
        if method == "getMe":
            return BOT
        return True

    async def reply(
        self, path: str, params: dict[str, Any], now: float
    ) -> tuple[int, bytes] | None:
        """The HTTP status and body answering one request (None: drop the connection)."""
        if not path.startswith(f"/bot{TOKEN}/"):
            return 404, b'{"ok": false, "error_code": 404, "description": "Not Found"}'
        result = await self.answer(path.rsplit("/", 1)[-1], params, now)
        return 200, json.dumps({"ok": True, "result": result}).encode()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one keep-alive HTTP/1.1 connection until the client closes it."""
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                now = time.perf_counter()
                path = head[0].split(" ")[1]
                headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:])}
                body = await reader.readexactly(int(headers.get("content-length") or 0))
                params = decode(body, headers.get("content-type", ""))
                reply = await self.reply(path, params, now)
                if reply is None:  # drop the connection without an answer, with a reset
                    writer.transport.abort()
                    return
                status, data = reply
                writer.write(
                    b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                    % (status, len(data))
                    + data
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            if not writer.is_closing():
                writer.close()


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by process ``pid`` and its worker processes."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # exited meanwhile
            continue
        if stat.parent.name == str(pid) or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def handler_times(log: Path, start: int) -> tuple[tuple[float, ...], int]:
    """The bot's own per-answer handler times logged since byte ``start``, and the new end."""
    with log.open("rb") as handle:
        handle.seek(start)
        text = handle.read().decode(errors="replace")
    times = tuple(float(m.group(1)) for m in HANDLER_LINE.finditer(text))
    return times, start + len(text.encode())


async def phase(api: FakeTelegram, bot_pid: int, log: Path, chats: int, seconds: float) -> Phase:
    """Run ``chats`` closed-loop chats for ``seconds``, then drain and count what was lost."""
    _, log_at = handler_times(log, 0)
    api.reset()
    bot_cpu, bench_cpu = proc_cpu(bot_pid), time.process_time()
    start = time.perf_counter()
    api.asking = True
    for chat_id in range(FIRST_CHAT, FIRST_CHAT + chats):
        api.ask(chat_id)
    await asyncio.sleep(seconds)
    api.asking = False
    return await finish(api, bot_pid, log, log_at, chats, start, (bot_cpu, bench_cpu))


async def finish(
    api: FakeTelegram, bot_pid: int, log: Path, log_at: int, chats: int, start: float,
    cpu: tuple[float, float],
) -> Phase:  # fmt: skip
    """End a phase: wait for answers still due, count the lost ones, gather the figures."""
    end = time.perf_counter()
    bot_cpu, bench_cpu = proc_cpu(bot_pid) - cpu[0], time.process_time() - cpu[1]
    if api.open:
        api.drained.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(api.drained.wait(), DRAIN_SECONDS)
    lost = len(api.open)
    api.open.clear()
    api.idle = None
    await asyncio.sleep(0.5)  # the bot logs its line just after the answer is sent
    handler_ms, _ = handler_times(log, log_at)
    return Phase(
        chats=chats,
        seconds=end - start,
        asked=api.asked,
        answered_in_window=sum(1 for at, _ in api.answers if at <= end),
        latencies=tuple(latency for _, latency in api.answers),
        with_results=api.with_results,
        lost=lost,
        stray=api.stray,
        bot_cpu=bot_cpu,
        bench_cpu=bench_cpu,
        handler_ms=handler_ms,
    )


async def paced(
    api: FakeTelegram, bot_pid: int, log: Path, chats: int, seconds: float, rate: float
) -> Phase:
    """Offer ``rate`` questions/s spread over ``chats`` chats, like people who ask and read.

    A chat asks again only once its previous question is answered; when every chat is still
    waiting, the question is not asked (``asked`` then falls short of ``rate * seconds``).
    Unlike the closed loop, latency here is not ``chats / throughput`` by construction.
    """
    _, log_at = handler_times(log, 0)
    api.reset()
    api.idle = collections.deque(range(FIRST_CHAT, FIRST_CHAT + chats))
    bot_cpu, bench_cpu = proc_cpu(bot_pid), time.process_time()
    start = next_at = time.perf_counter()
    end = start + seconds
    while next_at < end:
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        if api.idle:
            api.ask(api.idle.popleft())
        next_at += 1.0 / rate
    return await finish(api, bot_pid, log, log_at, chats, start, (bot_cpu, bench_cpu))


def start_bot(
    store: Path, port: int, log: Path, profile: Path | None, workers: int
) -> subprocess.Popen[bytes]:
    """Start ``briefbot run`` on ``store`` against the fake API; its log goes to ``log``.

    With ``profile`` the bot runs under cProfile (event-loop thread only: searches run in
    worker threads and show up as time spent waiting on them).
    """
    config = CACHE / "bot-bench.toml"
    config.write_text(CONFIG.format(workers=workers))
    env = os.environ | {
        "BRIEFBOT_TOKEN": TOKEN,
        "BRIEFBOT_BASE_URL": f"http://127.0.0.1:{port}/bot",
        "BRIEFBOT_DB": str(store),
    }
    argv = [sys.executable, "-m", "bot.cli", "--config", str(config), "run"]
    if profile is not None:
        argv[1:1] = ["-m", "cProfile", "-o", str(profile)]
    root = Path(__file__).resolve().parents[1]
    with log.open("wb") as out:
        return subprocess.Popen(argv, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)


def row(label: str, p: Phase) -> list[str]:
    """One Markdown row for a phase."""
    ms = np.asarray(p.latencies) * 1e3
    pct = np.percentile(ms, [50, 95, 99]) if ms.size else np.full(3, np.nan)
    hms = np.percentile(p.handler_ms, [50, 99]) if p.handler_ms else np.full(2, np.nan)
    answered = max(len(ms), 1)
    return [
        label,
        str(p.chats),
        f"{p.seconds:.1f}",
        f"{len(ms):,}",
        f"{p.answered_in_window / p.seconds:.0f}",
        *(fmt(x, 1) for x in pct),
        fmt(float(ms.max()) if ms.size else float("nan"), 1),
        f"{p.lost} (+{p.stray} stray)",
        f"{fmt(hms[0], 1)} / {fmt(hms[1], 1)}",
        f"{p.bot_cpu / answered * 1e3:.1f}",
        f"{p.bot_cpu / p.seconds:.2f}",
        f"{p.bench_cpu / answered * 1e3:.1f}",
        f"{100 * p.with_results / answered:.0f}%",
    ]


def verdict(p: Phase) -> str:
    """Say which targets the phase met."""
    ms = np.asarray(p.latencies) * 1e3
    if not ms.size:
        return "no answers at all: targets NOT met"
    checks = [
        ("p50 < 30 ms", float(np.percentile(ms, 50)) < 30),
        ("p99 < 150 ms", float(np.percentile(ms, 99)) < 150),
        (">= 200 answered/s", p.answered_in_window / p.seconds >= 200),
        ("0 lost", p.lost == 0 and p.stray == 0),
    ]
    return ", ".join(f"{name}: {'met' if ok else 'NOT met'}" for name, ok in checks)


async def run(args: argparse.Namespace) -> None:
    """Serve the fake API, start the bot, run the phases and print the report."""
    print("## Bot answer latency and throughput (loopback fake Bot API)\n")
    print(machine_report() + "\n")
    store = ensure_store(args.passages)
    from retrieval.engine import Engine

    engine = Engine.open(store)
    held = engine.stats().passages
    engine.close()
    api = FakeTelegram(questions())
    server = await asyncio.start_server(api.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    log = CACHE / "bot-run.log"
    started = time.perf_counter()
    bot = start_bot(fresh_copy(store), port, log, args.profile, args.workers)
    try:
        await asyncio.wait_for(api.ready.wait(), 120)
        ready = time.perf_counter() - started
        await phase(api, bot.pid, log, args.chats, args.warmup)  # warm caches; not reported
        floor = await phase(api, bot.pid, log, 1, args.floor_seconds)
        loaded = await phase(api, bot.pid, log, args.chats, args.seconds)
        offered = [
            (rate, await paced(api, bot.pid, log, args.chats, args.paced_seconds, rate))
            for rate in args.rates
        ]
    finally:
        bot.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(bot.wait, 20)
        except subprocess.TimeoutExpired:
            bot.kill()
        api.arrived.set()  # release a long poll the stopped bot left hanging
        server.close()
        await asyncio.sleep(0.2)
    headers = ("run", "chats", "window s", "answered", "answered/s", "p50 ms", "p95 ms",
               "p99 ms", "max ms", "lost", "handler p50 / p99 ms", "bot CPU ms/answer",
               "bot cores busy", "fake API CPU ms/answer", "with results")  # fmt: skip
    rows = [row("latency floor", floor), row(f"{args.chats} chats, closed loop", loaded)]
    rows += [
        row(f"{args.chats} chats offering {rate:g}/s ({p.asked / p.seconds:.0f}/s asked)", p)
        for rate, p in offered
    ]
    print(markdown_table(headers, rows))
    print(f"\nTargets at {args.chats} chats ({TARGETS}), closed loop: {verdict(loaded)}.")
    for rate, p in offered:
        print(f"Offering {rate:g}/s: {verdict(p)}.")
    print(
        "\nClosed loop: each chat asks again the moment it is answered, so latency is "
        "chats / throughput by construction and the row measures capacity. Offered rows: "
        "questions arrive at a fixed rate, a chat asking again only once answered.\n"
    )
    calls = ", ".join(f"{name} {n:,}" for name, n in sorted(api.methods.items()))
    print(
        f"Store: {held:,} passages ({store.name}); bot ready {ready:.1f} s after start; "
        f"{len(api.texts):,} distinct questions; Bot API calls: {calls}.\n"
        f"Latency = sendMessage arrival - first hand-out of the update in getUpdates; "
        f"{args.warmup:.0f} s of warm-up with {args.chats} chats run first and are not shown. "
        "Handler times are the bot's own log lines (handler start to answer link stored). "
        "The bot runs with [limits] flood_rate = 0: Telegram's overall limit of about 30 "
        "messages/s would cap any bot at 30 answers/s, so the cap is lifted to measure the "
        "bot itself; rate_limit = 0 lets one simulated user ask without pause. "
        "The fake API shares the machine's cores with the bot. Bot CPU per answer (the "
        "polling process and its workers together) is the figure a busy machine skews least; "
        "one process (one interpreter lock) tops out near 1000 / (its CPU ms per answer) "
        "answers/s."
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Parse flags and run the benchmark."""
    parser = argparse.ArgumentParser(prog="python -m bench.bot", description=__doc__)
    parser.add_argument("--chats", type=int, default=50, help="concurrent chats")
    parser.add_argument("--seconds", type=float, default=25.0, help="loaded window length")
    parser.add_argument("--floor-seconds", type=float, default=10.0, help="1-chat window")
    parser.add_argument("--warmup", type=float, default=3.0, help="unreported warm-up seconds")
    parser.add_argument("--passages", type=int, default=100_000, help="store size")
    parser.add_argument(
        "--rates",
        type=lambda v: [float(x) for x in v.split(",")],
        default=[100.0, 200.0],
        help="offered questions/s for the paced runs (default 100,200)",
    )
    parser.add_argument("--paced-seconds", type=float, default=15.0, help="paced window length")
    parser.add_argument(
        "--workers", type=int, default=0, help="[telegram] workers (default 0: one per core)"
    )
    parser.add_argument("--profile", type=Path, help="run the bot under cProfile into this file")
    parser.add_argument("--quick", action="store_true", help="smoke run: 10k passages, 5 s")
    args = parser.parse_args(argv)
    if args.quick:
        args.passages, args.seconds, args.floor_seconds, args.warmup = 10_000, 5.0, 3.0, 1.0
        args.paced_seconds = 5.0
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
