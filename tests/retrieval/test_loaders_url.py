"""URL loading and fetch() against a real HTTP server on 127.0.0.1, never the internet."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from retrieval.errors import SourceError
from retrieval.loaders import USER_AGENT, Fetched, fetch, load_location, load_url

FIXTURES = Path(__file__).parent / "fixtures"
ETAG = '"v1"'
MODIFIED = "Thu, 07 Apr 2022 10:00:00 GMT"
DRIP_BYTES = 40
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY")


class _Handler(BaseHTTPRequestHandler):
    """Serves one canned answer per path and records the headers it was sent."""

    server: _Server

    def do_GET(self) -> None:
        self.server.seen.append((self.path, dict(self.headers)))
        route = self.path.split("?")[0]
        if route == "/slow":
            self.server.release.wait(5)
            return self._send(200, b"too late", "text/plain")
        if route == "/etag":
            if self.headers.get("If-None-Match") == ETAG:
                return self._send(304, b"", None)
            return self._send(
                200, b"<rss/>", "application/rss+xml", ETag=ETAG, **{"Last-Modified": MODIFIED}
            )
        if route == "/unsized":
            # No Content-Length: the client must stop reading at its own cap.
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.close_connection = True
            return self._write(b"x" * 50_000)
        if route in ("/drip-headers", "/drip-body"):
            return self._drip(headers=route == "/drip-headers")
        if route == "/redirect":
            return self._send(302, b"", None, Location="/feed")
        if route == "/ftp-redirect":
            return self._send(302, b"", None, Location="ftp://127.0.0.1/feed.xml")
        status, body, kind = ROUTES.get(route, (404, b"not here", "text/plain"))
        return self._send(status, body, kind)

    def _send(self, status: int, body: bytes, kind: str | None, **headers: str) -> None:
        self.send_response(status)
        if kind:
            self.send_header("Content-Type", kind)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self._write(body)

    def _drip(self, *, headers: bool) -> None:
        """Send one byte every 0.1 s (inside any per-read timeout); record if all were sent."""
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
        if headers:
            slow, rest = b"X-Drip: " + b"d" * DRIP_BYTES + b"\r\n", b"Content-Length: 2\r\n\r\nok"
        else:
            slow, rest = b"", f"Content-Length: {DRIP_BYTES}\r\n\r\n".encode()
        try:
            self.wfile.write(head + (rest if not headers else b""))
            for byte in slow if headers else b"x" * DRIP_BYTES:
                time.sleep(0.1)
                self.wfile.write(bytes([byte]))
            self.wfile.write(rest if headers else b"")
            finished = True
        except OSError:  # the client hung up
            finished = False
        self.close_connection = True
        self.server.drips.append(finished)
        self.server.dripped.set()

    def _write(self, body: bytes) -> None:
        # The client may give up first (timeout or size cap), as the test intends.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output clean."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    seen: list[tuple[str, dict[str, str]]]
    release: threading.Event
    drips: list[bool]
    dripped: threading.Event


ROUTES: dict[str, tuple[int, bytes, str]] = {
    "/feed": (200, (FIXTURES / "rss2.xml").read_bytes(), "application/rss+xml; charset=utf-8"),
    "/page": (200, (FIXTURES / "page.xml").read_bytes(), "text/html; charset=utf-8"),
    "/error": (500, b"boom", "text/plain"),
    "/big": (200, b"y" * 50_000, "application/octet-stream"),
    "/notes": (200, b"Plain title\n\nPlain body.", "text/plain; charset=utf-8"),
    "/items.jsonl": (200, json.dumps({"title": "J", "text": "Body"}).encode(), "text/plain"),
    "/api": (200, json.dumps({"title": "K", "text": "Body"}).encode(), "application/json"),
}


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Server]:
    """Start a loopback server in a thread for one test and stop it afterwards."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.seen = []
    httpd.release = threading.Event()
    httpd.drips = []
    httpd.dripped = threading.Event()
    # A short poll interval keeps shutdown (and so each test) fast.
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield httpd
    httpd.release.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def _url(server: _Server, path: str) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def test_feed_url_loads_and_sends_user_agent(server: _Server) -> None:
    """A feed URL loads like the fixture file and the request names Briefbot."""
    url = _url(server, "/feed")
    report = load_url(url)
    assert report.articles[0].title == "Ministers agree & sign aid package"
    assert [s.source for s in report.skipped] == [url, url]
    assert server.seen[0][1]["User-Agent"] == USER_AGENT == "Briefbot/0.1"


@pytest.mark.parametrize(
    ("path", "titles"),
    [("/notes", ["Plain title"]), ("/items.jsonl", ["J"]), ("/api", ["K"])],
    ids=["text-plain", "jsonl-suffix", "json-content-type"],
)
def test_format_follows_suffix_then_content_type(
    server: _Server, path: str, titles: list[str]
) -> None:
    """The URL suffix, then the content type, picks the loader."""
    assert [a.title for a in load_location(_url(server, path)).articles] == titles


