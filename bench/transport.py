"""CPU per Bot API request: PTB's HTTPXRequest against our AiohttpRequest, on one loopback server.

Both clients go through ``do_request`` with the same realistic ``sendMessage`` (chat_id, a
~1,500-character HTML answer, parse_mode, an inline keyboard as JSON) to the same HTTP/1.1
keep-alive server, which answers every request with the same ~1 KB JSON Message. The server
runs in this process, on this event loop (asyncio streams), so the CPU measured per request
includes it; a raw-socket client sending the same bytes measures that floor, and the client's
own cost is reported as total - floor. Requests go one at a time (the next leaves when the
answer is read). Clients take turns over several rounds so drift hits them alike; each is warmed
up first (connection open, code paths hot).

    python -m bench.transport [--requests 3000] [--warmup 300] [--rounds 3] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.request import BaseRequest, HTTPXRequest, RequestData
from telegram.request._requestparameter import RequestParameter

from bench.machine import fmt, latency, machine_report, markdown_table, version
from bot.transport import AiohttpRequest

# A made-up token that only ever travels to the loopback server.
TOKEN = "123456789:AAHbenchTokenForLoopbackOnly_abcdefghijk"  # noqa: S105
BOT = {"id": 777000222, "is_bot": True, "first_name": "Briefbot", "username": "BriefBenchBot"}
CHAT = {"id": 100_001, "type": "private", "first_name": "Reader"}
CLIENT_LIBRARIES = ("python-telegram-bot", "httpx", "httpcore", "anyio", "sniffio", "aiohttp")
TEXT_CHARS = 1_500
REPLY_CHARS = 1_024

Call = Callable[[], Awaitable[tuple[int, bytes]]]

SENTENCES = (
    "Central bank holds rates at 5.25 % as inflation cools to 3.1 %",
    "Ministers agree a €4.2 bn package for flood-hit regions after a week of talks",
    "Opposition leader calls the vote “a turning point” for the coalition",
    "Shares in chipmakers rise 6 % after export rules are eased",
    "Storm Éowyn leaves 200,000 homes without power across the north",
    "Talks on the grain corridor resume in Istanbul on Thursday",
)


def answer_html() -> str:
    """A search answer as the bot renders it: numbered bold headlines, links, short excerpts."""
    lines = ["<b>Results for “rates inflation”</b> (page 1 of 3)", ""]
    n = 0
    while sum(len(line) + 1 for line in lines) < TEXT_CHARS:
        headline = SENTENCES[n % len(SENTENCES)]
        url = f"https://news.example/{2024 + n % 2}/{n:04d}/story?ref=briefbot&amp;utm=tg"
        lines += [
            f'[{n + 1}] <b><a href="{url}">{headline}</a></b>',
            f"<i>Reuters · 2 h ago</i> — {SENTENCES[(n + 3) % len(SENTENCES)].lower()} …",
        ]
        n += 1
    return "\n".join(lines)[:TEXT_CHARS]


def keyboard() -> InlineKeyboardMarkup:
    """The answer's buttons: one per result to open it, then paging."""
    opens = [InlineKeyboardButton(str(i), callback_data=f"o:4711:0:{i}") for i in range(1, 6)]
    paging = [
        InlineKeyboardButton("◀ Prev", callback_data="p:4711:0"),
        InlineKeyboardButton("Next ▶", callback_data="p:4711:2"),
    ]
    return InlineKeyboardMarkup([opens, paging])


def send_message() -> RequestData:
    """sendMessage's parameters as ``telegram.Bot`` builds them."""
    values: dict[str, Any] = {
        "chat_id": CHAT["id"],
        "text": answer_html(),
        "parse_mode": "HTML",
        "reply_markup": keyboard(),
    }
    return RequestData([RequestParameter.from_input(k, v) for k, v in values.items()])


