"""AiohttpRequest keeps PTB's request contract against a real HTTP server on 127.0.0.1.

Form fields, uploads and the User-Agent as the server receives them; status and body handed
back unchanged (errors included); ``TimedOut`` and ``NetworkError`` for what goes wrong, with
the token kept out of the message; the session's life cycle; and ``telegram.Bot`` on top of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from urllib.parse import parse_qsl

import pytest
from aiohttp import web
from aiohttp.test_utils import RawTestServer
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from telegram.request._requestparameter import RequestParameter

from bot.transport import AiohttpRequest

TOKEN = "123456789:AAHfakeTokenForTestsOnly_abcdefghijklmn"
SECRET = TOKEN.partition(":")[2]
BOT = {"id": 777000111, "is_bot": True, "first_name": "Briefbot", "username": "BriefTestBot"}
OK = b'{"ok": true, "result": true}'
CHAT_NOT_FOUND = b'{"ok": false, "error_code": 400, "description": "Bad Request: chat not found"}'


@dataclass(frozen=True, slots=True)
class Received:
    """One request as the server read it off the socket."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes


@dataclass
class Loopback:
    """An HTTP server's behaviour: what it answers, how late, and what it was sent."""

    url: str = ""
    status: int = 200
    body: bytes = OK
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    seen: list[Received] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.BaseRequest) -> web.Response:
        """Record the request, wait ``delay`` (or until released), answer ``status``/``body``."""
        body = await request.read()
        self.seen.append(Received(request.method, request.path_qs, dict(request.headers), body))
        if self.delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.release.wait(), self.delay)
        return web.Response(
            status=self.status,
            body=self.body,
            headers=self.headers,
            content_type="application/json",
        )


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """The session honours proxy variables; loopback requests must not be sent to one."""
    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)


@pytest.fixture
async def server() -> AsyncIterator[Loopback]:
    """A loopback HTTP/1.1 server (aiohttp's low-level one) answering every path alike."""
    loopback = Loopback()
    raw = RawTestServer(loopback.handle, host="127.0.0.1")
    await raw.start_server()
    loopback.url = str(raw.make_url("")).rstrip("/")
    yield loopback
    loopback.release.set()  # a handler held back by ``delay`` answers now, so close is quick
    await raw.close()


@pytest.fixture
async def request_() -> AsyncIterator[AiohttpRequest]:
    """An initialized AiohttpRequest, shut down after the test."""
    request = AiohttpRequest()
    await request.initialize()
    yield request
    await request.shutdown()


def params(**values: object) -> RequestData:
    """Request data built the way ``telegram.Bot`` builds it from a method's arguments."""
    return RequestData([RequestParameter.from_input(k, v) for k, v in values.items()])


def parts(received: Received) -> dict[str, Message]:
    """Split a multipart/form-data body with the standard library, keyed by field name."""
    head = f"Content-Type: {received.headers['Content-Type']}\r\n\r\n".encode()
    message = BytesParser().parsebytes(head + received.body)
    assert message.is_multipart()
    found: dict[str, Message] = {}
    for part in message.get_payload():
        assert isinstance(part, Message)
        name = part.get_param("name", header="content-disposition")
        assert isinstance(name, str)
        found[name] = part
    return found


