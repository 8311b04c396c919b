"""Load briefings from JSON Lines: one JSON object per line, one article per object.

Exports from other tools name fields differently, so the first non-empty of
several aliases is used. Each bad line is reported with its line number and
the rest of the file still loads: one broken record must not hide a thousand
good ones. That includes records Python's parser cannot take (nested thousands
deep, longer than ``MAX_LINE_BYTES``) and strings the store cannot keep exactly
(NULs, lone surrogates), which ``storable`` repairs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from retrieval.loaders.dates import item_date
from retrieval.loaders.limits import MAX_LINE_BYTES, storable
from retrieval.loaders.markup import html_to_text, looks_like_html, normalise_text, plain_title
from retrieval.models import Article, LoadReport, Skipped

TEXT_FIELDS = ("text", "body", "content")
DATE_FIELDS = ("date", "published", "pubDate", "published_at")
URL_FIELDS = ("url", "link")


def load_jsonl(data: bytes | str, source: str) -> LoadReport:
    """Read every line of ``data``; blank lines are ignored, bad lines are reported."""
    raw_lines: Sequence[bytes | str] = (
        data.split(b"\n") if isinstance(data, bytes) else data.split("\n")
    )
    articles: list[Article] = []
    skipped: list[Skipped] = []
    for number, raw in enumerate(raw_lines, start=1):
        try:
            if len(raw) > MAX_LINE_BYTES:
                # Characters for a str: close enough, and never less than its bytes / 4.
                raise ValueError(f"line over the {MAX_LINE_BYTES:,} byte limit")
            line = _decode(raw, first=number == 1)
            if not line.strip():
                continue
            articles.append(_article(_parse_object(line)))
        except ValueError as error:
            skipped.append(Skipped(source, f"line {number}", str(error)))
    return LoadReport(tuple(articles), tuple(skipped))


def _decode(raw: bytes | str, *, first: bool) -> str:
    if isinstance(raw, str):
        return raw.lstrip("\ufeff") if first else raw
    try:
        return raw.decode("utf-8-sig" if first else "utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"not UTF-8 text (byte at column {error.start + 1})") from None


def _parse_object(line: str) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"invalid JSON at column {error.colno}: {error.msg}") from None
    except RecursionError:
        raise ValueError("JSON nested too deeply to read") from None
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, got {_kind(value)}")
    return value


def _article(record: dict[str, Any]) -> Article:
    # An explicit empty title is accepted (datasets blank titles on purpose);
    # a missing one means the record is not an article.
    if record.get("title") is None:
        raise ValueError("missing title")
    title = _string(record, "title")
    text = _first_text(record)
    date = item_date(*_first(record, DATE_FIELDS))
    record_id = record.get("id")
    if record_id is not None and (isinstance(record_id, bool) or not isinstance(record_id, int)):
        record_id = _string(record, "id")
    return Article(
        title=plain_title(title),
        text=text,
        date=date,
        url=_first(record, URL_FIELDS)[1] or None,
        source=_string(record, "source") or None,
        id="" if record_id is None else str(record_id),
    )


def _first_text(record: dict[str, Any]) -> str:
    for name in TEXT_FIELDS:
        value = _string(record, name)
        if value and value.strip():
            text = html_to_text(value) if looks_like_html(value) else normalise_text(value)
            if text:
                return text
    raise ValueError(f"missing or empty text (expected one of {', '.join(TEXT_FIELDS)})")


def _first(record: dict[str, Any], names: tuple[str, ...]) -> tuple[str, str]:
    """Return the first present, non-empty string field among ``names`` and its name."""
    for name in names:
        value = _string(record, name)
        if value and value.strip():
            return name, value.strip()
    return names[0], ""


def _string(record: dict[str, Any], name: str) -> str:
    value = record.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, got {_kind(value)}")
    return storable(value)


def _kind(value: object) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", list: "an array"}
    names |= {dict: "an object", str: "a string", type(None): "null"}
    return names.get(type(value), type(value).__name__)
