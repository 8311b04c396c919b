"""Load briefings from RSS 2.0, RSS 1.0 and Atom feeds.

feedparser only ever receives bytes: given a string it would treat it as a URL
or a file name and go fetching on its own, bypassing our timeouts and size
limits. Entry bodies are HTML, so they go through ``html_to_text``.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any

import feedparser

from retrieval.errors import SourceError
from retrieval.loaders.dates import parse_date
from retrieval.loaders.markup import html_to_text, plain_title
from retrieval.models import Article, LoadReport, Skipped

# What the first bytes of a feed look like; used when a suffix or content type
# does not say. Looked for in the first few kilobytes only.
_FEED_ROOT = re.compile(rb"<(?:rss|feed|rdf:RDF)[\s>]", re.IGNORECASE)
_HTML_ROOT = re.compile(rb"<(?:!doctype\s+html|html|head|body)[\s>]", re.IGNORECASE)
_SNIFF_BYTES = 4096


def looks_like_feed(data: bytes) -> bool:
    """Say whether ``data`` starts like an RSS, RDF or Atom document."""
    return _FEED_ROOT.search(data[:_SNIFF_BYTES]) is not None


def load_feed(data: bytes, source: str) -> LoadReport:
    """Read every entry of a feed; entries without a title or text are reported.

    Raises ``SourceError`` when ``data`` is not a feed at all (an HTML page, a
    JSON document, garbage). A feed with XML errors that still yielded entries
    keeps them: real feeds are often slightly broken.
    """
    try:
        return read_feed(data, source)
    except ValueError as error:
        raise SourceError(f"{source} is {error}") from None


def read_feed(data: bytes, source: str) -> LoadReport:
    """Like ``load_feed``, but a non-feed raises ``ValueError("not an RSS ...")``.

    Folder loading reports that reason as a ``Skipped`` instead of failing.
    """
    parsed = feedparser.parse(data)
    entries = parsed.get("entries") or []
    if not entries and not parsed.get("version"):
        raise ValueError(f"not an RSS or Atom feed ({_why_not(data, parsed)})")
    feed_title = plain_title(parsed.get("feed", {}).get("title", "")) or None
    articles: list[Article] = []
    skipped: list[Skipped] = []
    for number, entry in enumerate(entries, start=1):
        try:
            articles.append(_article(entry, feed_title))
        except ValueError as error:
            skipped.append(Skipped(source, f"entry {number}", str(error)))
    return LoadReport(tuple(articles), tuple(skipped))


def _article(entry: Any, feed_title: str | None) -> Article:
    title = plain_title(entry.get("title") or "")
    if not title:
        raise ValueError("entry has no title")
    text = _entry_text(entry)
    if not text:
        raise ValueError(f"entry {title!r} has no text")
    return Article(
        title=title,
        text=text,
        date=_entry_date(entry),
        url=(entry.get("link") or "").strip() or None,
        source=feed_title,
    )


def _entry_text(entry: Any) -> str:
    # Full content when the feed has it, else the summary (often an excerpt).
    candidates = [part.get("value") or "" for part in entry.get("content") or []]
    candidates.append(entry.get("summary") or "")
    for candidate in candidates:
        text = html_to_text(candidate)
        if text:
            return text
    return ""


def _entry_date(entry: Any) -> datetime | None:
    # dict.get, not entry.get: feedparser maps a missing "updated" onto
    # "published" with a DeprecationWarning, and we want each key as written.
    for key in ("published_parsed", "updated_parsed"):
        parsed: time.struct_time | None = dict.get(entry, key)
        if parsed is not None:
            # feedparser has already converted these to UTC.
            return datetime(*parsed[:6], tzinfo=UTC)
    for key in ("published", "updated"):
        raw = (dict.get(entry, key) or "").strip()
        if raw:
            # feedparser could not read it: try our parser before giving up.
            try:
                return parse_date(raw)
            except ValueError:
                raise ValueError(f"{key} date {raw!r} is not a date") from None
    return None


def _why_not(data: bytes, parsed: Any) -> str:
    if not data.strip():
        return "it is empty"
    if _HTML_ROOT.search(data[:_SNIFF_BYTES]):
        return "looks like HTML"
    error = parsed.get("bozo_exception")
    return f"XML error: {error}" if error else "no feed elements found"
