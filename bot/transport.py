"""Bot API requests over aiohttp: python-telegram-bot's request contract at a fifth of the CPU.

python-telegram-bot sends through httpx by default, and httpx (with httpcore and anyio below it)
spends about 1.2 ms of CPU on each request to a loopback server where aiohttp, whose HTTP parser
is compiled, spends 0.2 ms (bench/transport.py). A bot that answers makes two requests per
question (the long poll that brought it and the reply), so the client is a large share of what an
answer costs. ``AiohttpRequest`` implements PTB's ``BaseRequest`` the way its ``HTTPXRequest``
does: the same default timeouts, ``TimedOut`` for timeouts and ``NetworkError`` for the rest.
"""

from __future__ import annotations

import re

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# Bot API URLs carry the token; error messages that quote a URL must not.
TOKEN_IN_TEXT = re.compile(r"\d{5,20}:[A-Za-z0-9_-]{30,60}")


def _seconds(value: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value


def _both(pool: float | None, connect: float | None) -> float | None:
    return None if pool is None or connect is None else pool + connect


class AiohttpRequest(BaseRequest):
    """One aiohttp session with at most ``connection_pool_size`` open connections."""

    __slots__ = ("_connect", "_pool", "_pool_size", "_read", "_session")

    def __init__(
        self,
        connection_pool_size: int = 8,
        read_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read = read_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._session: aiohttp.ClientSession | None = None

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
                trust_env=True,  # proxies from the environment, as httpx honours them
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; return the status code and the body.

        aiohttp has no write timeout, so ``write_timeout`` is not used: a stalled upload is
        still bounded by the read timeout of the answer it waits for.
        """
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        data: aiohttp.FormData | dict[str, str] | None = None
        if request_data is not None:
            data = request_data.json_parameters
            files = request_data.multipart_data
            if files:
                data = aiohttp.FormData(data)
                for name, (filename, content, mime_type) in files.items():
                    data.add_field(name, content, filename=filename, content_type=mime_type)
        connect = _seconds(connect_timeout, self._connect)
        timeout = aiohttp.ClientTimeout(
            # Waiting for a free connection and opening one, as httpx's pool + connect.
            connect=_both(_seconds(pool_timeout, self._pool), connect),
            sock_connect=connect,
            sock_read=_seconds(read_timeout, self._read),
        )
        try:
            async with self._session.request(method, url, data=data, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except (aiohttp.ClientError, OSError) as error:
            message = TOKEN_IN_TEXT.sub("[token]", f"aiohttp.{type(error).__name__}: {error}")
            raise NetworkError(message) from error