def sent_message() -> bytes:
    """The Bot API's answer: the sent Message (text, entities, keyboard), about 1 KB of JSON."""
    links = [
        {
            "type": "text_link",
            "offset": 40 + 90 * i,
            "length": 60,
            "url": f"https://news.example/{i}",
        }
        for i in range(3)
    ]
    message: dict[str, Any] = {
        "message_id": 52_331,
        "from": BOT,
        "chat": CHAT,
        "date": 1_735_689_600,
        "text": "",
        "entities": [{"type": "bold", "offset": 0, "length": 31}, *links],
        "link_preview_options": {"is_disabled": True},
        "reply_markup": keyboard().to_dict(),
    }
    empty = len(json.dumps({"ok": True, "result": message}, ensure_ascii=False).encode())
    message["text"] = answer_html()[: max(0, REPLY_CHARS - empty)]
    return json.dumps({"ok": True, "result": message}, ensure_ascii=False).encode()


@dataclass
class Server:
    """A keep-alive HTTP/1.1 server that answers every request with the same JSON."""

    body: bytes
    last: dict[str, bytes] = field(default_factory=dict)  # peer -> last request body

    def __post_init__(self) -> None:
        head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
        self.response = (head % len(self.body)).encode() + self.body

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Answer one connection's requests until the client closes it."""
        peer = str(writer.get_extra_info("peername"))
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                at = head.lower().find(b"\r\ncontent-length:")
                length = int(head[at + 17 : head.index(b"\r\n", at + 2)]) if at >= 0 else 0
                self.last[peer] = await reader.readexactly(length)
                writer.write(self.response)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


class RawClient:
    """The floor: the same request as fixed bytes on one socket, the answer read by length."""

    def __init__(self, port: int, path: str, form: dict[str, str]) -> None:
        body = urlencode(form).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"User-Agent: {BaseRequest.USER_AGENT}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        self.request = head.encode() + body
        self.port = port

    async def initialize(self) -> None:
        """Open the connection."""
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def shutdown(self) -> None:
        """Close the connection."""
        self.writer.close()
        await self.writer.wait_closed()

    async def call(self) -> tuple[int, bytes]:
        """Send the request, read the status line, headers and the body."""
        self.writer.write(self.request)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        at = head.lower().find(b"\r\ncontent-length:")
        length = int(head[at + 17 : head.index(b"\r\n", at + 2)])
        return int(head[9:12]), await self.reader.readexactly(length)


@dataclass
class Tally:
    """One client's measured requests, summed over rounds."""

    name: str
    cpu: float = 0.0
    wall: list[float] = field(default_factory=list)
    round_cpu_ms: list[float] = field(default_factory=list)
    wrong: int = 0

    @property
    def cpu_ms(self) -> float:
        """CPU milliseconds per request over all rounds."""
        return self.cpu / max(len(self.wall), 1) * 1e3


async def measure(tally: Tally, call: Call, n: int, expected: bytes) -> None:
    """Make ``n`` requests one after another; add their CPU and wall times to ``tally``."""
    gc.collect()
    wall: list[float] = []
    wrong = 0
    cpu = time.process_time()
    for _ in range(n):
        started = time.perf_counter()
        status, body = await call()
        wall.append(time.perf_counter() - started)
        wrong += status != 200 or body != expected
    spent = time.process_time() - cpu
    tally.cpu += spent
    tally.wall += wall
    tally.round_cpu_ms.append(spent / n * 1e3)
    tally.wrong += wrong


def check_sent(server: Server, form: dict[str, str]) -> list[str]:
    """Peers whose last request did not arrive as the expected form (empty: all did)."""
    return [
        peer
        for peer, body in server.last.items()
        if dict(parse_qsl(body.decode(), keep_blank_values=True)) != form
    ]


