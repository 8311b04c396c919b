"""Load from a URL, or from whatever a user typed: a URL or a local path."""

from __future__ import annotations

from urllib.parse import urlsplit

from retrieval.errors import SourceError
from retrieval.loaders.fetch import fetch
from retrieval.loaders.folders import load_path
from retrieval.loaders.formats import kind_for_response, read_bytes
from retrieval.models import LoadReport

_URL_PREFIXES = ("http://", "https://")


def load_url(url: str, *, timeout: float = 20.0, max_bytes: int = 20_000_000) -> LoadReport:
    """Download ``url`` and load it as a feed, JSON Lines or a seed-format text.

    The format comes from the URL's suffix, then the content type; anything
    else is read as a feed. Raises ``SourceError`` when the URL cannot be
    fetched or the body is not readable as its format (e.g. an HTML page).
    """
    fetched = fetch(url, timeout=timeout, max_bytes=max_bytes)
    kind = kind_for_response(urlsplit(fetched.url).path, fetched.content_type, fetched.body)
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
