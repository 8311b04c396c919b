"""How a polled source is doing, in numbers and words: back-off after failures, and reasons.

Kept apart from :mod:`retrieval.sources` (which polls) because these are pure rules read by
more than the poller: how long a failing source waits (the bot's health check asks whether a
source is :func:`past_cap`), and how an error or a skip becomes the one short line a status
shows.
"""

from __future__ import annotations

from retrieval.errors import SourceError
from retrieval.models import IngestSummary

MIN_RETRY = 60.0
"""Shortest wait after a failure, even for a source polled more often: a broken server
should not be asked again every few seconds."""

MAX_RETRY = 6 * 3600.0
"""Longest wait after repeated failures: a source that comes back is picked up within hours."""


def backoff(every: float, failures: int) -> float:
    """Seconds to wait before the next poll: ``every`` when healthy, doubling per failure."""
    if failures <= 0:
        return every
    return min(max(every, MIN_RETRY) * 2.0 ** (failures - 1), MAX_RETRY)


def past_cap(every: float, failures: int) -> bool:
    """Whether a source has failed so often that its back-off reached ``MAX_RETRY``."""
    return failures > 0 and backoff(every, failures) >= MAX_RETRY


SKIPPED_CHARS = 300
"""How much of a skip reason the status keeps: enough to find the item, never a whole file."""


def last_skipped(summary: IngestSummary, location: str) -> str | None:
    """The last skip of a read in one line ("and N more" when there were others), or None.

    The location itself is left out (the status already shows it); a file of a folder is not.
    """
    if not summary.skipped:
        return None
    last = summary.skipped[-1]
    if last.source == location.strip():
        text = f"{last.where}: {last.reason}" if last.where else last.reason
    else:
        text = str(last)
    if len(text) > SKIPPED_CHARS:
        text = text[: SKIPPED_CHARS - 1] + "…"
    more = len(summary.skipped) - 1
    return f"{text} (and {more} more)" if more else text


def plain_reason(location: str, error: BaseException) -> str:
    """The error's message without the location in front: the status table already shows it."""
    message = str(error) if isinstance(error, SourceError) else _os_reason(error)
    stripped = location.strip()
    for prefix in (f"{stripped}: ", f"{stripped} is ", f"{stripped} "):
        if message.startswith(prefix) and len(message) > len(prefix):
            return message[len(prefix) :]
    return message


def _os_reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return f"cannot read it: {error.strerror}"
    if not isinstance(error, OSError):
        return f"cannot read it: unexpected {type(error).__name__} (see the log)"
    return f"cannot read it: {error}"
