"""What kind of answer a question asks for, and where text holds a candidate of that kind.

No model and nothing to download: the kind comes from the question word ("who", "when", "how
many") or from the noun after "which"/"what"/"this" ("which country", "what year"); a
candidate is found by its shape: a run of capitalised words for names and places, a month,
weekday, year or clock time for dates, digits or number words for amounts. A candidate only
counts when its words are not in the question, because a sentence that repeats the question's
own names ("The 7.0-magnitude quake hit northern Luzon") has not answered it.

Question words are English; for another language ``question_kind`` sees no question word and
says ``None``, and only the shape of names, numbers and years is used, which is still sound.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from enum import Enum
from functools import lru_cache

from retrieval.models import Span


class Kind(Enum):
    """The kind of answer a question asks for."""

    NAME = "name"  # who; which person, company, country, team...: a capitalised name
    DATE = "date"  # when; what year, which day
    NUMBER = "number"  # how many, how much, what percentage
    THING = "thing"  # which/what X of any other kind: a name or a noun phrase not asked about


_TIME_NOUNS = frozenset(
    re.findall(r"\w+", "year years day days date month months decade century time")
)
_NUMBER_NOUNS = frozenset(
    re.findall(
        r"\w+",
        "percentage percent proportion share number amount age price cost sum total figure fine"
        " rate score temperature height distance size",
    )
)
_RECENT = frozenset(re.findall(r"\w+", "week weekend morning afternoon evening summer spring"))
# "how long" asks for a duration and "how old" for an age: both are numbers.
_HOW_NUMBER = frozenset(
    re.findall(r"\w+", "many much long old far big large tall high often fast deep")
)
_WH = re.compile(r"\b(who|whom|whose|when|where|which|what|how|this|these)\b\W*(\w+)?", re.I)

MONTHS = (
    "january february march april may june july august september october november december"
    " jan feb mar apr jun jul aug sep sept oct nov dec"
)
WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday"
_MONTH = "|".join(month.capitalize() for month in MONTHS.split())
_WEEKDAY = "|".join(day.capitalize() for day in WEEKDAYS.split())
# Months and weekdays only capitalised, so "may" the verb is no date.
_DATE = re.compile(
    rf"\b(?:(?:{_MONTH})\.?(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?(?:,?\s+\d{{4}})?\b"
    rf"|(?:{_WEEKDAY})\b"
    r"|(?:1[89]|20)\d\ds?\b"
    r"|\d{1,2}(?::\d\d)?\s?(?:a\.m\.|p\.m\.|(?i:am|pm)\b)"
    r"|(?i:yesterday|today|tonight|tomorrow|(?:last|next|this)\s+(?:week|month|year|weekend))\b)"
)
_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen"
    " sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety"
    " hundred hundreds thousand thousands million millions billion billions trillion dozen dozens"
    " half quarter"
)
_NUMBER = re.compile(
    r"[$£€¥]?\d+(?:[.,]\d+)*(?:\s?%|\s?(?:percent|million|billion|trillion|bn|m|k)\b)?"
    rf"|\b(?:{'|'.join(_NUMBER_WORDS.split())})\b",
    re.I,
)
_YEAR = re.compile(r"(?:1[89]|20)\d\d")
# A word: letters or digits, then more with inner apostrophes, hyphens, "&" or dots ("U.S").
_WORD = re.compile(r"[^\W_][\w'’&-]*(?:\.[^\W_][\w'’&-]*)*")
# A word that may be capitalised: not inside another word, not starting with a digit or an
# ASCII lowercase letter (most words, skipped by the regex engine itself); ``names`` then
# checks the first letter is really uppercase.
CAPITAL_PLAIN = r"(?<![\w'’&.-])[^\W\d_a-z][\w'’&-]*(?:\.[^\W_][\w'’&-]*)*"
# The same pattern, written so the regex engine can skip to the next uppercase ASCII or
# non-ASCII character instead of trying the lookbehind at every position: the first
# character is one of those, then the lookbehinds check it is a word character other than
# a digit, "_" or lowercase ASCII, and that no word character, apostrophe, "&", "." or "-"
# precedes it. About
# half the time of finding names in a sentence; the tests check both find the same spans.
_CAPITAL = re.compile(
    r"[A-Z\u0080-\U0010ffff](?<=[^\W\d_a-z])(?<![\w'’&.-].)[\w'’&-]*(?:\.[^\W_][\w'’&-]*)*"
)


@lru_cache(maxsize=256)  # a page of hits asks the same question of every hit
def question_kind(question: str) -> Kind | None:
    """The kind of answer ``question`` asks for, or ``None`` when no question word says.

    The last question word wins where there are several ("The quake hit the north. Which
    country was shaken?"), since quiz questions put the actual question last. "This" and
    "these" stand for the question word only where there is none ("This artist is the first
    to...") and never before a time ("this week").
    """
    found = [m for m in _WH.finditer(question) if m.group(1).lower() not in ("this", "these")]
    if not found:
        found = [
            m
            for m in _WH.finditer(question)
            if (m.group(2) or "").lower() not in _TIME_NOUNS | _RECENT
        ]
    if not found:
        return None
    match = found[-1]
    word, after = match.group(1).lower(), (match.group(2) or "").lower()
    if word in ("who", "whom", "whose", "where"):
        return Kind.NAME
    if word == "when":
        return Kind.DATE
    if word == "how":
        return Kind.NUMBER if after in _HOW_NUMBER else None
    # which / what / this / these, typed by the noun that follows when there is one
    if after in _TIME_NOUNS:
        return Kind.DATE
    if after in _NUMBER_NOUNS:
        return Kind.NUMBER
    return Kind.THING


def candidates(
    text: str, kind: Kind | None, asked: Collection[str], stopwords: Collection[str]
) -> list[Span]:
    """Spans of ``text`` that could answer a question of ``kind``, none of it already asked.

    ``asked`` holds the question's words casefolded; a candidate none of whose words is new
    (a name or a number the question already gives) is no answer. Names are runs of
    capitalised words; a lone capitalised word opening the text is skipped, since every
    sentence starts with one.
    """
    if kind is Kind.DATE:
        return [s for s in _spans(_DATE, text) if _new(s.slice(text), asked)]
    if kind is Kind.NUMBER:
        return [
            s
            for s in _spans(_NUMBER, text)
            if not _YEAR.fullmatch(s.slice(text)) and _new(s.slice(text), asked)
        ]
    return names(text, asked, stopwords)


def names(text: str, asked: Collection[str], stopwords: Collection[str]) -> list[Span]:
    """Runs of capitalised words in ``text`` holding at least one word not in ``asked``.

    Words joined by spaces, " of " or " de " make one run ("Bank of England"), and so does an
    initial ("John F. Kennedy"); a lowercase word or any other punctuation between them ends
    it, and so does a capitalised stopword ("The").
    """
    runs: list[list[re.Match[str]]] = []
    previous_end = -1
    for match in _CAPITAL.finditer(text):
        word = match.group()
        if not word[0].isupper() or word.casefold() in stopwords:
            previous_end = -1
            continue
        gap = text[previous_end : match.start()] if previous_end >= 0 else None
        initial = previous_end - runs[-1][-1].start() == 1 if runs else False
        if gap is not None and (
            gap.isspace() or gap in (" of ", " de ") or (initial and gap == ". ")
        ):
            runs[-1].append(match)
        else:
            runs.append([match])
        previous_end = match.end()
    opening = _first_word(text)
    spans = []
    for run in runs:
        if run[0].start() == opening and len(run) == 1:
            continue
        words = [m.group().strip(".'’-").casefold() for m in run]
        if any(w and w not in asked for w in words):
            spans.append(Span(run[0].start(), run[-1].end()))
    return spans


def _first_word(text: str) -> int:
    """Offset of the first word of ``text`` (its length when there is none)."""
    match = _WORD.search(text)
    return len(text) if match is None else match.start()


def _spans(pattern: re.Pattern[str], text: str) -> list[Span]:
    """Non-empty match spans of ``pattern`` in ``text``."""
    return [Span(m.start(), m.end()) for m in pattern.finditer(text) if m.end() > m.start()]


def _new(found: str, asked: Collection[str]) -> bool:
    """Whether ``found`` holds a word or number the question does not."""
    parts = re.findall(r"[^\W_]+", found.casefold())
    return any(part not in asked for part in parts)


@lru_cache(maxsize=256)
def asked_words(question: str) -> frozenset[str]:
    """The question's words casefolded, plus each with a trailing possessive "s" dropped."""
    words = re.findall(r"[^\W_]+", question.casefold())
    return frozenset(words) | frozenset(w[:-1] for w in words if w.endswith("s") and len(w) > 3)
