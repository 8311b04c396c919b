"""Load briefings from RSS 2.0, RSS 1.0 and Atom feeds.

feedparser only ever receives bytes: given a string it would treat it as a URL
or a file name and go fetching on its own, bypassing our timeouts and size
limits. Entry bodies are HTML, so they go through ``html_to_text``. A character
reference feedparser cannot encode (``&#xD800;``) would make it fail on the whole
feed, so such references become U+FFFD before it sees them; one entry's bad date
or text is that entry's skip reason, never the feed's.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any

import feedparser

from retrieval.errors import SourceError
from retrieval.loaders.dates import DateRangeError, item_date
from retrieval.loaders.limits import quote, storable
from retrieval.loaders.markup import html_to_text, plain_title
from retrieval.models import Article, LoadReport, Skipped

# What the first bytes of a feed look like; used when a suffix or content type
# does not say. Looked for in the first few kilobytes only.
_FEED_ROOT = re.compile(rb"<(?:rss|feed|rdf:RDF)[\s>]", re.IGNORECASE)
_HTML_ROOT = re.compile(rb"<(?:!doctype\s+html|html|head|body)[\s>]", re.IGNORECASE)
_SNIFF_BYTES = 4096
# Numeric character references; the ones no UTF-8 text can hold are replaced before parsing.
_CHAR_REF = re.compile(rb"&#(?:([0-9]+)|[xX]([0-9a-fA-F]+));")
_REPLACEMENT_REF = b"&#xFFFD;"


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
    try:
        parsed = feedparser.parse(_CHAR_REF.sub(_encodable_ref, data))
    except Exception as error:  # feedparser's own bug on odd input: the feed is unreadable
        raise ValueError(f"not a readable feed ({type(error).__name__})") from None
    entries = parsed.get("entries") or []
    if not entries and not parsed.get("version"):
        raise ValueError(f"not an RSS or Atom feed ({_why_not(data, parsed)})")
    feed_title = storable(plain_title(parsed.get("feed", {}).get("title", ""))) or None
    articles: list[Article] = []
    skipped: list[Skipped] = []
    for number, entry in enumerate(entries, start=1):
        try:
            articles.append(_article(entry, feed_title))
        except ValueError as error:
            skipped.append(Skipped(source, f"entry {number}", str(error)))
    return LoadReport(tuple(articles), tuple(skipped))


def _encodable_ref(match: re.Match[bytes]) -> bytes:
    decimal, hexadecimal = match.groups()
    digits = (decimal or hexadecimal).lstrip(b"0")
    if len(digits) > 8:  # far past U+10FFFF, and int() refuses thousands of digits
        return _REPLACEMENT_REF
    code = int(digits or b"0", 10 if decimal is not None else 16)
    if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        return _REPLACEMENT_REF
    return match.group(0)


def _article(entry: Any, feed_title: str | None) -> Article:
    title = storable(plain_title(entry.get("title") or ""))
    if not title:
        raise ValueError("entry has no title")
    text = storable(_entry_text(entry))
    if not text:
        raise ValueError(f"entry {quote(title)} has no text")
    return Article(
        title=title,
        text=text,
        date=_entry_date(entry),
        url=storable((entry.get("link") or "").strip()) or None,
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
            # feedparser has already converted these to UTC, and may have carried a
            # moment past year 9999 or before year 1 doing so.
            try:
                return datetime(*parsed[:6], tzinfo=UTC)
            except ValueError:
                name = key.removesuffix("_parsed")
                raw = (dict.get(entry, name) or "").strip()
                raise DateRangeError(f"{name} date {quote(raw)} is out of range") from None
    for key in ("published", "updated"):
        # feedparser could not read it: try our parser before giving up.
        date = item_date(f"{key} date", dict.get(entry, key) or "")
        if date is not None:
            return date
    return None


def _why_not(data: bytes, parsed: Any) -> str:
    if not data.strip():
        return "it is empty"
    if _HTML_ROOT.search(data[:_SNIFF_BYTES]):
        return "looks like HTML"
    error = parsed.get("bozo_exception")
    return f"XML error: {error}" if error else "no feed elements found"
