"""A feed server on 127.0.0.1 for the source and alert tests: it changes, answers 304, fails."""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

MODIFIED = formatdate(1_700_000_000, usegmt=True)


def rss(entries: list[tuple[str, str, str]], raw_items: str = "") -> bytes:
    """An RSS 2.0 document with one item per (title, link, text), then ``raw_items`` as is."""
    items = raw_items + "".join(
        f"<item><title>{escape(title)}</title><link>{escape(link)}</link>"
        f"<description>{escape(text)}</description></item>"
        for title, link, text in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Test wire</title>{items}</channel></rss>"
    ).encode()


def etag_of(body: bytes) -> str:
    """The ETag the server sends for ``body``."""
    return '"' + hashlib.sha256(body).hexdigest()[:12] + '"'


class FeedServer(ThreadingHTTPServer):
    """Serves ``entries`` as RSS with an ETag (304 when unchanged).

    ``mode`` makes it misbehave: "500", "slow" (answers after ``slow_seconds``), "html",
    "big" (``big_bytes`` of body), "malformed". Paths starting ``/good`` always behave and
    paths starting ``/broken`` always answer 500. ``pages`` maps other paths to canned
    ``(status, body, content type, headers)`` answers (web pages, redirects), served while the
    mode is "ok". Every status sent is kept in ``answers`` and every request's headers in
    ``requests``.
    """

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _FeedHandler)
        self.entries: list[tuple[str, str, str]] = []
        self.raw_items = ""  # unescaped item XML served before the entries (bad dates, ...)
        self.mode = "ok"
        self.slow_seconds = 2.0
        self.big_bytes = 40_000
        self.pages: dict[str, tuple[int, bytes, str | None, dict[str, str]]] = {}
        self.requests: list[dict[str, str]] = []
        self.answers: list[int] = []
        self.release = threading.Event()

    def url(self, path: str = "/feed") -> str:
        """The address of ``path`` on this server."""
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


class _FeedHandler(BaseHTTPRequestHandler):
    server: FeedServer

    def do_GET(self) -> None:
        self.server.requests.append(dict(self.headers))
        mode = self.server.mode
        if self.path.startswith("/good"):
            mode = "ok"
        elif self.path.startswith("/broken"):
            mode = "500"
        if mode == "ok" and self.path in self.server.pages:
            status, body, kind, headers = self.server.pages[self.path]
            return self._send(status, body, kind, **headers)
        if mode == "slow":
            self.server.release.wait(self.server.slow_seconds)
            return self._send(200, rss([]))
        if mode == "500":
            return self._send(500, b"boom", "text/plain")
        if mode == "html":
            return self._send(200, b"<!DOCTYPE html><html><body>Hi</body></html>", "text/html")
        if mode == "big":
            return self._send(200, b"<rss>" + b" " * self.server.big_bytes)
        if mode == "malformed":
            return self._send(200, b'<?xml version="1.0"?><notafeed><x>')
        body = rss(self.server.entries, self.server.raw_items)
        etag = etag_of(body)
        if self.headers.get("If-None-Match") == etag:
            return self._send(304, b"", None, ETag=etag)
        return self._send(200, body, ETag=etag, **{"Last-Modified": MODIFIED})

    def _send(
        self, status: int, body: bytes, kind: str | None = "application/rss+xml", **headers: str
    ) -> None:
        self.server.answers.append(status)
        self.send_response(status)
        if kind:
            self.send_header("Content-Type", kind)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output clean."""


@contextlib.contextmanager
def feed_server() -> Iterator[FeedServer]:
    """A feed server on loopback for the duration of the block."""
    server = FeedServer()
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join()
