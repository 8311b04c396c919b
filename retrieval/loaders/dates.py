"""Turn the date strings found in briefings into timezone-aware UTC datetimes.

Sources disagree on formats: seed files say ``2022-04-07``, JSON exports use
ISO 8601 with or without an offset, RSS uses RFC 2822. Every result is aware
and in UTC so articles from different sources sort and compare safely; a value
with no timezone is read as UTC rather than as the machine's local time, which
would make the same file load differently on different servers. A moment that UTC cannot
hold (year 9999 behind UTC, year 1 ahead of it) is a ``DateRangeError``, not a crash.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime

from retrieval.loaders.limits import quote

_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


class DateRangeError(ValueError):
    """A well-formed date whose moment falls outside what ``datetime`` holds in UTC."""


def parse_date(value: str) -> datetime:
    """Parse a date-only, ISO 8601 or RFC 2822 string into an aware UTC datetime.

    Raises ``ValueError`` naming the value when no format fits, so loaders can
    quote it in a skip reason; ``DateRangeError`` (a ``ValueError``) when it fits
    but lies outside years 1 to 9999 once in UTC.
    """
    text = value.strip()
    if not text:
        raise ValueError("empty date")
    if _DATE_ONLY.fullmatch(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"unreadable date {quote(value)}") from None
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    parsed = _parse_iso(text) or _parse_rfc2822(text)
    if parsed is None:
        raise ValueError(f"unreadable date {quote(value)}")
    try:
        return as_utc(parsed)
    except OverflowError:
        raise DateRangeError(f"date {quote(value)} is out of range in UTC") from None


def item_date(name: str, value: str) -> datetime | None:
    """The date of field ``name`` of one item, None when blank.

    Raises ``ValueError`` with the reason an item is skipped: an unreadable date and one out
    of range are both skipped, never stored as a wrong or missing date.
    """
    if not value.strip():
        return None
    try:
        return parse_date(value)
    except DateRangeError:
        raise ValueError(f"{name} {quote(value.strip())} is out of range") from None
    except ValueError:
        raise ValueError(f"{name} {quote(value.strip())} is not a date") from None


def as_utc(moment: datetime) -> datetime:
    """Return ``moment`` in UTC, reading a naive value as already being UTC.

    Raises ``OverflowError`` when the offset moves it past year 1 or 9999.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _parse_iso(text: str) -> datetime | None:
    # Python 3.11 reads "Z", offsets, fractions and a space instead of "T".
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _parse_rfc2822(text: str) -> datetime | None:
    # Requires a day-month-year shape first: parsedate_to_datetime is lenient
    # enough to accept stray words that merely end in numbers.
    if not re.search(r"\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}", text):
        return None
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
