"""Source status in plain words: how often a source is polled and how long ago it last was.

``retrieval`` keeps the status as data (seconds, datetimes); what a reader is shown is UI
wording, so it lives here, beside the renderers that use it.
"""

from __future__ import annotations

from datetime import datetime


def every_words(every: float) -> str:
    """A poll interval in plain words: "every 15 min", "at start only"."""
    if every <= 0:
        return "at start only"
    return f"every {_span(every)}"


def ago_words(moment: datetime | None, now: datetime) -> str:
    """How long ago ``moment`` was, in plain words: "3 min ago", "never"."""
    if moment is None:
        return "never"
    seconds = (now - moment).total_seconds()
    return "just now" if seconds < 1 else f"{_span(seconds)} ago"


def _span(seconds: float) -> str:
    # Whole minutes and seconds; hours and days to a tenth ("1.5 h").
    for unit, size, digits in (("day", 86400, 1), ("h", 3600, 1), ("min", 60, 0)):
        if seconds >= size:
            count = round(seconds / size, digits)
            number = f"{count:g}"
            return f"{number} {unit}s" if unit == "day" and count != 1 else f"{number} {unit}"
    return f"{seconds:.0f} s"