def free_port() -> int:
    """A loopback port nothing listens on (bound, read, and released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_post_arrives_form_encoded_with_ptb_user_agent(
    server: Loopback, request_: AiohttpRequest
) -> None:
    """Parameters arrive as a urlencoded form (JSON inside for objects) with PTB's User-Agent."""
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("More", callback_data="m:1")]])
    data = params(chat_id=42, text="<b>Fed</b> & rates: 5 % ↑", parse_mode="HTML",
                  reply_markup=keyboard)  # fmt: skip
    server.body = b'{"ok": true, "result": {"message_id": 7}}'
    status, body = await request_.do_request(f"{server.url}/bot{TOKEN}/sendMessage", "POST", data)
    assert (status, body) == (200, server.body)
    [seen] = server.seen
    assert (seen.method, seen.path) == ("POST", f"/bot{TOKEN}/sendMessage")
    assert seen.headers["User-Agent"] == BaseRequest.USER_AGENT
    assert seen.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    form = dict(parse_qsl(seen.body.decode(), keep_blank_values=True, strict_parsing=True))
    assert form == {
        "chat_id": "42",
        "text": "<b>Fed</b> & rates: 5 % ↑",
        "parse_mode": "HTML",
        "reply_markup": form["reply_markup"],
    }
    markup = json.loads(form["reply_markup"])
    assert markup == {"inline_keyboard": [[{"text": "More", "callback_data": "m:1"}]]}


async def test_error_status_and_body_are_returned_not_raised(
    server: Loopback, request_: AiohttpRequest
) -> None:
    """A 400 from the Bot API comes back as (400, body): PTB reads the description from it."""
    server.status = 400
    server.body = CHAT_NOT_FOUND
    answer = await request_.do_request(f"{server.url}/bot{TOKEN}/sendMessage", "POST", params())
    assert answer == (400, server.body)


async def test_file_upload_arrives_as_multipart_with_name_and_content(
    server: Loopback, request_: AiohttpRequest
) -> None:
    """An InputFile goes as a multipart part with its filename, type and exact bytes."""
    content = bytes(range(256)) * 4
    data = params(chat_id=42, document=InputFile(content, filename="briefing.pdf"))
    status, _ = await request_.do_request(f"{server.url}/bot{TOKEN}/sendDocument", "POST", data)
    assert status == 200
    [seen] = server.seen
    assert seen.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    found = parts(seen)
    assert set(found) == {"chat_id", "document"}
    assert found["chat_id"].get_payload(decode=True) == b"42"
    document = found["document"]
    assert document.get_filename() == "briefing.pdf"
    assert document.get_content_type() == "application/pdf"
    assert document.get_payload(decode=True) == content


async def test_slow_answer_raises_timed_out(server: Loopback, request_: AiohttpRequest) -> None:
    """No answer within the read timeout passed to do_request gives TimedOut, promptly."""
    server.delay = 5.0
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(TimedOut):
        await request_.do_request(f"{server.url}/bot{TOKEN}/getMe", "POST", read_timeout=0.2)
    assert loop.time() - started < 2.0
    assert len(server.seen) == 1  # the request itself went out


async def test_refused_connection_raises_network_error_without_token(
    request_: AiohttpRequest,
) -> None:
    """Nobody listening gives NetworkError naming the cause, and the token is not in it."""
    url = f"http://127.0.0.1:{free_port()}/bot{TOKEN}/getMe"
    with pytest.raises(NetworkError) as caught:
        await request_.do_request(url, "POST", connect_timeout=2.0)
    assert not isinstance(caught.value, TimedOut)
    assert "aiohttp." in caught.value.message
    assert SECRET not in caught.value.message
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [f"http://127.0.0.1:99999/bot{TOKEN}/getMe", f"ftp://127.0.0.1/bot{TOKEN}/getMe"],
    ids=["port-out-of-range", "not-http"],
)
async def test_error_quoting_the_url_has_the_token_masked(
    request_: AiohttpRequest, url: str
) -> None:
    """aiohttp quotes an unusable URL in its message: the token in it is masked."""
    with pytest.raises(NetworkError) as caught:
        await request_.do_request(url, "POST")
    assert "/bot" in caught.value.message  # the URL is quoted, so masking was needed
    assert SECRET not in caught.value.message


