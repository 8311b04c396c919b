"""When a search happens: the passages it may return, and a soft preference for recent news.

A search has a "today" (``as_of``): briefings published after it are never returned. With no
date in the question, a recency prior multiplies each dated passage's BM25 score by

    1 + weight * 2 ** (-age_days / half_life_days)

so a briefing published today scores up to ``1 + weight`` times its text's score, one a
half-life old ``1 + weight/2``, and an old one about 1: a recent story outranks an older one of
similar relevance, while an old article that alone holds the question's words keeps its
score and still comes first over recent ones that do not match. An undated passage keeps
its score (factor 1): neither boosted nor buried, exactly as before the prior existed. A date
range from the question (``since``/``until``) keeps the dated passages inside it and the
undated ones: nothing says they lie outside it, and their citations say "date unknown".
A range the question only prefers (:mod:`retrieval.date_intent`: "last week") hides nothing:
the dated passages inside it get a further factor ``1 + prefer_weight``, the rest keep theirs.

Dates are whole seconds since the epoch (UTC), one per passage: :data:`UNDATED` marks a
passage whose article has none. :class:`DateWindow` carries them with one search's bounds
into the top-k sweep (:mod:`retrieval.topk`), which scores a passage with the prior only
when its plain score could still enter the top k: the prior costs nothing per posting.
:func:`factors` is the exhaustive reference the sweep is tested against, computed by the
same compiled function, so both give the same bits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from retrieval.jit import compiled
from retrieval.segments import Floats, Int64s

UNDATED = int(np.iinfo(np.int64).min)
"""The stamp of a passage whose article has no date."""
DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class Recency:
    """How strongly recent briefings are preferred; ``half_life_days`` 0 turns the prior off."""

    half_life_days: float = 0.0
    weight: float = 0.0

    def __post_init__(self) -> None:
        numbers = (self.half_life_days, self.weight)
        if not all(isinstance(x, int | float) and np.isfinite(x) and x >= 0 for x in numbers):
            raise ValueError("recency half-life and weight must be finite numbers >= 0")

    @property
    def on(self) -> bool:
        """Whether the prior changes any score."""
        return self.half_life_days > 0 and self.weight > 0


RECENCY = Recency(half_life_days=14.0, weight=0.6)
"""The default preference, chosen on rtqa_news_2024 (``bench/quality.py``)."""


@dataclass(frozen=True, slots=True)
class DateWindow:
    """One search's view of time: per-passage stamps, the allowed range, and the prior.

    A passage is searchable when it is undated and ``dated_only`` is false, or when its stamp
    lies in ``[low, high]`` (inclusive seconds). ``half_life`` is in seconds; 0 means no prior.
    A searchable passage dated within ``[prefer_low, prefer_high]`` has its factor multiplied
    by ``1 + prefer_weight``: a preferred range, which hides nothing.
    """

    stamps: Int64s
    low: int
    high: int
    dated_only: bool = False
    weight: float = 0.0
    half_life: float = 0.0
    as_of: int = 0
    prefer_low: int = 0
    prefer_high: int = -1
    prefer_weight: float = 0.0

    @property
    def top(self) -> float:
        """The largest factor any passage can get: a bound the sweep prunes with.

        Computed as :func:`factor` computes a factor (the prior's part, then times the
        preference's), so rounding keeps every factor at or below it.
        """
        prior = 1.0 + self.weight if self.half_life > 0 and self.weight > 0 else 1.0
        return prior * (1.0 + self.prefer_weight) if self.prefer_weight > 0 else prior


def stamp(moment: datetime | None) -> int:
    """Whole seconds since the epoch of an aware (or UTC-naive) datetime; UNDATED for None."""
    if moment is None:
        return UNDATED
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(np.floor(moment.timestamp()))


def stamps_of(dates: Sequence[datetime | None], counts: Sequence[int] | Int64s) -> Int64s:
    """Per-passage stamps from each article's date and passage count, in passage id order."""
    per_article = np.array([stamp(d) for d in dates], dtype=np.int64)
    return np.repeat(per_article, np.asarray(counts, dtype=np.int64))


def window(
    stamps: Int64s,
    as_of: datetime,
    recency: Recency,
    since: datetime | None = None,
    until: datetime | None = None,
) -> DateWindow:
    """The window of a search at ``as_of`` within ``[since, until)``; no prior with a range.

    A question that names its dates has said which time it wants: preferring recent passages
    inside that range would second-guess it, so the prior is off there.
    """
    ranged = since is not None or until is not None
    high = stamp(as_of)
    if until is not None:
        high = min(high, stamp(until) - 1)
    low = UNDATED + 1 if since is None else stamp(since)
    prior = recency.on and not ranged
    return DateWindow(
        stamps,
        low,
        high,
        dated_only=False,
        weight=recency.weight if prior else 0.0,
        half_life=recency.half_life_days * DAY if prior else 0.0,
        as_of=stamp(as_of),
    )


def preferring(
    dates: DateWindow, since: datetime | None, until: datetime | None, weight: float
) -> DateWindow:
    """``dates`` with ``[since, until)`` preferred by ``1 + weight`` rather than kept to."""
    low = UNDATED + 1 if since is None else stamp(since)
    high = int(np.iinfo(np.int64).max) if until is None else stamp(until) - 1
    return replace(dates, prefer_low=low, prefer_high=high, prefer_weight=float(weight))


def as_tuple(d: DateWindow) -> tuple[Any, int, int, bool, float, float, int, int, int, float]:
    """A window as the compiled functions' plain arguments (numba takes no dataclass)."""
    return (d.stamps, d.low, d.high, d.dated_only, d.weight, d.half_life, d.as_of,
            d.prefer_low, d.prefer_high, d.prefer_weight)  # fmt: skip


def factors(dates: DateWindow) -> Floats:
    """Every passage's factor (0 where the window hides it): the exhaustive reference."""
    out: Floats = _factors(*as_tuple(dates))
    return out


def factor(
    stamp: int,
    low: int,
    high: int,
    dated_only: bool,
    weight: float,
    half_life: float,
    now: int,
    prefer_low: int,
    prefer_high: int,
    prefer_weight: float,
) -> float:
    """One passage's factor: 0 outside the window, 1 undated or with no prior, else the prior;
    times ``1 + prefer_weight`` when dated within the preferred range."""
    if stamp == UNDATED:
        return 0.0 if dated_only else 1.0
    if stamp < low or stamp > high:
        return 0.0
    out = 1.0
    if half_life > 0.0:
        age = max(now - stamp, 0)
        out = 1.0 + weight * float(np.exp2(-age / half_life))
    if prefer_weight > 0.0 and prefer_low <= stamp <= prefer_high:
        out *= 1.0 + prefer_weight
    return out


def _all_factors(
    stamps: Any,
    low: int,
    high: int,
    dated_only: bool,
    weight: float,
    half_life: float,
    now: int,
    prefer_low: int,
    prefer_high: int,
    prefer_weight: float,
) -> Any:
    """`factor` of every stamp."""
    out = np.empty(stamps.shape[0])
    for i in range(stamps.shape[0]):
        out[i] = factor(
            stamps[i], low, high, dated_only, weight, half_life, now,
            prefer_low, prefer_high, prefer_weight,
        )  # fmt: skip
    return out


# nogil like the sweep that calls it; one compiled factor for the sweep and the reference.
factor = compiled(factor)
_factors = compiled(_all_factors)
