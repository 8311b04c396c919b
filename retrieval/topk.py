"""Exact top-k over one segment without scoring every posting (MaxScore, compiled).

Tie rule, everywhere: results are ordered by ``(-score, doc id)`` ascending, and a score
``<= 0`` is never a result. :func:`select_top_k` is the only place that orders results.

Pruned search needs every query weight ``> 0`` (the caller falls back to exhaustive
scoring otherwise). It walks documents in id order (document-at-a-time), the way
Lucene's MaxScore does, in a numba kernel: numpy versions of the same idea (sorting
and merging whole postings arrays, ``searchsorted`` for lookups) measured 6.5 ms p50
and 46 ms p99 at 1M passages, because with a news vocabulary the postings are long and
every array pass touches all of them. Walking them lets the threshold prune as it rises.

1. Upper bound per term: weight times the largest tf part in its postings. Terms sorted
   by bound; the longest prefix whose bounds sum below the threshold is *non-essential*:
   a document holding only those cannot make the top k.
2. Candidates are the documents of the essential terms, in id order. Non-essential terms
   are looked up (galloping forward) from the largest bound down, and only while the
   candidate's partial score plus the bounds left can still reach the threshold.
3. A survivor's score is the sum of its terms' parts in the query's canonical term order,
   the order the exhaustive path adds them, so scores are bit-for-bit equal to it.
4. A heap of the k best; its worst score is the threshold, which grows the non-essential
   prefix as it rises. Documents arrive in id order, so a later equal score never wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numba
import numpy as np

from retrieval.segments import Floats, Int64s, Segment, bound_factor

# Bounds and scores are sums of the same floats in different orders; this slack keeps
# every comparison conservative (it keeps, never drops, a document at the boundary).
_SLACK = 1e-9
_NO_DOC = 1 << 62  # larger than any doc id: "no essential posting left"


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


def search_segment(
    segment: Segment,
    query: QueryTerms,
    norms: Floats,
    *,
    k: int,
    k1: float,
    avgdl: float,
    threshold: float,
) -> tuple[Int64s, Floats]:
    """Local ids and exact scores of up to ``k`` documents that may make the top ``k``.

    ``threshold`` is the k-th best score already found elsewhere (0.0 if none); documents
    scoring strictly below it are skipped. Requires every weight in ``query`` to be > 0.
    """
    slots = segment.slots(query.ids)
    present = slots >= 0
    if not present.any() or k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    slots = slots[present]
    weights = np.ascontiguousarray(query.weights[present], dtype=np.float64)
    bounds = weights * segment.max_tf_part[slots] * bound_factor(segment.built_avgdl, avgdl)
    ids, scores = _kernel(
        segment.docs,
        segment.tfs,
        segment.offsets[slots],
        segment.offsets[slots + 1],
        weights,
        bounds,
        norms,
        float(k1),
        int(k),
        float(threshold),
    )
    return ids, scores


def warm_up(tf_dtype: np.dtype[Any]) -> None:
    """Compile (or load from numba's disk cache) the kernel for ``tf_dtype`` before a query.

    Without it the first query after start-up would pay for compilation (seconds the
    first time on a machine, then tens of milliseconds to load the cached machine code).
    """
    if tf_dtype in _WARM:
        return
    one = np.ones(1, dtype=np.int64)
    _kernel(
        np.zeros(1, dtype=np.int32),
        np.ones(1, dtype=tf_dtype),
        one * 0,
        one,
        np.ones(1),
        np.ones(1),
        np.ones(1),
        1.5,
        1,
        0.0,
    )
    _WARM.add(tf_dtype)


_WARM: set[np.dtype[Any]] = set()


def _gallop(docs: Any, lo: int, hi: int, target: int) -> int:
    """First position in ``docs[lo:hi]`` (ascending) holding a doc ``>= target``, or ``hi``."""
    if lo >= hi or docs[lo] >= target:
        return lo
    step = 1
    below = lo
    while below + step < hi and docs[below + step] < target:
        below += step
        step *= 2
    top = min(below + step, hi)
    below += 1
    while below < top:
        middle = (below + top) >> 1
        if docs[middle] < target:
            below = middle + 1
        else:
            top = middle
    return below


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
        if child + 1 < size and _worse(
            scores[child + 1], docs[child + 1], scores[child], docs[child]
        ):
            child += 1
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


def _maxscore(
    docs: Any,
    tfs: Any,
    starts: Any,
    ends: Any,
    weights: Any,
    bounds: Any,
    norms: Any,
    k1: float,
    k: int,
    floor: float,
) -> tuple[Any, Any]:
    """The kernel described in the module docstring; terms are indexed in canonical order."""
    n = starts.shape[0]
    order = np.argsort(bounds, kind="mergesort")
    below = np.zeros(n + 1)  # below[i]: summed bounds of the i smallest-bound terms
    for i in range(n):
        below[i + 1] = below[i] + bounds[order[i]]
    cursor = starts.copy()
    part = np.zeros(n)
    heap_scores = np.zeros(k)
    heap_docs = np.zeros(k, dtype=np.int64)
    size = 0
    threshold = floor
    lazy = 0  # number of non-essential terms: order[:lazy]
    while lazy < n and below[lazy + 1] * (1 + _SLACK) < threshold:
        lazy += 1
    saturation = k1 + 1
    while lazy < n:
        doc = _NO_DOC
        for i in range(lazy, n):
            t = order[i]
            if cursor[t] < ends[t] and docs[cursor[t]] < doc:
                doc = docs[cursor[t]]
        if doc == _NO_DOC:
            break
        norm = norms[doc]
        partial = 0.0
        for i in range(lazy, n):
            t = order[i]
            at = cursor[t]
            if at < ends[t] and docs[at] == doc:
                tf = np.float64(tfs[at])
                part[t] = weights[t] * (tf * saturation / (tf + norm))
                partial += part[t]
                cursor[t] = at + 1
            else:
                part[t] = 0.0
        alive = True
        for i in range(lazy - 1, -1, -1):
            if (partial + below[i + 1]) * (1 + _SLACK) < threshold:
                alive = False
                break
            t = order[i]
            at = _gallop(docs, cursor[t], ends[t], doc)
            cursor[t] = at
            if at < ends[t] and docs[at] == doc:
                tf = np.float64(tfs[at])
                part[t] = weights[t] * (tf * saturation / (tf + norm))
                partial += part[t]
            else:
                part[t] = 0.0
        if not alive:
            continue
        score = 0.0
        for t in range(n):
            score += part[t]
        if score < floor:
            continue
        if size < k:
            heap_scores[size] = score
            heap_docs[size] = doc
            _sift_up(heap_scores, heap_docs, size)
            size += 1
        elif score > heap_scores[0]:
            heap_scores[0] = score
            heap_docs[0] = doc
            _sift_down(heap_scores, heap_docs, size)
        else:
            continue
        if size == k and heap_scores[0] > threshold:
            threshold = heap_scores[0]
            while lazy < n and below[lazy + 1] * (1 + _SLACK) < threshold:
                lazy += 1
    return heap_docs[:size].copy(), heap_scores[:size].copy()


# nogil: the bot searches from two threads, and a compiled walk needs no interpreter.
_jit = numba.njit(cache=True, nogil=True)
_gallop = _jit(_gallop)
_worse = _jit(_worse)
_sift_down = _jit(_sift_down)
_sift_up = _jit(_sift_up)
_kernel = _jit(_maxscore)
