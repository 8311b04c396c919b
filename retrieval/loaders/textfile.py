"""Load one briefing written in the seed text format (``.txt`` / ``.md``).

The format is what a person would type::

    ---
    date: 2022-04-07
    url: https://example.org/story
    source: RFE/RL
    ---
    Title on the first non-empty line

    First paragraph.

    Second paragraph.

Front matter is optional and so is each key in it (``date``, ``url``,
``source``, ``id``, ``title``); other keys are ignored so files written for
other tools still load. A ``title`` key replaces the first-line title; the
first line is then only dropped when it repeats that title. NULs are dropped and lone
surrogates replaced on the way in (``storable``), so what is stored reads back the same.
"""

from __future__ import annotations

import re

from retrieval.loaders.dates import item_date
from retrieval.loaders.limits import quote, storable
from retrieval.models import Article, LoadReport, Skipped

_FENCE = "---"
_KEY = re.compile(r"([A-Za-z_][\w-]*)\s*:\s*(.*)")
_HEADING = re.compile(r"#+\s+")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def decode_text(data: bytes) -> str:
    """Decode file bytes as UTF-8 (a leading byte-order mark is dropped).

    Raises ``ValueError`` with a reason that says where decoding failed.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        bad = data[error.start : error.start + 1].hex()
        raise ValueError(f"not UTF-8 text (byte 0x{bad} at offset {error.start})") from None


def load_text(text: str, source: str) -> LoadReport:
    """Read one seed-format article; a malformed file becomes one ``Skipped``."""
    try:
        article = _parse(text)
    except ValueError as error:
        return LoadReport(skipped=(Skipped(source, "", str(error)),))
    return LoadReport(articles=(article,))


def _parse(text: str) -> Article:
    text = storable(text).replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    if not text.strip():
        raise ValueError("empty file")
    meta, body = _split_front_matter(text)
    lines = [line.rstrip() for line in body.split("\n")]
    title = _clean_title(meta.get("title", ""))
    first = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    if not title:
        if first == len(lines):
            raise ValueError("no title: the file has front matter only")
        title = _clean_title(lines[first])
        lines = lines[first + 1 :]
    elif first < len(lines) and _clean_title(lines[first]) == title:
        lines = lines[first + 1 :]
    paragraphs = [p.strip("\n") for p in _PARAGRAPH_BREAK.split("\n".join(lines))]
    body_text = "\n\n".join(p for p in paragraphs if p.strip())
    if not body_text:
        raise ValueError(f"title {quote(title)} but no body text")
    return Article(
        title=title,
        text=body_text,
        date=item_date("front matter date", meta.get("date", "")),
        url=meta.get("url") or None,
        source=meta.get("source") or None,
        id=meta.get("id", ""),
    )


def _split_front_matter(text: str) -> tuple[dict[str, str], str]:
    lines = text.split("\n")
    if lines[0].strip() != _FENCE:
        return {}, text
    meta: dict[str, str] = {}
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() == _FENCE:
            return meta, "\n".join(lines[number:])
        if not line.strip():
            continue
        match = _KEY.fullmatch(line.strip())
        if match is None:
            raise ValueError(
                f"front matter line {number} is not 'key: value': {quote(line.strip())}"
            )
        meta[match.group(1).lower()] = _unquote(match.group(2).strip())
    raise ValueError("front matter starts with '---' but is never closed")


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _clean_title(line: str) -> str:
    # A Markdown heading marker is layout, not part of the title.
    return _HEADING.sub("", line.strip(), count=1).strip()