def test_html_page_loads_as_an_article(server: _Server) -> None:
    """A web page (not a feed) is read as one article: its title and text (tests in
    test_loaders_pages.py)."""
    (article,) = load_url(_url(server, "/page")).articles
    assert (article.title, article.text) == (
        "Not a feed",
        "This is a web page saved with the wrong suffix.",
    )


def test_redirect_is_followed(server: _Server) -> None:
    """A redirect to the feed is followed and the report names the URL asked for."""
    url = _url(server, "/redirect")
    report = load_url(url)
    assert len(report.articles) == 3
    assert {s.source for s in report.skipped} == {url}


@pytest.mark.parametrize(
    ("path", "kwargs", "message"),
    [
        ("/error", {}, "{url}: the server answered HTTP 500 Internal Server Error"),
        ("/missing", {}, "{url}: the server answered HTTP 404 Not Found"),
        ("/slow", {"timeout": 0.3}, "{url}: timed out after 0.3 s"),
        ("/big", {"max_bytes": 1000}, "{url}: the response is 50,000 bytes, over the 1,000 limit"),
        ("/unsized", {"max_bytes": 1000}, "{url}: the response is over the 1,000 byte limit"),
        ("/ftp-redirect", {}, "{url} redirects to ftp://127.0.0.1/feed.xml: only http:// and"),
    ],
    ids=["500", "404", "timeout", "too-big", "too-big-unsized", "ftp-redirect"],
)
def test_unreadable_url_is_a_source_error(
    server: _Server, path: str, kwargs: dict[str, Any], message: str
) -> None:
    """Each way a URL can fail becomes one SourceError naming the URL and the cause."""
    url = _url(server, path)
    with pytest.raises(SourceError) as caught:
        load_url(url, **kwargs)
    assert str(caught.value).startswith(message.format(url=url))


def test_fetch_returns_validators_and_honours_them(server: _Server) -> None:
    """A second fetch with the ETag gets a 304 with an empty body and the validators."""
    url = _url(server, "/etag")
    first = fetch(url)
    assert first == Fetched(200, b"<rss/>", ETAG, MODIFIED, "application/rss+xml", url)
    second = fetch(url, etag=first.etag, last_modified=first.last_modified)
    assert (second.status, second.body, second.etag, second.last_modified) == (
        304,
        b"",
        ETAG,
        MODIFIED,
    )
    sent = server.seen[1][1]
    assert (sent["If-None-Match"], sent["If-Modified-Since"]) == (ETAG, MODIFIED)


def test_fetch_without_validators_sends_no_conditions(server: _Server) -> None:
    """A first fetch sends no conditional headers, so it always gets a full body."""
    fetch(_url(server, "/etag"))
    assert "If-None-Match" not in server.seen[0][1]
    assert "If-Modified-Since" not in server.seen[0][1]


@pytest.mark.parametrize("path", ["/drip-headers", "/drip-body"], ids=["headers", "body"])
def test_dripping_server_is_cut_off_at_the_deadline(server: _Server, path: str) -> None:
    """A byte every 0.1 s never trips a 0.5 s read timeout, but the whole fetch is cut at 0.5 s.

    The server records that the client hung up before it had sent everything: the fetch
    stopped at its deadline instead of reading on until the server was done.
    """
    with pytest.raises(SourceError, match=r"timed out after 0\.5 s"):
        fetch(_url(server, path), timeout=0.5)
    assert server.dripped.wait(30)
    assert server.drips == [False]


def test_refused_connection_is_a_source_error() -> None:
    """Nobody listening on the port gives a plain 'refused' reason."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/feed"
    with pytest.raises(SourceError, match="the connection was refused"):
        fetch(url, timeout=2)


def test_unknown_host_is_a_source_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A name that does not resolve says which host could not be found (no real DNS used)."""

    def no_such_host(*args: object, **kwargs: object) -> list[object]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SourceError, match=r"cannot find the host news\.invalid$"):
        fetch("http://news.invalid/feed")


@pytest.mark.parametrize(
    "url",
    ["ftp://127.0.0.1/feed.xml", "file:///etc/passwd", "127.0.0.1/feed", "http://"],
    ids=["ftp", "file", "no-scheme", "no-host"],
)
def test_non_http_url_is_refused_before_any_connection(url: str) -> None:
    """Only http and https URLs with a host are fetched."""
    with pytest.raises(SourceError, match="only http:// and https:// URLs can be loaded"):
        fetch(url)


@pytest.mark.slow
def test_loaders_do_not_import_the_bots_http_client() -> None:
    """Fetching uses the standard library only: importing the loaders never loads httpx."""
    code = "import sys, retrieval.loaders; print('httpx' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "False"
