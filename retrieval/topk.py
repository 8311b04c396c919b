"""Exact top-k over one segment: every query posting scored by a compiled, cache-sized sweep.

Tie rule, everywhere: results are ordered by ``(-score, doc id)`` ascending, and a score
``<= 0`` is never a result. :func:`select_top_k` is the only place that orders results.

Why no pruning: with a news vocabulary (25k terms at 1M passages) questions hold common
terms whose postings are long and whose upper bounds are loose, so pruning saves little
and its random lookups cost cache misses. Measured at 1M passages, top-10 (2-core EPYC,
1000 real questions): numpy MaxScore p50 6.5 ms / p99 46 ms; the same MaxScore walked
document-at-a-time in numba 4.9 / 21 ms; block-max over 1024-doc blocks 7.0 / 34 ms
(block bounds almost never fell below the k-th score). This sweep: about 1.8 / 6 ms.

The sweep, in a numba kernel (:func:`_sweep`):

1. Documents are cut into windows of ``_WINDOW`` ids. For each window, every query term
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

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from retrieval.jit import compiled
from retrieval.recency import DateWindow, as_tuple, factor
from retrieval.segments import Floats, Int64s, Segment


@dataclass(frozen=True, slots=True)
class Bonus:
    """A score added to every document in ``[starts[i], ends[i])``: ranges sorted, disjoint."""

    starts: Int64s
    ends: Int64s
    values: Floats

    @classmethod
    def none(cls) -> Bonus:
        """No bonus anywhere."""
        empty = np.zeros(0, dtype=np.int64)
        return cls(empty, empty, np.zeros(0, dtype=np.float64))

    def __len__(self) -> int:
        return int(self.starts.shape[0])

    def within(self, base: int, n_docs: int) -> Bonus:
        """The ranges clipped to documents ``[base, base + n_docs)``, in that segment's ids."""
        first = int(np.searchsorted(self.ends, base, side="right"))
        last = int(np.searchsorted(self.starts, base + n_docs, side="left"))
        starts = np.maximum(self.starts[first:last], base) - base
        ends = np.minimum(self.ends[first:last], base + n_docs) - base
        return Bonus(starts, ends, self.values[first:last])


@dataclass(frozen=True, slots=True)
class QueryTerms:
    """Distinct query terms in first-appearance order with their weights (count x idf)."""

    ids: Int64s
    weights: Floats


def select_top_k(ids: Int64s, scores: Floats, k: int) -> tuple[Int64s, Floats]:
    """The ``k`` best ``(id, score)`` pairs with score > 0, ordered by ``(-score, id)``."""
    keep = scores > 0
    ids, scores = ids[keep], scores[keep]
    if k <= 0 or ids.shape[0] == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    if ids.shape[0] > k:
        # argpartition finds the k-th score; every tie with it stays in for the id sort.
        kth = np.partition(scores, ids.shape[0] - k)[ids.shape[0] - k]
        keep = scores >= kth
        ids, scores = ids[keep], scores[keep]
    order = np.lexsort((ids, -scores))[:k]
    return ids[order].astype(np.int64), scores[order]


def kth_score(scores: Floats, k: int) -> float:
    """The k-th largest of ``scores``, or 0.0 when there are fewer than ``k``."""
    if scores.shape[0] < k or k <= 0:
        return 0.0
    return float(np.partition(scores, scores.shape[0] - k)[scores.shape[0] - k])


def compact_lengths(doc_len: npt.NDArray[np.integer]) -> npt.NDArray[np.unsignedinteger]:
    """Document lengths in the narrowest unsigned type: the sweep reads one per posting."""
    top = int(doc_len.max()) if doc_len.shape[0] else 0
    for dtype in (np.uint8, np.uint16):
        if top <= np.iinfo(dtype).max:
            return doc_len.astype(dtype)
    return doc_len.astype(np.uint32)


def search_segment(
    segment: Segment,
    query: QueryTerms,
    lengths: npt.NDArray[np.unsignedinteger],
    norm_table: Floats,
    *,
    k: int,
    k1: float,
    threshold: float,
    dates: DateWindow | None = None,
    bonus: Bonus | None = None,
) -> tuple[Int64s, Floats]:
    """Local ids and exact scores of up to ``k`` best documents scoring ``>= threshold``.

    ``lengths`` is :func:`compact_lengths` of the segment; ``norm_table[dl]`` the norm of
    a document of length ``dl``. ``threshold`` is the k-th best score found in other
    segments (0.0 if none): documents below it cannot make the top k. ``bonus`` (in this
    segment's ids) is added to the documents it covers, after the terms. ``dates`` (its
    stamps this segment's own) then hides passages outside its window and multiplies the
    rest by their recency factor (:mod:`retrieval.recency`).
    """
    extra = bonus if bonus is not None else Bonus.none()
    slots = segment.slots(query.ids)
    present = slots >= 0
    if (not present.any() and not len(extra)) or k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    slots = slots[present]
    postings = (segment.docs, segment.tfs, segment.offsets[slots], segment.offsets[slots + 1])
    weights = np.ascontiguousarray(query.weights[present], dtype=np.float64)
    when = _NO_DATES if dates is None else _when(dates)
    ranges = (extra.starts, extra.ends, extra.values)
    ids, scores = _kernel(postings, weights, lengths, norm_table, k1, k, threshold, when, ranges)
    return ids, scores


