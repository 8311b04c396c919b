"""Turn the date strings found in briefings into timezone-aware UTC datetimes.

Sources disagree on formats: seed files say ``2022-04-07``, JSON exports use
ISO 8601 with or without an offset, RSS uses RFC 2822. Every result is aware
and in UTC so articles from different sources sort and compare safely; a value
with no timezone is read as UTC rather than as the machine's local time, which
would make the same file load differently on different servers.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime

_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(value: str) -> datetime:
    """Parse a date-only, ISO 8601 or RFC 2822 string into an aware UTC datetime.

    Raises ``ValueError`` naming the value when no format fits, so loaders can
    quote it in a skip reason.
    """
    text = value.strip()
    if not text:
        raise ValueError("empty date")
    if _DATE_ONLY.fullmatch(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"unreadable date {value!r}") from None
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    parsed = _parse_iso(text) or _parse_rfc2822(text)
    if parsed is None:
        raise ValueError(f"unreadable date {value!r}")
    return as_utc(parsed)


def as_utc(moment: datetime) -> datetime:
    """Return ``moment`` in UTC, reading a naive value as already being UTC."""
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
    except (TypeError, ValueError, IndexError):
        return None
