"""Read one web page as an article: its title, date and main text, without the page around it.

A news page is mostly navigation, teasers, cookie notices and footers; searching those would
cite them. trafilatura finds the article's own text and its metadata (title, publication date,
site name) the way reading-mode views do, from the HTML already downloaded: it never fetches
anything itself. The download is ``fetch``'s, with the size cap, time limit and redirect rules
every feed gets.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from retrieval.loaders.dates import parse_date
from retrieval.loaders.feeds import looks_like_feed
from retrieval.loaders.limits import storable
from retrieval.loaders.markup import plain_title
from retrieval.models import Article, LoadReport, Skipped

_PAGE_TYPES = ("text/html", "application/xhtml+xml")
_HTML_ROOT = re.compile(rb"<(?:!doctype\s+html|html|head|body)[\s>]", re.IGNORECASE)
_SNIFF_BYTES = 4096
NO_TEXT = "no article text found on the page (a front page or a list of links?)"


def looks_like_page(content_type: str | None, body: bytes) -> bool:
    """Whether a response is an HTML page rather than a feed, JSON Lines or plain text."""
    head = body[:_SNIFF_BYTES]
    if looks_like_feed(head):
        return False
    media = (content_type or "").split(";")[0].strip().lower()
    return media in _PAGE_TYPES or (
        not media.startswith("text/plain") and bool(_HTML_ROOT.search(head))
    )


def read_page(body: bytes, url: str) -> LoadReport:
    """The article on the page at ``url``, or a skip saying why there is none.

    Paragraphs come out one per line; they are kept apart by blank lines as the chunker
    expects. A date the page gives that cannot be read is left out, not a reason to skip.
    """
    # Imported here: it is large, and only an article page needs it.
    import trafilatura
    from trafilatura.settings import set_date_params

    # Its date search as usual, but keeping the time and zone a page gives (dates.parse_date
    # reads both); a page with a date alone gets midnight UTC, like a feed's.
    dates = {**set_date_params(), "outputformat": "%Y-%m-%dT%H:%M:%S%z"}

    try:
        document = trafilatura.bare_extraction(
            body,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            date_extraction_params=dates,
        )
    except Exception as error:  # the extractor's own bug on odd input: this page is unreadable
        reason = f"not a readable web page ({type(error).__name__})"
        return LoadReport(skipped=(Skipped(url, "", reason),))
    if document is None or isinstance(document, dict):
        return LoadReport(skipped=(Skipped(url, "", NO_TEXT),))
    title = storable(plain_title(document.title or ""))
    lines = [line.strip() for line in (document.text or "").splitlines()]
    paragraphs = [line for line in lines if line]
    if paragraphs and paragraphs[0] == title:
        paragraphs = paragraphs[1:]  # the headline, repeated as the body's first line
    text = storable("\n\n".join(paragraphs))
    if not text:
        return LoadReport(skipped=(Skipped(url, "", NO_TEXT),))
    try:
        date = parse_date(document.date) if document.date else None
    except ValueError:
        date = None
    source = storable(plain_title(document.sitename or "")) or urlsplit(url).hostname
    article = Article(
        title=title or (urlsplit(url).hostname or url),
        text=text,
        date=date,
        url=url,
        source=source or None,
    )
    return LoadReport((article,))
