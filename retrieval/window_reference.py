"""The excerpt chosen the plain way: every window of every candidate passage scored.

Kept apart from :mod:`retrieval.windows` because this is the reference its fast ``choose``
must equal, not a path a search takes: ``tests/retrieval/test_windows_fast.py`` checks both
quote the same window, ``bench.excerpts`` swaps one for the other to compare them, and its
``--misses`` lists every window with its score (:func:`every_window`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass

from retrieval.models import Passage, Span
from retrieval.text import Analyzer
from retrieval.window_parts import ask_about, sentences_of, windows_of
from retrieval.window_scores import WEIGHTS, Weights, value_of
from retrieval.windows import MAX_CHARS, Choice, choice_of


def choose_reference(
    question: str,
    passages: Sequence[Passage],
    weights: Mapping[str, float],
    analyzer: Analyzer,
    *,
    max_chars: int = MAX_CHARS,
    tuning: Weights = WEIGHTS,
    holds: Sequence[Collection[str]] | None = None,
) -> Choice:
    """:func:`retrieval.windows.choose` the plain way, scoring every window: what the tests
    compare it with.

    ``holds`` is taken so it can stand in for ``choose`` (``bench.excerpts`` swaps
    them) and is not needed: every passage is read.
    """
    del holds  # every passage is read, so what it may hold does not matter
    best: Scored | None = None
    for window in every_window(
        question, passages, weights, analyzer, max_chars=max_chars, tuning=tuning
    ):
        if best is None or window.value > best.value:
            best = window
    if best is None:  # unreachable: every passage, even an empty one, yields a window
        raise AssertionError("no window to choose from")
    return choice_of(best.passage, best.span, best.cut, weights, analyzer)


@dataclass(frozen=True, slots=True)
class Scored:
    """One window as :func:`every_window` scores it, with the answer candidates it holds."""

    value: float
    passage: Passage
    span: Span
    cut: tuple[bool, bool]
    answers: tuple[Span, ...]


def every_window(
    question: str,
    passages: Sequence[Passage],
    weights: Mapping[str, float],
    analyzer: Analyzer,
    *,
    max_chars: int = MAX_CHARS,
    tuning: Weights = WEIGHTS,
) -> Iterator[Scored]:
    """Every window of ``passages`` in order, scored (what ``bench.excerpts --misses`` shows)."""
    ask = ask_about(question, passages, weights, max_chars)
    for passage in passages:
        sentences = sentences_of(passage.text, ask, analyzer)
        lead = tuning.lead / (1 + passage.ordinal)
        for span, cut, parts, _ in windows_of(passage.text, sentences, ask, analyzer, max_chars):
            value = value_of(span, parts, ask, max_chars, tuning)
            value += lead if value else 0.0
            answers = tuple(a for part in parts for a in part.answers)
            yield Scored(value, passage, span, cut, answers)
