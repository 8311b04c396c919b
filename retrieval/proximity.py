"""Question words found together: a proximity score for adjacent pairs of a question's terms.

BM25 scores each word alone, so "prime minister", "New Zealand" or "interest rates" score the
same whether the two words stand side by side or paragraphs apart. The sequential dependence
model (Metzler and Croft, 2005) adds evidence for each pair of adjacent query terms: how often
they occur in order, next to each other (an ordered window of 1), and how often within a few
words of each other in any order (an unordered window of ``WINDOW``). Here each distinct pair
``(a, b)`` of consecutive question terms (after stopwords: "Bank of England" pairs "bank" with
"england") scores, in a passage as indexed (its article's title, then its text)::

    pair(a, b) = min(idf a, idf b) * (ORDERED * sat(ordered) + (1 - ORDERED) * sat(near))
    sat(x)     = x * (k1 + 1) / (x + k1)

where ``ordered`` counts the places ``a`` is followed at once by ``b`` and ``near`` the
places ``a`` has a ``b`` within ``WINDOW - 1`` terms either side; the pair is as telling as
the commoner of its words, and it saturates as BM25's tf part does. A passage's proximity is
the sum over the question's pairs. No length normalisation: passages are paragraph-sized
(:mod:`retrieval.chunking`). The title and the text are separate runs: no window spans the two.

:func:`proximity_reference` computes it from the analysed words with nothing remembered (the
tests' reference); :func:`proximity_of` from each passage's term positions, which are
remembered for the passages read most (``POSITION_CACHE``). How the score reorders a search's
best passages is :mod:`retrieval.rerank`.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache

from retrieval.text import Analyzer

WINDOW = 8
"""Unordered window (terms) within which two question words count as near: SDM's ``#uw8``."""
ORDERED = 0.5
"""Share of a pair's score from the words standing side by side in order (the rest: near)."""
K1 = 1.5
"""Saturation of a pair's counts, BM25's default ``k1``."""
POSITION_CACHE = 4096
"""Passages whose term positions are remembered (:func:`positions_of`): a reranked search reads
its best passages, and the passages of popular questions come back again and again."""

Positions = Mapping[str, tuple[int, ...]]


def query_pairs(terms: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """The distinct pairs of consecutive question ``terms``, in order; a word beside itself
    ("New New") is no pair."""
    pairs = [(a, b) for a, b in itertools.pairwise(terms) if a != b]
    return tuple(dict.fromkeys(pairs))


def saturated(count: float, k1: float = K1) -> float:
    """``count`` saturated as BM25's tf part: 0 at 0, rising to ``k1 + 1``."""
    return count * (k1 + 1) / (count + k1) if count > 0 else 0.0


def pair_score(ordered: int, near: int, weight: float) -> float:
    """One pair's score from its two counts and its idf ``weight``."""
    return weight * (ORDERED * saturated(ordered) + (1 - ORDERED) * saturated(near))


@lru_cache(maxsize=POSITION_CACHE)
def positions_of(title: str, text: str, analyzer: Analyzer) -> Positions:
    """Where each term stands in a passage as indexed: its ``title``'s terms, then its
    ``text``'s after a gap of ``WINDOW``, so that no window spans the two. Remembered, keyed by
    the texts themselves (never a passage id, which another store may give another text)."""
    found: dict[str, list[int]] = {}
    heading = analyzer.terms(title)
    for at, term in enumerate(heading):
        found.setdefault(term, []).append(at)
    start = len(heading) + WINDOW if heading else 0
    for at, term in enumerate(analyzer.terms(text), start):
        found.setdefault(term, []).append(at)
    return {term: tuple(places) for term, places in found.items()}


def pair_counts(first: tuple[int, ...], second: tuple[int, ...]) -> tuple[int, int]:
    """``(ordered, near)`` for a pair whose words stand at sorted positions ``first`` and
    ``second``: ``first`` places followed at once by a ``second``, and ``first`` places with
    a ``second`` within ``WINDOW - 1`` either side."""
    if not first or not second:
        return 0, 0
    after = frozenset(second)
    ordered = sum(1 for p in first if p + 1 in after)
    near = 0
    for p in first:
        i = bisect.bisect_left(second, p - WINDOW + 1)
        near += i < len(second) and second[i] <= p + WINDOW - 1
    return ordered, near


def proximity_of(
    positions: Positions, pairs: Sequence[tuple[str, str]], weights: Mapping[str, float]
) -> float:
    """A passage's proximity score from its term ``positions`` (``weights``: each term's idf)."""
    total = 0.0
    for a, b in pairs:
        first, second = positions.get(a), positions.get(b)
        if first is None or second is None:
            continue
        ordered, near = pair_counts(first, second)
        total += pair_score(ordered, near, max(min(weights[a], weights[b]), 0.0))
    return total


def proximity_reference(
    title: str,
    text: str,
    analyzer: Analyzer,
    terms: Sequence[str],
    idf: Callable[[str], float],
) -> float:
    """:func:`proximity_of` the plain way: every pair of positions compared, nothing kept."""
    heading, body = analyzer.terms(title), analyzer.terms(text)
    runs = [heading, body]
    total = 0.0
    for a, b in query_pairs(terms):
        ordered = near = 0
        for run in runs:
            for i, term in enumerate(run):
                if term != a:
                    continue
                ordered += i + 1 < len(run) and run[i + 1] == b
                near += any(run[j] == b for j in range(len(run)) if abs(i - j) < WINDOW)
        total += pair_score(ordered, near, max(min(idf(a), idf(b)), 0.0))
    return total
