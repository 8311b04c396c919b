"""Load from a URL, or from whatever a user typed: a URL or a local path."""

from __future__ import annotations

from urllib.parse import urlsplit

from retrieval.errors import SourceError
from retrieval.loaders.fetch import fetch
from retrieval.loaders.folders import load_path
from retrieval.loaders.formats import kind_for_name, kind_for_response, read_bytes
from retrieval.loaders.pages import looks_like_page, read_page
from retrieval.models import LoadReport

_URL_PREFIXES = ("http://", "https://")


def load_url(url: str, *, timeout: float = 20.0, max_bytes: int = 20_000_000) -> LoadReport:
    """Download ``url`` and load it as a feed, JSON Lines, a seed-format text or an article page.

    The format comes from the URL's suffix, then the content type; an HTML page is read as one
    article (``pages``), anything else as a feed. Raises ``SourceError`` when the URL cannot be
    fetched or the body is not readable as its format.
    """
    fetched = fetch(url, timeout=timeout, max_bytes=max_bytes)
    path = urlsplit(fetched.url).path
    if kind_for_name(path) is None and looks_like_page(fetched.content_type, fetched.body):
        return read_page(fetched.body, fetched.url)
    kind = kind_for_response(path, fetched.content_type, fetched.body)
    try:
        return read_bytes(fetched.body, url, kind)
    except ValueError as error:
        raise SourceError(f"{url} is {error}") from None


def load_location(location: str) -> LoadReport:
    """Load ``location`` as a URL when it starts with http:// or https://, else as a path."""
    stripped = location.strip()
    if stripped.lower().startswith(_URL_PREFIXES):
        return load_url(stripped)
    return load_path(stripped)
