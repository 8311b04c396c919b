"""Date strings from every source become aware UTC datetimes, or a clear error."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from retrieval.loaders import parse_date


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2022-04-07", datetime(2022, 4, 7, tzinfo=UTC)),
        ("  2022-04-07\n", datetime(2022, 4, 7, tzinfo=UTC)),
        ("2022-04-07T10:30:00", datetime(2022, 4, 7, 10, 30, tzinfo=UTC)),
        ("2022-04-07 10:30", datetime(2022, 4, 7, 10, 30, tzinfo=UTC)),
        ("2022-04-07T10:30:00Z", datetime(2022, 4, 7, 10, 30, tzinfo=UTC)),
        ("2022-04-07T10:30:00+02:00", datetime(2022, 4, 7, 8, 30, tzinfo=UTC)),
        ("2022-04-07T10:30:00.250-05:00", datetime(2022, 4, 7, 15, 30, 0, 250000, tzinfo=UTC)),
        ("Thu, 07 Apr 2022 10:30:00 GMT", datetime(2022, 4, 7, 10, 30, tzinfo=UTC)),
        ("Thu, 07 Apr 2022 10:30:00 +0200", datetime(2022, 4, 7, 8, 30, tzinfo=UTC)),
        ("7 Apr 2022 10:30 -0000", datetime(2022, 4, 7, 10, 30, tzinfo=UTC)),
    ],
    ids=[
        "date-only",
        "padded",
        "iso-naive",
        "iso-space",
        "iso-z",
        "iso-offset",
        "iso-fraction",
        "rfc2822-gmt",
        "rfc2822-offset",
        "rfc2822-unknown-zone",
    ],
)
def test_parse_date(value: str, expected: datetime) -> None:
    """Each supported format parses to the same instant, expressed in UTC."""
    parsed = parse_date(value)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "value",
    ["", "yesterday", "2022-13-01", "2022-02-30", "Thu, 32 Apr 2022 10:00:00 GMT", "12", "1 2 3"],
    ids=["empty", "word", "month-13", "feb-30", "day-32", "number", "digits"],
)
def test_unreadable_date_raises_value_error(value: str) -> None:
    """A value no format fits raises ValueError instead of guessing."""
    with pytest.raises(ValueError, match="date"):
        parse_date(value)