async def test_request_needs_initialize_and_fails_after_shutdown(server: Loopback) -> None:
    """do_request before initialize() and after shutdown() is a RuntimeError; both repeat."""
    request = AiohttpRequest()
    url = f"{server.url}/bot{TOKEN}/getMe"
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(url, "POST")
    await request.initialize()
    await request.initialize()  # PTB may initialize twice (Bot, then Application)
    assert await request.do_request(url, "POST") == (200, OK)
    await request.shutdown()
    await request.shutdown()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(url, "POST")
    await request.initialize()  # and start again after a shutdown
    try:
        assert await request.do_request(url, "POST") == (200, OK)
    finally:
        await request.shutdown()
    assert len(server.seen) == 2


async def test_telegram_bot_runs_on_it(server: Loopback) -> None:
    """telegram.Bot with AiohttpRequest for both of its requests: getMe, and a Bot API error."""
    server.body = json.dumps({"ok": True, "result": BOT}).encode()
    bot = Bot(TOKEN, base_url=f"{server.url}/bot", request=AiohttpRequest(),
              get_updates_request=AiohttpRequest(1))  # fmt: skip
    async with bot:
        me = await bot.get_me()
        assert (me.id, me.username, me.is_bot) == (BOT["id"], BOT["username"], True)
        server.status = 400
        server.body = CHAT_NOT_FOUND
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(42, "hello")
    assert {r.path for r in server.seen} == {f"/bot{TOKEN}/getMe", f"/bot{TOKEN}/sendMessage"}
    assert all(r.headers["User-Agent"] == BaseRequest.USER_AGENT for r in server.seen)


async def test_redirects_are_returned_not_followed(
    server: Loopback, request_: AiohttpRequest
) -> None:
    """As with httpx, a redirect is an answer: a POST must not turn into a GET elsewhere."""
    server.status = 302
    server.headers = {"Location": f"{server.url}/elsewhere"}
    status, _ = await request_.do_request(f"{server.url}/bot{TOKEN}/sendMessage", "POST", params())
    assert status == 302
    assert [r.path for r in server.seen] == [f"/bot{TOKEN}/sendMessage"]


async def test_stalled_upload_times_out(request_: AiohttpRequest) -> None:
    """A server that never reads the body ends the request within the sum of the timeouts."""
    done = asyncio.Event()
    handlers: list[asyncio.Task[None]] = []

    async def never_read(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.append(asyncio.current_task())  # type: ignore[arg-type]
        await done.wait()
        writer.close()
        await writer.wait_closed()

    stalled = await asyncio.start_server(never_read, "127.0.0.1", 0)
    port = stalled.sockets[0].getsockname()[1]
    data = params(chat_id=1, document=InputFile(b"x" * (64 << 20), filename="big.bin"))
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        # The outer limit turns a hang into a failure (TimeoutError is not TimedOut).
        with pytest.raises(TimedOut):
            async with asyncio.timeout(10):
                await request_.do_request(
                    f"http://127.0.0.1:{port}/bot{TOKEN}/sendDocument", "POST", data,
                    read_timeout=0.3, write_timeout=0.3, connect_timeout=0.3, pool_timeout=0.1,
                )  # fmt: skip
    finally:
        done.set()
        await asyncio.gather(*handlers, return_exceptions=True)
        stalled.close()
        await stalled.wait_closed()
    assert loop.time() - started < 3.0


async def test_proxy_from_the_environment_unless_bypassed(
    server: Loopback, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTP_PROXY carries requests for other hosts; NO_PROXY hosts are reached directly."""
    monkeypatch.setenv("HTTP_PROXY", server.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    request = AiohttpRequest()
    await request.initialize()
    try:
        via_proxy = f"http://api.example.invalid/bot{TOKEN}/getMe"
        assert await request.do_request(via_proxy, "POST") == (200, OK)
        assert await request.do_request(f"{server.url}/bot{TOKEN}/getMe", "POST") == (200, OK)
    finally:
        await request.shutdown()
    first, second = server.seen
    assert first.headers["Host"] == "api.example.invalid"
    assert second.headers["Host"] == server.url.removeprefix("http://")
