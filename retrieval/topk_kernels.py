"""The top-k sweep of :mod:`retrieval.topk`, compiled: one segment's postings scored window
by window into a heap of the ``k`` best.

Kept apart from :mod:`retrieval.topk` (the tie rule, the query's terms, the segment's
inputs, the warm-up) because this is the numba code: plain loops over plain arrays and
tuples (numba takes no dataclass), compiled once per dtype and cached on disk
(:mod:`retrieval.jit`).

The sweep (:func:`_sweep`):

1. Documents are cut into windows of ``WINDOW`` ids. For each window, every query term
   adds ``weight * tf_part`` for its postings in that window to a window-sized
   accumulator (32 KB, it stays in the L1 cache), terms in the query's canonical order:
   each score is then the very sum the exhaustive path computes, to the bit.
2. Document norms come from a table indexed by document length (``lengths`` holds one
   byte per document when lengths fit): an 8 MB float64 array per million passages
   missed the cache on nearly every posting and made the sweep three times slower.
3. A per-document bonus given as ranges of ids (the title field, :mod:`retrieval.titles`:
   one constant per article, whose passages are consecutive) is added to the window
   after every term, as the exhaustive path adds it after the terms' sum.
4. The window is scanned against the heap's worst score, so the compare is almost always
   false (a predictable branch); a heap of the k best keeps the tie rule, and documents
   come in id order, so a later equal score never displaces an earlier one. Before the
   scan, a branch-free count of the scores that could enter (vector compares) skips a
   window with none: at 1M passages, top-10, 37 of 245 windows are then scanned, and the
   sweep takes about 0.2 ms less (1.3 to 1.1 ms, CPU time, 300 questions).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from retrieval.coverage_kernels import covered_score
from retrieval.jit import compiled
from retrieval.recency import DateWindow, as_tuple, factor

When = tuple[Any, int, int, bool, float, float, int, int, int, float, float]


def when_of(d: DateWindow) -> When:
    """A date window as the kernel's plain tuple (numba takes no dataclass), then its top."""
    return (*as_tuple(d), d.top)


NO_DATES: When = (np.zeros(0, dtype=np.int64), 0, 0, False, 0.0, 0.0, 0, 0, -1, 0.0, 1.0)

Cover = tuple[Any, float]
NO_COVER: Cover = (np.zeros(0), 0.0)
"""Each query term's share of the question (:mod:`retrieval.coverage`) and ``alpha``; off."""

# Documents per window: the float64 accumulator (32 KB) fits the L1 data cache. Measured
# at 1M passages: 4096 p50 1.8 ms, 8192 2.5 ms, 32768 2.6 ms (2048 about as 4096).
WINDOW = 4096


