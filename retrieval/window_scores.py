"""How a window is scored: the weights of its features, the features, and the bounds that let
``choose`` skip passages that cannot win.

Kept apart from :mod:`retrieval.windows` (which walks the candidate passages and chooses)
so the scoring a fast path prunes by and the one the reference ranks by are one set of
functions, and the tunable ``Weights`` sit beside the features they weigh.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from retrieval.models import Passage, Span
from retrieval.text import Analyzer
from retrieval.window_parts import Question, Sentence, passage_terms


@dataclass(frozen=True, slots=True)
class Weights:
    """How much each feature counts next to coverage (which counts 1)."""

    answer: float = 1.0
    novelty: float = 0.1
    length: float = 0.2
    lead: float = 0.2
    novelty_words: int = 12  # novel content words at which novelty saturates

    def __post_init__(self) -> None:
        # A feature counting against a window could rank a window without a query word
        # above every one with them, and would void the bounds ``choose`` prunes by.
        if min(self.answer, self.novelty, self.length, self.lead) < 0:
            raise ValueError(f"window weights must not be negative: {self}")
        if self.novelty_words < 1:
            raise ValueError(f"novelty_words must be at least 1, got {self.novelty_words}")


WEIGHTS = Weights()


# Coverage sums the same idfs in another order over a passage than over a window, which may
# round the other way: a bound is trusted only this far below the best value.
SLACK = 1e-9


def coverage_of(passage: Passage, ask: Question, analyzer: Analyzer) -> float | None:
    """The coverage of the query terms ``passage`` holds; ``None`` when it holds none."""
    return share_of(passage_terms(passage.text, analyzer), ask)


def share_of(terms: Collection[str], ask: Question) -> float | None:
    """The coverage of the query terms among ``terms``; ``None`` when there are none."""
    matched = ask.weights.keys() & terms
    if not matched:
        return None
    return sum(max(ask.weights[t], 0.0) for t in matched) / ask.total


def bound_of(passage: Passage, coverage: float, max_chars: int, tuning: Weights) -> float:
    """The most a window of ``passage`` can score when the passage's coverage is ``coverage``.

    A window's terms are among its passage's, so its coverage is at most the passage's; it
    is no longer than the passage, and every other feature is at most its weight.
    """
    length = min(len(passage.text), max_chars) / max_chars
    lead = tuning.lead / (1 + passage.ordinal)
    return coverage + tuning.answer + tuning.novelty + tuning.length * length + lead + SLACK


def value_of(
    span: Span, parts: list[Sentence], ask: Question, max_chars: int, tuning: Weights
) -> float:
    """The weighted features of one window; a window without a query term scores 0."""
    features = features_of(span, parts, ask, max_chars, tuning)
    if features is None:
        return 0.0
    return total_of(features, any(part.answers for part in parts), tuning)


def features_of(
    span: Span, parts: list[Sentence], ask: Question, max_chars: int, tuning: Weights
) -> tuple[float, float, float] | None:
    """Coverage, novelty and length of one window; ``None`` when it holds no query term."""
    terms = frozenset().union(*(part.terms for part in parts))
    matched = terms & ask.weights.keys()
    if not matched:
        return None
    coverage = sum(max(ask.weights[t], 0.0) for t in matched) / ask.total
    novelty = min(len(terms) - len(matched), tuning.novelty_words) / tuning.novelty_words
    return coverage, novelty, (span.end - span.start) / max_chars


def total_of(features: tuple[float, float, float], answer: bool, tuning: Weights) -> float:
    """The weighted sum of a window's features (coverage counts 1)."""
    coverage, novelty, length = features
    return coverage + tuning.answer * answer + tuning.novelty * novelty + tuning.length * length
