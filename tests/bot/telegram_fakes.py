"""A recording fake of the Bot API, reachable through PTB's request seam or over loopback HTTP.

``FakeBotApi`` answers every method the bot uses and records each call with its parameters;
it fails calls on request (an error answer, or a connection dropped before or after the call took
effect). ``RecordingRequest`` plugs it into PTB as a ``BaseRequest``; ``serve_bot_api`` puts it
behind a real HTTP server on 127.0.0.1 for the end-to-end test. The update builders add the entities
Telegram adds (``bot_command`` at offset 0, ``mention`` for @names), offsets in UTF-16 units.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from telegram.error import NetworkError
from telegram.request import BaseRequest, RequestData

BOT = {"id": 777000111, "is_bot": True, "first_name": "Briefbot", "username": "BriefTestBot"}
TOKEN = "123456789:AAHfakeTokenForTestsOnly_abcdefghijklmn"
# The status ``FakeBotApi.handle`` returns for "drop the connection without an answer".
DROP = 0
# SO_LINGER on with a zero timeout: closing the socket sends a reset.
RESET = struct.pack("ii", 1, 0)


@dataclass(frozen=True, slots=True)
class Fault:
    """How to fail one call: an HTTP status (``DROP`` for none) and what the answer says."""

    status: int
    description: str = ""
    plain: bool = False  # a text page, as a proxy in front of the Bot API would send
    after: bool = False  # with DROP: the call took effect before the connection broke
    retry_after: int | None = None


@dataclass(frozen=True, slots=True)
class Call:
    """One Bot API call as the bot made it."""

    method: str
    params: dict[str, Any]
    done: bool = True


class FakeBotApi:
    """Answers Bot API methods plausibly, records the calls, and queues updates for polling."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.failures: dict[str, list[Fault]] = {}
        self.revoked: str | None = None
        self.chats: dict[int, dict[str, Any]] = {}
        self._updates: list[dict[str, Any]] = []
        self._next_message_id = 10_000
        self._changed = threading.Condition()

    def fail_next(
        self,
        method: str,
        description: str,
        status: int = 400,
        *,
        plain: bool = False,
        retry_after: int | None = None,
    ) -> None:
        """Make the next call of ``method`` fail with HTTP ``status`` and ``description``.

        Status 200 lets that call through: it queues a success before further failures.
        """
        fault = Fault(status, description, plain=plain, retry_after=retry_after)
        self.failures.setdefault(method, []).append(fault)

    def revoke(self, description: str) -> None:
        """From now on answer every call 401 Unauthorized with ``description``."""
        self.revoked = description

    def drop_next(self, method: str, *, after: bool = False) -> None:
        """Drop the connection of the next call of ``method`` without an answer.

        With ``after`` the call takes effect first (a message is sent): only the answer is
        lost on the way back, as when a connection breaks after Telegram did the work.
        """
        self.failures.setdefault(method, []).append(Fault(DROP, after=after))

    def push(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates (and remember its chat for replies)."""
        message = update.get("message") or update.get("edited_message")
        if message:
            self.chats[message["chat"]["id"]] = message["chat"]
        with self._changed:
            self._updates.append(update)
            self._changed.notify_all()

    def calls_to(self, method: str) -> list[Call]:
        """The recorded calls of one method, oldest first."""
        with self._changed:
            return [call for call in self.calls if call.method == method]

    def wait_for(
        self, method: str, count: int, timeout: float = 20.0, *, done: bool = False
    ) -> list[Call]:
        """Block until ``method`` was called ``count`` times; return those calls.

        With ``done``, only calls that took effect count (not the failed ones).
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [c for c in self.calls if c.method == method and (c.done or not done)]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{method} called {len(found)} times, wanted {count}")
                self._changed.wait(left)

    def handle(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Record one call and return (HTTP status, JSON body); status ``DROP`` means no answer."""
        with self._changed:
            pending = self.failures.get(method)
            fault = pending.pop(0) if pending else Fault(200)
            if self.revoked is not None:
                fault = Fault(401, self.revoked)
            done = fault.status == 200 or (fault.status == DROP and fault.after)
            self.calls.append(Call(method, params, done))
            self._changed.notify_all()
        if fault.status == DROP:
            if fault.after:
                self._result(method, params)
            return DROP, {}
        if fault.plain:
            return fault.status, {"plain": fault.description}
        if fault.status != 200:
            answer: dict[str, Any] = {"ok": False, "error_code": fault.status}
            answer["description"] = fault.description
            if fault.retry_after is not None:
                answer["parameters"] = {"retry_after": fault.retry_after}
            return fault.status, answer
        if method == "getUpdates":
            return 200, {"ok": True, "result": self._poll(params)}
        return 200, {"ok": True, "result": self._result(method, params)}

    def answered(self, method: str) -> list[Call]:
        """The calls of ``method`` that took effect: not failed, not dropped before."""
        with self._changed:
            return [call for call in self.calls if call.method == method and call.done]

    def _poll(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), 0.5)
        with self._changed:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates and wait:
                self._changed.wait(wait)
            return list(self._updates)

    def _message(self, chat_id: int, message_id: int, params: dict[str, Any]) -> dict[str, Any]:
        chat = self.chats.get(chat_id, {"id": chat_id, "type": "private", "first_name": "U"})
        message = {"message_id": message_id, "date": int(time.time()), "chat": chat}
        message |= {"from": BOT, "text": params.get("text", "")}
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT
        if method == "sendMessage":
            with self._changed:
                self._next_message_id += 1
                message_id = self._next_message_id
            return self._message(int(params["chat_id"]), message_id, params)
        if method == "editMessageText":
            return self._message(int(params["chat_id"]), int(params["message_id"]), params)
        return True


JSON_FIELDS = {"reply_markup", "link_preview_options", "reply_parameters", "commands", "scope",
               "allowed_updates", "entities", "results", "button"}  # fmt: skip
INT_FIELDS = {"chat_id", "message_id", "message_thread_id", "offset", "limit", "timeout"}


def decode_form(body: str) -> dict[str, Any]:
    """Turn PTB's form-encoded parameters (JSON-encoded where not plain) back into values."""
    params: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        if key in JSON_FIELDS:
            params[key] = json.loads(value)
        elif key in INT_FIELDS:
            params[key] = int(value)
        else:
            params[key] = value
    return params


def encode(answer: dict[str, Any]) -> bytes:
    """The body of an answer: JSON, or the text of a ``plain`` one."""
    return str(answer["plain"]).encode() if "plain" in answer else json.dumps(answer).encode()


class RecordingRequest(BaseRequest):
    """PTB's network seam, answered by a ``FakeBotApi`` instead of Telegram."""

    def __init__(self, api: FakeBotApi) -> None:
        self.api = api

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        params = dict(request_data.parameters) if request_data else {}
        status, body = self.api.handle(url.rsplit("/", 1)[-1], params)
        if status == DROP:
            raise NetworkError("connection dropped by the fake Bot API")
        return status, encode(body)


@contextmanager
def serve_bot_api(api: FakeBotApi) -> Iterator[str]:
    """Serve ``api`` over HTTP on 127.0.0.1; yield the base URL to give PTB (ends in /bot)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            match = re.fullmatch(r"/bot([^/]+)/(\w+)", self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            if match is None or match.group(1) != TOKEN:
                status, answer = 404, {"ok": False, "error_code": 404, "description": "Not Found"}
            else:
                status, answer = api.handle(match.group(2), decode_form(body))
            if status == DROP:
                # No answer and a reset instead of a clean close, as a broken link would give.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET)
                self.close_connection = True
                return
            payload = encode(answer)
            try:
                self.send_response(status)
                kind = "text/plain" if "plain" in answer else "application/json"
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the bot stopped while a long poll was open

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/bot"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def entities_for(text: str) -> list[dict[str, Any]]:
    """Entities as Telegram adds them: ``bot_command`` at offset 0, ``mention`` for @names."""
    entities = []
    command = re.match(r"/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?", text)
    if command:
        entities.append({"type": "bot_command", "offset": 0, "length": len(command.group())})
    for mention in re.finditer(r"@[A-Za-z0-9_]{5,}", text):
        if command and mention.start() < command.end():
            continue
        offset = utf16_len(text[: mention.start()])
        entities.append({"type": "mention", "offset": offset, "length": len(mention.group())})
    return entities


class Updates:
    """Builds update dicts with increasing ids, the way Telegram would send them."""

    def __init__(self) -> None:
        self._update_id = 0
        self._message_id = 0

    def _next(self) -> int:
        self._update_id += 1
        return self._update_id

    def message(
        self,
        text: str,
        *,
        user_id: int = 501,
        chat_id: int | None = None,
        chat_type: str = "private",
        message_id: int | None = None,
        edited: bool = False,
        reply_to: dict[str, Any] | None = None,
        thread_id: int | None = None,
        forwarded: bool = False,
        date: int | None = None,
    ) -> dict[str, Any]:
        """A (possibly edited or forwarded) text message; ``message_id`` defaults to a fresh one,
        ``date`` (epoch seconds) to now."""
        if message_id is None:
            self._message_id += 1
            message_id = self._message_id
        chat: dict[str, Any] = {"id": user_id if chat_id is None else chat_id, "type": chat_type}
        chat |= {"first_name": "Ann"} if chat_type == "private" else {"title": "Newsroom"}
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()) if date is None else date,
            "chat": chat,
            "from": {"id": user_id, "is_bot": False, "first_name": "Ann"},
            "text": text,
        }
        if entities := entities_for(text):
            message["entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        if thread_id is not None:
            message |= {"message_thread_id": thread_id, "is_topic_message": True}
            chat["is_forum"] = True
        if forwarded:  # as Telegram marks a message forwarded from another user
            sender = {"id": 900, "is_bot": False, "first_name": "Bo"}
            message["forward_origin"] = {"type": "user", "date": 1, "sender_user": sender}
        if edited:
            message["edit_date"] = int(time.time())
        return {"update_id": self._next(), "edited_message" if edited else "message": message}

    def button(
        self,
        data: str,
        *,
        user_id: int = 501,
        chat_id: int | None = None,
        chat_type: str = "private",
        message: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A press of an inline button under ``message`` (a bot message dict), by default a
        bot message in ``chat_id`` (the user's private chat unless given)."""
        chat: dict[str, Any] = {"id": user_id if chat_id is None else chat_id, "type": chat_type}
        chat |= {"first_name": "Ann"} if chat_type == "private" else {"title": "Newsroom"}
        message = message or {
            "message_id": 1,
            "date": int(time.time()),
            "chat": chat,
            "from": BOT,
            "text": "earlier answer",
        }
        query = {
            "id": str(self._next()),
            "from": {"id": user_id, "is_bot": False, "first_name": "Ann"},
            "chat_instance": "ci",
            "message": message,
            "data": data,
        }
        return {"update_id": self._update_id, "callback_query": query}

    def inline(self, query: str, *, offset: str = "", user_id: int = 501) -> dict[str, Any]:
        """An inline query (``@bot query`` typed in any chat), as Telegram sends it."""
        inline = {
            "id": str(self._next()),
            "from": {"id": user_id, "is_bot": False, "first_name": "Ann"},
            "query": query,
            "offset": offset,
            "chat_type": "sender",
        }
        return {"update_id": self._update_id, "inline_query": inline}


def sent_messages(api: FakeBotApi) -> list[Call]:
    """Every call that puts text in a chat: new messages and edits."""
    return [c for c in api.calls if c.method in {"sendMessage", "editMessageText"}]
