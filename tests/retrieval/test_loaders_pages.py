"""An article page's URL loads as one article (title, date, main text), on loopback only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from feed_server import FeedServer, feed_server

from retrieval.errors import SourceError
from retrieval.loaders import load_url
from retrieval.loaders.pages import NO_TEXT, looks_like_page

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY")
NAV = "Home World Business Sport Weather Newsletters Subscribe"
FOOTER = "Copyright 2024 Test Wire. All rights reserved. Privacy policy. Cookie settings."
PARAGRAPHS = (
    "Ships carrying grain left Odesa on Tuesday morning, the first convoy to sail in weeks, "
    "port officials said after the last inspection ended.",
    "Insurers said premiums would fall if the corridor held for a month, and traders expect "
    "wheat exports to rise before the harvest comes in.",
)
ARTICLE_PAGE = f"""<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8"><title>Grain corridor reopens | Test Wire</title>
<meta property="og:title" content="Grain corridor reopens">
<meta property="og:site_name" content="Test Wire">
<meta property="article:published_time" content="2024-03-05T10:00:00+00:00">
</head><body>
<header><nav><ul>{"".join(f"<li><a href='/{w}'>{w}</a></li>" for w in NAV.split())}</ul></nav>
</header>
<main><article><h1>Grain corridor reopens</h1>
{"".join(f"<p>{p}</p>" for p in PARAGRAPHS)}
</article></main>
<footer><p>{FOOTER}</p></footer>
</body></html>""".encode()
FRONT_PAGE = b"<!DOCTYPE html><html><head><title>Wire</title></head><body></body></html>"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FeedServer]:
    """A loopback server with an article page, an empty page and redirects to them."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    with feed_server() as httpd:
        httpd.pages = {
            "/2024/grain": (200, ARTICLE_PAGE, "text/html; charset=utf-8", {}),
            "/front": (200, FRONT_PAGE, "text/html", {}),
            "/short": (301, b"", None, {"Location": "/2024/grain"}),
            "/away": (302, b"", None, {"Location": "ftp://127.0.0.1/grain.html"}),
        }
        yield httpd


def test_an_article_page_loads_as_one_article_without_the_page_around_it(
    server: FeedServer,
) -> None:
    """Title, publication date, site name and paragraphs come from the page; menus and
    footers stay out."""
    url = server.url("/2024/grain")
    report = load_url(url)
    assert report.skipped == ()
    (article,) = report.articles
    assert article.title == "Grain corridor reopens"
    assert article.date == datetime(2024, 3, 5, 10, 0, tzinfo=UTC)
    assert article.source == "Test Wire"
    assert article.url == url
    assert article.text == "\n\n".join(PARAGRAPHS)
    assert "Subscribe" not in article.text
    assert "Copyright" not in article.text


def test_a_redirect_is_followed_to_the_article(server: FeedServer) -> None:
    """A short link that redirects loads the article under its final address."""
    (article,) = load_url(server.url("/short")).articles
    assert article.url == server.url("/2024/grain")
    assert server.answers == [301, 200]


def test_a_page_with_no_article_text_is_skipped_with_the_reason(server: FeedServer) -> None:
    """An empty page is reported as skipped, with why, not stored and not an error."""
    url = server.url("/front")
    report = load_url(url)
    assert report.articles == ()
    assert [(s.source, s.reason) for s in report.skipped] == [(url, NO_TEXT)]


@pytest.mark.parametrize(
    ("path", "kwargs", "message"),
    [
        ("/2024/grain", {"max_bytes": 500}, "over the 500 limit"),
        ("/away", {}, "redirects to ftp://127.0.0.1/grain.html: only http:// and https://"),
    ],
    ids=["size-cap", "ftp-redirect"],
)
def test_pages_get_the_size_cap_and_redirect_rules_of_feeds(
    server: FeedServer, path: str, kwargs: dict[str, int], message: str
) -> None:
    """A page over the byte cap, or redirecting off http(s), fails like a feed would."""
    with pytest.raises(SourceError, match=message):
        load_url(server.url(path), **kwargs)


def test_pages_get_the_time_limit_of_feeds(server: FeedServer) -> None:
    """A page that does not answer in time fails with the feed's time-limit message."""
    server.mode = "slow"
    with pytest.raises(SourceError, match=r"timed out after 0\.3 s"):
        load_url(server.url("/2024/grain"), timeout=0.3)


@pytest.mark.parametrize(
    ("content_type", "body", "page"),
    [
        ("text/html; charset=utf-8", b"<p>x</p>", True),
        ("application/xhtml+xml", b"<html><body>x</body></html>", True),
        (None, b"<!DOCTYPE html><html><body>x</body></html>", True),
        ("text/html", b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>', False),
        ("application/rss+xml", b"<rss version='2.0'><channel/></rss>", False),
        ("text/plain", b"<html> is how a page starts", False),
    ],
    ids=["html", "xhtml", "sniffed", "feed-served-as-html", "rss", "plain-text"],
)
def test_which_responses_are_pages(content_type: str | None, body: bytes, page: bool) -> None:
    """HTML by content type or by its first tags is a page; a feed never is, whatever its type."""
    assert looks_like_page(content_type, body) is page