async def run(args: argparse.Namespace) -> None:
    """Serve, warm each client up, measure them in turns, print the report."""
    # Both clients honour proxy variables: the loopback server must be reached directly.
    for name in [n for n in os.environ if n.lower().endswith("_proxy")]:
        del os.environ[name]
    print("## Bot API request CPU: httpx (PTB's default) vs aiohttp (ours), loopback\n")
    print(machine_report() + "\n")
    print(markdown_table(("library", "version"), [(n, version(n)) for n in CLIENT_LIBRARIES]))
    print()
    data = send_message()
    form = data.json_parameters
    server = Server(sent_message())
    listener = await asyncio.start_server(server.serve, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    path = f"/bot{TOKEN}/sendMessage"
    url = f"http://127.0.0.1:{port}{path}"
    raw = RawClient(port, path, form)
    httpx_request, aiohttp_request = HTTPXRequest(), AiohttpRequest()
    clients: list[tuple[str, Any, Call]] = [
        ("raw socket (floor)", raw, raw.call),
        ("httpx (PTB HTTPXRequest)", httpx_request,
         lambda: httpx_request.do_request(url, "POST", data)),
        ("aiohttp (our AiohttpRequest)", aiohttp_request,
         lambda: aiohttp_request.do_request(url, "POST", data)),
    ]  # fmt: skip
    tallies = [Tally(name) for name, _, _ in clients]
    try:
        for _, client, call in clients:
            await client.initialize()
            await measure(Tally("warm-up"), call, args.warmup, server.body)
        if wrong := check_sent(server, form):
            raise SystemExit(f"bench: a request arrived with other fields than sent ({wrong})")
        per_round = max(1, args.requests // args.rounds)
        for _ in range(args.rounds):
            for tally, (_, _, call) in zip(tallies, clients, strict=True):
                await measure(tally, call, per_round, server.body)
    finally:
        for _, client, _ in clients:
            await client.shutdown()
        listener.close()
        await listener.wait_closed()

    floor = tallies[0].cpu_ms
    headers = ("client", "requests", "CPU ms/request (incl. server)", "client CPU ms/request",
               "CPU ms/request by round", "wall p50 ms", "wall p99 ms", "wrong")  # fmt: skip
    rows = []
    for tally in tallies:
        wall = latency(tally.wall)
        own = "(floor)" if tally is tallies[0] else fmt(tally.cpu_ms - floor, 3)
        rows.append([
            tally.name, f"{wall.n:,}", fmt(tally.cpu_ms, 3), own,
            " / ".join(fmt(x, 3) for x in tally.round_cpu_ms),
            fmt(wall.p50_ms, 3), fmt(wall.p99_ms, 3), str(tally.wrong),
        ])  # fmt: skip
    print(markdown_table(headers, rows))
    httpx_own, aiohttp_own = tallies[1].cpu_ms - floor, tallies[2].cpu_ms - floor
    ratio = httpx_own / aiohttp_own if aiohttp_own > 0 else float("nan")
    print(
        f"\nClient CPU per request, httpx / aiohttp: {fmt(ratio, 1)}x "
        f"({fmt(httpx_own, 3)} ms vs {fmt(aiohttp_own, 3)} ms); "
        f"with the server included: {fmt(tallies[1].cpu_ms / tallies[2].cpu_ms, 1)}x.\n"
    )
    print(
        f"Request: sendMessage, {len(urlencode(form)):,} bytes form-encoded "
        f"({len(form['text']):,}-character HTML text, parse_mode, a {len(form['reply_markup'])}-"
        f"byte inline keyboard); answer: {len(server.body):,} bytes of JSON. "
        f"{args.warmup:,} warm-up requests per client, then {args.rounds} rounds of "
        f"{per_round:,} requests per client, clients in turn. CPU is time.process_time() of "
        "this process, which also runs the server, so the raw-socket row (same bytes, no HTTP "
        "library) is the floor and client CPU = total - floor; it includes building the form "
        "from RequestData, which both PTB clients do. Both clients are as constructed by "
        "default, one keep-alive connection in use; the event loop is asyncio's default."
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Parse flags and run the benchmark."""
    parser = argparse.ArgumentParser(prog="python -m bench.transport", description=__doc__)
    parser.add_argument("--requests", type=int, default=3_000, help="measured requests per client")
    parser.add_argument("--warmup", type=int, default=300, help="unmeasured requests per client")
    parser.add_argument("--rounds", type=int, default=3, help="turns the clients take")
    parser.add_argument("--quick", action="store_true", help="smoke run: 300 requests, 1 round")
    args = parser.parse_args(argv)
    if args.quick:
        args.requests, args.warmup, args.rounds = 300, 50, 1
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
