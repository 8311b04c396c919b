"""Fetch one URL over HTTP(S) with a time limit, a size cap and conditional requests.

Only the standard library is used: ``retrieval`` stays free of the bot's HTTP
client. Every failure becomes a ``SourceError`` whose message names the URL
and says in plain words what went wrong, because it ends up in a chat reply.

The time limit covers the whole request, from connecting to the last body byte. A socket
timeout alone bounds each wait, so a server that drips one byte just inside it could hold a
fetch (and the poll thread or /ingest waiting on it) for hours. A timer shuts the request's
sockets down when the deadline passes, which wakes any read blocked on them.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.client import HTTPException, HTTPMessage
from typing import IO, Any
from urllib.parse import urlsplit

from retrieval.errors import SourceError

USER_AGENT = "Briefbot/0.1"
_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, "
    "application/x-ndjson;q=0.8, application/json;q=0.8, text/plain;q=0.7, */*;q=0.1"
)
_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class Fetched:
    """One HTTP response: a 304 has an empty body and echoes the validators."""

    status: int
    body: bytes
    etag: str | None
    last_modified: str | None
    content_type: str | None
    url: str


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects, but never off to ``ftp:`` or any other scheme."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        try:
            _check_scheme(newurl, what=f"{req.full_url} redirects to {newurl}")
        except SourceError:
            fp.close()  # urllib closes it only when the redirect goes ahead
            raise
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _Deadline:
    """Shuts down every socket of one fetch once ``seconds`` have passed."""

    def __init__(self, seconds: float) -> None:
        self.ends = time.monotonic() + seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        """Seconds left; a connection attempt never waits longer than this."""
        return max(self.ends - time.monotonic(), 0.001)

    def watch(self, sock: socket.socket) -> None:
        """Cut ``sock`` at the deadline. A duplicate is kept: TLS takes over the original."""
        with self._lock:
            duplicate = sock.dup()
            self._sockets.append(duplicate)
            if self.expired:
                _shut(duplicate)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def close(self) -> None:
        """Stop the timer and release the duplicates (the originals close with the response)."""
        self._timer.cancel()
        with self._lock:
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the other end
        sock.shutdown(socket.SHUT_RDWR)


class _WatchedHTTP(http.client.HTTPConnection):
    """An HTTP connection whose socket the fetch's ``_Deadline`` can cut."""

    deadline: _Deadline  # set by the handler that makes the connection

    def connect(self) -> None:
        """Connect within the time left, then hand the socket to the deadline."""
        left = self.deadline.remaining()
        self.timeout = left if self.timeout is None else min(self.timeout, left)
        super().connect()
        self.deadline.watch(self.sock)


class _WatchedHTTPS(http.client.HTTPSConnection, _WatchedHTTP):
    """HTTPS whose plain socket is watched before the TLS handshake, so that is bounded too."""


class _WatchedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        def connection(host: str, **kwargs: Any) -> _WatchedHTTP:
            made = _WatchedHTTP(host, **kwargs)
            made.deadline = self.deadline
            return made

        return self.do_open(connection, req)


class _WatchedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline) -> None:
        self.context = ssl.create_default_context()
        super().__init__(context=self.context)
        self.deadline = deadline

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        def connection(host: str, **kwargs: Any) -> _WatchedHTTPS:
            made = _WatchedHTTPS(host, **kwargs)
            made.deadline = self.deadline
            return made

        return self.do_open(connection, req, context=self.context)


def fetch(
    url: str,
    *,
    timeout: float = 20.0,
    max_bytes: int = 20_000_000,
    etag: str | None = None,
    last_modified: str | None = None,
) -> Fetched:
    """GET ``url``; pass the validators of an earlier response to allow a 304.

    ``timeout`` bounds the whole request: connecting, headers and body. Raises
    ``SourceError`` on timeouts, unknown hosts, refused connections, HTTP
    status >= 400, a body larger than ``max_bytes`` and non-HTTP URLs.
    """
    _check_scheme(url, what=url)
    headers = {"User-Agent": USER_AGENT, "Accept": _ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (scheme checked)
    deadline = _Deadline(timeout)
    try:
        return _fetch(request, url, timeout, max_bytes, deadline, (etag, last_modified))
    except SourceError:
        if deadline.expired:
            # Cut mid-request: whatever broke, the reason is the time limit.
            raise SourceError(f"{url}: timed out after {timeout:g} s") from None
        raise
    finally:
        deadline.close()


def _fetch(
    request: urllib.request.Request,
    url: str,
    timeout: float,
    max_bytes: int,
    deadline: _Deadline,
    validators: tuple[str | None, str | None],
) -> Fetched:
    etag, last_modified = validators
    # A fresh opener per call picks up proxy settings from the environment now.
    opener = urllib.request.build_opener(
        _HttpOnlyRedirects, _WatchedHTTPHandler(deadline), _WatchedHTTPSHandler(deadline)
    )
    try:
        with opener.open(request, timeout=timeout) as response:
            body = _read_capped(response, url, max_bytes)
            if deadline.expired:
                raise SourceError(f"{url}: timed out after {timeout:g} s while downloading")
            return Fetched(
                status=response.status,
                body=body,
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
                content_type=response.headers.get("Content-Type"),
                url=response.geturl(),
            )
    except urllib.error.HTTPError as error:
        with error:
            if error.code == 304:
                return Fetched(
                    status=304,
                    body=b"",
                    etag=error.headers.get("ETag") or etag,
                    last_modified=error.headers.get("Last-Modified") or last_modified,
                    content_type=error.headers.get("Content-Type"),
                    url=error.geturl() or url,
                )
            raise SourceError(
                f"{url}: the server answered HTTP {error.code} {error.reason}"
            ) from None
    except urllib.error.URLError as error:
        raise SourceError(f"{url}: {_plain_reason(error.reason, url, timeout)}") from None
    except (OSError, HTTPException) as error:
        raise SourceError(f"{url}: {_plain_reason(error, url, timeout)}") from None


def _check_scheme(url: str, *, what: str) -> None:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise SourceError(f"{what}: only http:// and https:// URLs can be loaded")


def _read_capped(response: IO[bytes], url: str, max_bytes: int) -> bytes:
    declared = getattr(response, "headers", {}).get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise SourceError(
            f"{url}: the response is {int(declared):,} bytes, over the {max_bytes:,} limit"
        )
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read(min(_CHUNK, max_bytes + 1 - size)):
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            # Stop at the cap: never hold more than max_bytes + 1 in memory.
            raise SourceError(f"{url}: the response is over the {max_bytes:,} byte limit")
    return b"".join(chunks)


def _plain_reason(reason: object, url: str, timeout: float) -> str:
    if isinstance(reason, TimeoutError | socket.timeout):
        return f"timed out after {timeout:g} s"
    if isinstance(reason, socket.gaierror):
        return f"cannot find the host {urlsplit(url).hostname}"
    if isinstance(reason, ConnectionRefusedError):
        return "the connection was refused"
    if isinstance(reason, ConnectionError):
        return "the connection was dropped"
    if isinstance(reason, ssl.SSLError):
        return f"secure connection failed ({reason.reason or reason})"
    return f"cannot connect ({reason})"
