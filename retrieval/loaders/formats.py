"""Pick the loader for some bytes from a file name, a content type or the bytes themselves.

Both files and URLs end up here, so a ``.jsonl.gz`` on disk and one served
over HTTP load the same way. Failures that make the whole input unreadable
raise ``ValueError`` with a reason phrased to follow "<source> is ...", so each
caller can turn it into a ``SourceError`` or a ``Skipped`` as it needs.
"""

from __future__ import annotations

import gzip
import io
import zlib
from typing import Literal

from retrieval.loaders.feeds import looks_like_feed, read_feed
from retrieval.loaders.jsonl import load_jsonl
from retrieval.loaders.limits import MAX_UNPACKED_BYTES
from retrieval.loaders.textfile import decode_text, load_text
from retrieval.models import LoadReport, Skipped

Kind = Literal["text", "jsonl", "feed"]

SUFFIXES: dict[str, Kind] = {
    ".txt": "text",
    ".md": "text",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".jsonl.gz": "jsonl",
    ".ndjson.gz": "jsonl",
    ".xml": "feed",
    ".rss": "feed",
    ".atom": "feed",
}
_GZIP_MAGIC = b"\x1f\x8b"


def kind_for_name(name: str) -> Kind | None:
    """Return the format a file name's suffix promises, or ``None`` if unknown."""
    lower = name.lower()
    # Longest suffix first so ".jsonl.gz" wins over a bare ".gz".
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if lower.endswith(suffix):
            return SUFFIXES[suffix]
    return None


def kind_for_response(url_path: str, content_type: str | None, body: bytes) -> Kind:
    """Choose a format for a downloaded body: URL suffix, then content type, then feed.

    Anything unrecognised is tried as a feed, which gives a clear "not an RSS
    or Atom feed" reason for an HTML page.
    """
    by_name = kind_for_name(url_path)
    if by_name is not None:
        return by_name
    media = (content_type or "").split(";")[0].strip().lower()
    if "json" in media:
        return "jsonl"
    if media in ("text/plain", "text/markdown") and not looks_like_feed(body[:4096]):
        return "text"
    return "feed"


def read_bytes(data: bytes, source: str, kind: Kind) -> LoadReport:
    """Load ``data`` as ``kind``; gzip-compressed data is unpacked first."""
    if data.startswith(_GZIP_MAGIC):
        data = _gunzip(data)
    if kind == "jsonl":
        return load_jsonl(data, source)
    if kind == "feed":
        return read_feed(data, source)
    try:
        text = decode_text(data)
    except ValueError as error:
        return LoadReport(skipped=(Skipped(source, "", str(error)),))
    return load_text(text, source)


def _gunzip(data: bytes) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as unpacked:
            result = unpacked.read(MAX_UNPACKED_BYTES + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"not a readable gzip file ({error})") from None
    if len(result) > MAX_UNPACKED_BYTES:
        raise ValueError(f"over {MAX_UNPACKED_BYTES:,} bytes once decompressed")
    return result
