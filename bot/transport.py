"""Bot API requests over aiohttp: python-telegram-bot's request contract at a third of the CPU.

python-telegram-bot sends through httpx by default, and httpx (with httpcore and anyio below it)
spends about 1 ms of CPU on each request to a loopback server where aiohttp, whose HTTP parser is
compiled, spends about a third of that (``python -m bench.transport``). A bot makes two requests
per question (the long poll that brought it and the reply), so the client is a large share of
what an answer costs. ``AiohttpRequest`` implements PTB's ``BaseRequest`` the way its
``HTTPXRequest`` does: the same default timeouts, no redirects followed, proxies from the
environment, ``TimedOut`` for timeouts and ``NetworkError`` for the rest.

Beyond that contract it says whether a failed request can have reached Telegram: a connection
that could not be made (refused, unreachable, no free connection in time) raises ``NotSentError``
(or ``ConnectTimedOutError``), which ``bot.retry`` may repeat for any method. Error answers have the
token masked before PTB sees them: a proxy that echoes the request path would otherwise put it
into exception messages.
"""

from __future__ import annotations

import io
import re
import urllib.request
from typing import Any, TypeAlias
from urllib.parse import urlsplit

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# Bot API URLs carry the token; error messages that quote a URL must not.
TOKEN_IN_TEXT = re.compile(r"\d{5,20}:[A-Za-z0-9_-]{30,60}")
TOKEN_IN_BYTES = re.compile(rb"\d{5,20}:[A-Za-z0-9_-]{30,60}")
# The token's secret half alone identifies the bot as well: mask it too where the URL shows it.
TOKEN_IN_URL = re.compile(r"/bot\d+:([^/]+)/")
MASK = "[token]"

Timeout: TypeAlias = Any
"""A timeout as PTB passes it to ``do_request``: seconds, None (no limit) or
``BaseRequest.DEFAULT_NONE`` (not given: the request's own default applies). PTB's name for that
union lives in a private module, outside its stability policy, so it is spelled ``Any`` here."""


class NotSentError(NetworkError):
    """The request never left: no connection could be made, so Telegram cannot have seen it."""


class ConnectTimedOutError(NotSentError, TimedOut):
    """No connection (or no free one from the pool) within the connect timeout."""


def mask_body(body: bytes, url: str) -> bytes:
    """``body`` with the token and its secret half (as ``url`` carries them) masked."""
    body = TOKEN_IN_BYTES.sub(MASK.encode(), body)
    secret = TOKEN_IN_URL.search(url)
    if secret and len(secret.group(1)) >= 8:
        body = body.replace(secret.group(1).encode(), MASK.encode())
    return body


def _seconds(value: Timeout, default: float | None) -> float | None:
    """``value`` in seconds, or ``default`` when the caller left it out (PTB's documented way)."""
    if value is BaseRequest.DEFAULT_NONE:
        return default
    return None if value is None else float(value)


def _sum(*parts: float | None) -> float | None:
    """The sum of timeouts, or None (no limit) if any of them is None."""
    total = 0.0
    for part in parts:
        if part is None:
            return None
        total += part
    return total


class AiohttpRequest(BaseRequest):
    """One aiohttp session with at most ``connection_pool_size`` open connections."""

    __slots__ = ("_connect", "_media_write", "_pool", "_pool_size", "_proxies", "_read",
                 "_session", "_write")  # fmt: skip

    def __init__(
        self,
        connection_pool_size: int = 8,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout; PTB adds a long poll's own timeout to it."""
        return self._read

    async def initialize(self) -> None:
        """Open the session (it must be made inside the running event loop)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def _proxy(self, url: str) -> str | None:
        """The proxy the environment names for ``url``'s host, looked up once per host.

        aiohttp's own ``trust_env`` reads the environment (and ~/.netrc) again on every
        request, which costs more CPU than the request itself.
        """
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        if key not in self._proxies:
            bypass = parts.hostname is None or urllib.request.proxy_bypass(parts.hostname)
            self._proxies[key] = None if bypass else urllib.request.getproxies().get(parts.scheme)
        return self._proxies[key]

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        write_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        connect_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        pool_timeout: Timeout = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; return the status code and the body.

        aiohttp has no timeout for writing the request, so the whole request is bounded by the
        sum of the pool, connect, write and read timeouts: a stalled upload ends too.
        """
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        data: aiohttp.FormData | dict[str, str] | None = None
        write_default = self._write
        if request_data is not None:
            data = request_data.json_parameters
            files = request_data.multipart_data
            if files:
                write_default = self._media_write
                data = aiohttp.FormData(data)
                for name, (filename, content, mime_type) in files.items():
                    # Bytes go as a stream: a big upload must not block the event loop.
                    stream = io.BytesIO(content) if isinstance(content, bytes) else content
                    data.add_field(name, stream, filename=filename, content_type=mime_type)
        pool = _seconds(pool_timeout, self._pool)
        connect = _seconds(connect_timeout, self._connect)
        read = _seconds(read_timeout, self._read)
        timeout = aiohttp.ClientTimeout(
            total=_sum(pool, connect, _seconds(write_timeout, write_default), read),
            connect=_sum(pool, connect),  # a free connection, or a new one, within this
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with self._session.request(
                method,
                url,
                data=data,
                timeout=timeout,
                proxy=self._proxy(url),
                allow_redirects=False,  # as httpx: the Bot API never redirects
            ) as response:
                body = await response.read()
        except aiohttp.ConnectionTimeoutError as error:
            raise ConnectTimedOutError(_describe(error)) from error
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientConnectorError as error:  # refused, unreachable, DNS: never sent
            raise NotSentError(_describe(error)) from error
        except (aiohttp.ClientError, OSError) as error:
            raise NetworkError(_describe(error)) from error
        if response.status >= 300:  # an error description: it may quote the request path
            body = mask_body(body, url)
        return response.status, body


def _describe(error: BaseException) -> str:
    """The error's type and text for a ``NetworkError`` message, any token in it masked."""
    return TOKEN_IN_TEXT.sub(MASK, f"aiohttp.{type(error).__name__}: {error}")