When = tuple[Any, int, int, bool, float, float, int, int, int, float, float]


def _when(d: DateWindow) -> When:
    """A date window as the kernel's plain tuple (numba takes no dataclass), then its top."""
    return (*as_tuple(d), d.top)


_NO_DATES: When = (np.zeros(0, dtype=np.int64), 0, 0, False, 0.0, 0.0, 0, 0, -1, 0.0, 1.0)


def warm_up(tf_dtype: np.dtype[Any], length_dtype: np.dtype[Any]) -> None:
    """Compile (or load from numba's disk cache) the kernel for these dtypes before a query.

    Without it the first query after start-up would pay for compilation (seconds the
    first time on a machine, then tens of milliseconds to load the cached machine code).
    """
    if (tf_dtype, length_dtype) in _WARM:
        return
    zero, one = np.zeros(1, dtype=np.int64), np.ones(1, dtype=np.int64)
    postings = (zero.astype(np.int32), one.astype(tf_dtype), zero, one)
    ranges = (zero, one, np.ones(1))
    _kernel(
        postings, np.ones(1), one.astype(length_dtype), np.ones(2), 1.5, 1, 0.0, _NO_DATES, ranges
    )
    _WARM.add((tf_dtype, length_dtype))


_WARM: set[tuple[np.dtype[Any], np.dtype[Any]]] = set()

# Documents per window: the float64 accumulator (32 KB) fits the L1 data cache. Measured
# at 1M passages: 4096 p50 1.8 ms, 8192 2.5 ms, 32768 2.6 ms (2048 about as 4096).
_WINDOW = 4096


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
) -> tuple[Any, Any]:
    """The kernel of the module docstring; terms are indexed in canonical order.

    With dates (``when`` of :func:`_when`, its stamps non-empty), a score that could enter
    the heap even at the largest factor ``top`` is multiplied by its passage's factor, 0
    outside the window: exactly ``scores * recency.factors``, read only for candidates.
    ``top`` includes a preferred range's boost, so the bound stays exact under a preference.
    """
    docs, tfs, starts, ends = postings
    stamps, low_date, high_date, dated_only, prior, half_life, now = when[:7]
    prefer_low, prefer_high, prefer_weight, top = when[7:]
    dated = stamps.shape[0] > 0
    range_starts, range_ends, range_values = ranges
    next_range = 0
    cursor = starts.copy()
    acc = np.zeros(_WINDOW)
    heap_scores, heap_docs = np.zeros(k), np.zeros(k, dtype=np.int64)
    size = 0
    saturation = k1 + 1
    n_docs = lengths.shape[0]
    for first in range(0, n_docs, _WINDOW):
        stop = first + _WINDOW
        touched = False
        for t in range(starts.shape[0]):
            at, end, weight = cursor[t], ends[t], weights[t]
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
                acc[slot] += range_values[r]
            touched = touched or hi > lo
            if range_ends[r] > stop:
                break
            r += 1
        next_range = r
        if not touched:
            continue
        # Smallest score that can enter: floor (but > 0) until the heap is full.
        low = max(floor, 5e-324) if size < k else heap_scores[0]
        width = min(_WINDOW, n_docs - first)
        # Once the heap is full, most windows hold no score that can enter: a vector count
        # proves it in a fifth of the scan's time. Not under a prior (top > 1), whose bound
        # lets a few candidates into nearly every window (245 of 245 at 1M passages).
        if top == 1.0 and _reaching(acc, width, top, low) == 0:
            acc[:width] = 0.0
            continue
        for slot in range(width):
            score = acc[slot]
            acc[slot] = 0.0
            if score * top < low:
                continue
            if dated:
                at_date = stamps[first + slot]
                score *= factor(
                    at_date, low_date, high_date, dated_only, prior, half_life, now,
                    prefer_low, prefer_high, prefer_weight,
                )  # fmt: skip
                if score < low:
                    continue
            if size < k:
                heap_scores[size], heap_docs[size] = score, first + slot
                _sift_up(heap_scores, heap_docs, size)
                size += 1
            elif score > heap_scores[0]:
                heap_scores[0], heap_docs[0] = score, first + slot
                _sift_down(heap_scores, heap_docs, size)
            if size == k:
                low = heap_scores[0]
    return heap_docs[:size].copy(), heap_scores[:size].copy()


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
_kernel = compiled(_sweep)
