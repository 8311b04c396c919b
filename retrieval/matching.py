"""Sparse exact scores of the documents holding a query term: a compiled merge of postings.

The title field scores every title that holds a query term, once per search
(:mod:`retrieval.titles`). Done with numpy, term by term (slice, gather the norms, score,
concatenate, ``np.unique``, ``bincount``), that cost about 0.7 ms of interpreter overhead
per question at 1M passages, as much as half the passage sweep. Here one compiled call per
segment merges the terms' sorted postings through a heap of one cursor per term, so the
work is the postings themselves: O(P log T) for P postings of T terms, and no array the
size of the index (a million titles at 10M passages).

Exactness: a document's parts are added to 0.0 in the query's canonical term order (the
heap breaks a doc-id tie on the term's position), so each sum is the very float that
``Index.scores`` builds with ``out[docs] += part`` term by term; each part is the sweep's
``weight * (tf * (k1 + 1) / (tf + norm))``, the order :func:`retrieval.segments.tf_part`
uses.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from retrieval.jit import compiled
from retrieval.segments import Floats, Int64s, Segment


def segment_matches(
    segment: Segment,
    term_ids: Int64s,
    weights: Floats,
    lengths: npt.NDArray[np.unsignedinteger],
    norm_table: Floats,
    k1: float,
) -> tuple[Int64s, Floats]:
    """Local ids (ascending) and score sums of this segment's documents holding a term.

    ``term_ids`` and ``weights`` are the query's known terms in canonical order;
    ``lengths`` and ``norm_table`` as for :func:`retrieval.topk.search_segment`.
    """
    slots = segment.slots(term_ids)
    present = slots >= 0
    if not present.any():
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    slots = slots[present]
    starts, ends = segment.offsets[slots], segment.offsets[slots + 1]
    chosen = np.ascontiguousarray(weights[present], dtype=np.float64)
    postings = (segment.docs, segment.tfs, starts, ends)
    ids, sums = _kernel(postings, chosen, lengths, norm_table, k1)
    return ids, sums


def warm_up(tf_dtype: np.dtype[Any], length_dtype: np.dtype[Any]) -> None:
    """Compile (or load from numba's disk cache) the merge for these dtypes before a query."""
    if (tf_dtype, length_dtype) in _WARM:
        return
    zero, one = np.zeros(1, dtype=np.int64), np.ones(1, dtype=np.int64)
    postings = (zero.astype(np.int32), one.astype(tf_dtype), zero, one)
    _kernel(postings, np.ones(1), one.astype(length_dtype), np.ones(2), 1.5)
    _WARM.add((tf_dtype, length_dtype))


_WARM: set[tuple[np.dtype[Any], np.dtype[Any]]] = set()


def _merge(
    postings: tuple[Any, Any, Any, Any],
    weights: Any,
    lengths: Any,
    norm_table: Any,
    k1: float,
) -> tuple[Any, Any]:
    """The merge of the module docstring; the heap holds ``(doc, term)``, smallest on top."""
    docs, tfs, starts, ends = postings
    n_terms = starts.shape[0]
    total = 0
    for t in range(n_terms):
        total += ends[t] - starts[t]
    out_ids = np.empty(total, dtype=np.int64)
    out_sums = np.empty(total, dtype=np.float64)
    cursor = starts.copy()
    heap_docs = np.empty(n_terms, dtype=np.int64)
    heap_terms = np.empty(n_terms, dtype=np.int64)
    size = 0
    for t in range(n_terms):
        if cursor[t] < ends[t]:
            heap_docs[size], heap_terms[size] = docs[cursor[t]], t
            _sift_up(heap_docs, heap_terms, size)
            size += 1
    saturation = k1 + 1
    found = 0
    current = -1
    acc = 0.0
    while size > 0:
        doc, t = heap_docs[0], heap_terms[0]
        at = cursor[t]
        tf = np.float64(tfs[at])
        part = weights[t] * (tf * saturation / (tf + norm_table[lengths[doc]]))
        if doc != current:
            if current >= 0:
                out_ids[found], out_sums[found] = current, acc
                found += 1
            current, acc = doc, 0.0
        acc += part
        cursor[t] = at + 1
        if at + 1 < ends[t]:
            heap_docs[0] = docs[at + 1]
        else:
            size -= 1
            heap_docs[0], heap_terms[0] = heap_docs[size], heap_terms[size]
        _sift_down(heap_docs, heap_terms, size)
    if current >= 0:
        out_ids[found], out_sums[found] = current, acc
        found += 1
    return out_ids[:found].copy(), out_sums[:found].copy()


def _before(doc_a: int, term_a: int, doc_b: int, term_b: int) -> bool:
    """Whether cursor a comes out of the heap first: lower doc, then earlier query term."""
    return doc_a < doc_b or (doc_a == doc_b and term_a < term_b)


def _sift_down(docs: Any, terms: Any, size: int) -> None:
    """Restore the heap (smallest on top) after its top changed."""
    at = 0
    while True:
        child = 2 * at + 1
        if child >= size:
            return
        right = child + 1
        if right < size and _before(docs[right], terms[right], docs[child], terms[child]):
            child = right
        if not _before(docs[child], terms[child], docs[at], terms[at]):
            return
        docs[at], docs[child] = docs[child], docs[at]
        terms[at], terms[child] = terms[child], terms[at]
        at = child


def _sift_up(docs: Any, terms: Any, at: int) -> None:
    """Restore the heap after appending at position ``at``."""
    while at > 0:
        parent = (at - 1) >> 1
        if not _before(docs[at], terms[at], docs[parent], terms[parent]):
            return
        docs[at], docs[parent] = docs[parent], docs[at]
        terms[at], terms[parent] = terms[parent], terms[at]
        at = parent


_before = compiled(_before)
_sift_down = compiled(_sift_down)
_sift_up = compiled(_sift_up)
_kernel = compiled(_merge)