def _sweep(
    postings: tuple[Any, Any, Any, Any],
    weights: Any,
    lengths: Any,
    norm_table: Any,
    k1: float,
    k: int,
    floor: float,
    when: When,
    ranges: tuple[Any, Any, Any],
    cover: Cover,
) -> tuple[Any, Any, Any, Any]:
    """The kernel of the module docstring; terms are indexed in canonical order.

    With dates (``when`` of :func:`when_of`, its stamps non-empty), a score that could enter
    the heap even at the largest factor ``top`` is multiplied by its passage's factor, 0
    outside the window: exactly ``scores * recency.factors``, read only for candidates.
    ``top`` includes a preferred range's boost, so the bound stays exact under a preference.

    With coverage (``cover``'s ``alpha`` above 0) each posting also adds its term's share to
    a window of shares, the bonus goes to a window of its own, and a candidate scores
    ``coverage_kernels.covered_score`` of the three (never more than their plain sum, the
    bound the scan tests). A second heap then keeps the ``k`` best plain scores (words plus
    bonus, times the date factor), what the decline rule reads; its ids and scores are
    returned besides (empty without coverage). It misses none: a document the bound skips
    has a plain score below the covered heap's worst, which is at most the final ``k``-th
    covered score, itself at most the ``k``-th plain score.
    """
    docs, tfs, starts, ends = postings
    stamps, low_date, high_date, dated_only, prior, half_life, now = when[:7]
    prefer_low, prefer_high, prefer_weight, top = when[7:]
    dated = stamps.shape[0] > 0
    range_starts, range_ends, range_values = ranges
    masses, alpha = cover
    covering = alpha > 0.0
    next_range = 0
    cursor = starts.copy()
    acc = np.zeros(WINDOW)
    held = np.zeros(WINDOW if covering else 0)
    extra = np.zeros(WINDOW) if covering else acc  # the bonus's window: acc itself when off
    heap_scores, heap_docs = np.zeros(k), np.zeros(k, dtype=np.int64)
    # With coverage, a second heap: the k best plain scores (see the docstring).
    plain_scores = np.zeros(k if covering else 0)
    plain_docs = np.zeros(k if covering else 0, dtype=np.int64)
    size = plain_size = 0
    saturation = k1 + 1
    n_docs = lengths.shape[0]
    for first in range(0, n_docs, WINDOW):
        stop = first + WINDOW
        touched = False
        for t in range(starts.shape[0]):
            at, end, weight = cursor[t], ends[t], weights[t]
            if covering:  # the same sum, and each document's share of the question
                mass = masses[t]
                while at < end and docs[at] < stop:
                    doc = docs[at]
                    tf = np.float64(tfs[at])
                    acc[doc - first] += weight * (tf * saturation / (tf + norm_table[lengths[doc]]))
                    held[doc - first] += mass
                    at += 1
            while at < end and docs[at] < stop:
                doc = docs[at]
                tf = np.float64(tfs[at])
                acc[doc - first] += weight * (tf * saturation / (tf + norm_table[lengths[doc]]))
                at += 1
            touched = touched or at != cursor[t]
            cursor[t] = at
        # Bonus ranges after every term: a range may run on into the next window.
        r = next_range
        while r < range_starts.shape[0] and range_starts[r] < stop:
            lo = max(range_starts[r], first) - first
            hi = min(range_ends[r], stop) - first
            for slot in range(lo, hi):
                extra[slot] += range_values[r]
            touched = touched or hi > lo
            if range_ends[r] > stop:
                break
            r += 1
        next_range = r
        if not touched:
            continue
        # Smallest score that can enter: floor (but > 0) until the heap is full.
        low = max(floor, 5e-324) if size < k else heap_scores[0]
        width = min(WINDOW, n_docs - first)
        # Once the heap is full, most windows hold no score that can enter: a vector count
        # proves it in a fifth of the scan's time. Not under a prior (top > 1), whose bound
        # lets a few candidates into nearly every window (245 of 245 at 1M passages).
        # With coverage the bound is words plus bonus, two windows: counted only with no bonus.
        alone = not covering or range_starts.shape[0] == 0
        if top == 1.0 and alone and _reaching(acc, width, top, low) == 0:
            acc[:width] = 0.0
            held[: width if covering else 0] = 0.0
            continue
        for slot in range(width):
            score = acc[slot]
            acc[slot] = 0.0
            words, bonus, share = score, 0.0, 1.0
            if covering:
                bonus, share = extra[slot], held[slot]
                extra[slot], held[slot] = 0.0, 0.0
                words, score = score, score + bonus
            if score * top < low:
                continue
            scale = 1.0
            if dated:
                at_date = stamps[first + slot]
                scale = factor(
                    at_date, low_date, high_date, dated_only, prior, half_life, now,
                    prefer_low, prefer_high, prefer_weight,
                )  # fmt: skip
            if covering:
                plain_size = _offer(
                    plain_scores, plain_docs, plain_size, k, score * scale, first + slot
                )
                score = covered_score(words, bonus, share, alpha)
            score *= scale
            if score < low:
                continue
            size = _offer(heap_scores, heap_docs, size, k, score, first + slot)
            if size == k:
                low = heap_scores[0]
    if not covering:
        return heap_docs[:size].copy(), heap_scores[:size].copy(), heap_docs[:0], heap_scores[:0]
    found = (heap_docs[:size].copy(), heap_scores[:size].copy())
    return found[0], found[1], plain_docs[:plain_size].copy(), plain_scores[:plain_size].copy()


def _reaching(acc: Any, width: int, top: float, low: float) -> int:
    """How many of ``acc[:width]`` pass the scan's first test ``score * top >= low``.

    A count (an integer sum) is a reduction the compiler turns into vector compares,
    several times faster than the scan's per-slot branch; most windows count zero.
    """
    hits = 0
    for slot in range(width):
        hits += acc[slot] * top >= low
    return hits


def _worse(score_a: float, doc_a: int, score_b: float, doc_b: int) -> bool:
    """Whether result a ranks after result b under the tie rule ``(-score, id)``."""
    return score_a < score_b or (score_a == score_b and doc_a > doc_b)


def _offer(scores: Any, docs: Any, size: int, k: int, score: float, doc: int) -> int:
    """Offer ``doc`` to a min-heap of at most ``k`` (``size`` held so far); the new size."""
    if size < k:
        scores[size], docs[size] = score, doc
        _sift_up(scores, docs, size)
        return size + 1
    if score > scores[0]:
        scores[0], docs[0] = score, doc
        _sift_down(scores, docs, size)
    return size


def _sift_down(scores: Any, docs: Any, size: int) -> None:
    """Restore the heap (worst result on top) after its top was replaced."""
    at = 0
    while True:
        child = 2 * at + 1
        if child >= size:
            return
        right = child + 1
        if right < size and _worse(scores[right], docs[right], scores[child], docs[child]):
            child = right
        if not _worse(scores[child], docs[child], scores[at], docs[at]):
            return
        scores[at], scores[child] = scores[child], scores[at]
        docs[at], docs[child] = docs[child], docs[at]
        at = child


def _sift_up(scores: Any, docs: Any, at: int) -> None:
    """Restore the heap after appending at position ``at``."""
    while at > 0:
        parent = (at - 1) >> 1
        if not _worse(scores[at], docs[at], scores[parent], docs[parent]):
            return
        scores[at], scores[parent] = scores[parent], scores[at]
        docs[at], docs[parent] = docs[parent], docs[at]
        at = parent


_worse = compiled(_worse)
_reaching = compiled(_reaching)
_sift_down = compiled(_sift_down)
_sift_up = compiled(_sift_up)
_offer = compiled(_offer)
kernel = compiled(_sweep)
