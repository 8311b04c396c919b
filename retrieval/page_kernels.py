"""Compiled postings lookups for citing a page: the scores of a few id ranges, and which
of a few passages hold which terms.

Citing a page scores the other passages of each hit's article (``Index.scores_in``), a few
dozen passages in five ranges. Done with numpy (per term a binary search for the ranges'
bounds, then gather, repeat, tile, score and ``bincount`` the postings found) that took
about thirty small array operations, some 0.2 ms of interpreter overhead per page: a tenth
of citing a page. Here one compiled call per segment walks each term's postings inside
each range.

Exactness: a document's parts are added to 0.0 term by term in the query's order, the
order ``bincount`` adds them in, so each score is the very float the numpy pass made; each
part is ``weight * (tf * (k1 + 1) / (tf + norm))``, the order of
:func:`retrieval.segments.tf_part`. ``tests/retrieval/test_next_best.py`` checks the scores
equal ``Index.scores_between`` range by range.

Which query terms each of a page's candidate passages holds (``Index.holding``) is a
binary search per term and passage; in numpy that was a dozen array operations per term,
about 0.3 ms a page, so it too is one compiled call per segment.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from retrieval.jit import compiled
from retrieval.segments import Floats, Int64s, Segment

Bools = npt.NDArray[np.bool_]


def add_range_scores(
    segment: Segment,
    term_ids: Int64s,
    weights: Floats,
    lengths: npt.NDArray[np.unsignedinteger],
    norm_table: Floats,
    k1: float,
    ranges: tuple[Int64s, Int64s, Int64s, int],
    out: Floats,
) -> None:
    """Add the scores of the documents of this segment inside each range to ``out``.

    ``ranges`` is ``(starts, stops, offsets, base)``: the ranges' global bounds, where each
    range starts in ``out``, and the segment's first global id. ``term_ids`` and
    ``weights`` are the query's known terms in order; ``lengths`` and ``norm_table`` as for
    :func:`retrieval.topk.search_segment`.
    """
    starts, stops, offsets, base = ranges
    slots = segment.slots(term_ids)
    chosen = np.ascontiguousarray(weights, dtype=np.float64)
    _kernel(segment.docs, segment.tfs, segment.offsets, slots, chosen, lengths, norm_table,
            k1, starts - base, stops - base, offsets, out)  # fmt: skip


def mark_holding(segment: Segment, term_ids: Int64s, local: Int64s, out: Bools) -> None:
    """Set ``out[row, column]`` where document ``local[column]`` of this segment (a local id;
    one outside ``[0, n_docs)`` is another segment's) holds term ``term_ids[row]`` (-1 for a
    term the index lacks)."""
    slots = segment.slots(term_ids)
    slots[term_ids < 0] = -1
    _holding(segment.docs, segment.offsets, slots, local, segment.n_docs, out)


def warm_up(tf_dtype: np.dtype[Any], length_dtype: np.dtype[Any]) -> None:
    """Compile (or load from numba's disk cache) the pass for these dtypes before a query."""
    if (tf_dtype, length_dtype) in _WARM:
        return
    zero, one = np.zeros(1, dtype=np.int64), np.ones(1, dtype=np.int64)
    _kernel(zero.astype(np.int32), one.astype(tf_dtype), np.array([0, 1]), zero, np.ones(1),
            one.astype(length_dtype), np.ones(2), 1.5, zero, one, zero, np.zeros(1))  # fmt: skip
    _holding(zero.astype(np.int32), np.array([0, 1]), zero, zero, 1, np.zeros((1, 1), bool))
    _WARM.add((tf_dtype, length_dtype))


_WARM: set[tuple[np.dtype[Any], np.dtype[Any]]] = set()


def _range_scores(
    docs: Any,
    tfs: Any,
    offsets: Any,
    slots: Any,
    weights: Any,
    lengths: Any,
    norm_table: Any,
    k1: float,
    first: Any,
    last: Any,
    at: Any,
    out: Any,
) -> None:
    """The pass of the module docstring: term by term, range by range, posting by posting.

    ``first`` and ``last`` are the ranges' bounds in local ids (not clipped: a range outside
    the segment finds no posting), ``at`` where each range starts in ``out``.
    """
    saturation = k1 + 1
    for j in range(slots.shape[0]):
        slot = slots[j]
        if slot < 0:
            continue
        begin, end = offsets[slot], offsets[slot + 1]
        weight = weights[j]
        for r in range(first.shape[0]):
            if first[r] >= last[r]:
                continue
            lo = _search(docs, begin, end, first[r])
            hi = _search(docs, lo, end, last[r])
            for i in range(lo, hi):
                doc = docs[i]
                tf = np.float64(tfs[i])
                part = weight * (tf * saturation / (tf + norm_table[lengths[doc]]))
                out[at[r] + doc - first[r]] += part


def _mark_holding(docs: Any, offsets: Any, slots: Any, local: Any, n_docs: int, out: Any) -> None:
    """:func:`mark_holding`'s loop: a binary search per term and document."""
    for row in range(slots.shape[0]):
        slot = slots[row]
        if slot < 0:
            continue
        begin, end = offsets[slot], offsets[slot + 1]
        for column in range(local.shape[0]):
            doc = local[column]
            if 0 <= doc < n_docs:
                at = _search(docs, begin, end, doc)
                if at < end and docs[at] == doc:
                    out[row, column] = True


def _search(docs: Any, lo: int, hi: int, value: int) -> int:
    """The first position in ``docs[lo:hi]`` (ascending) holding ``value`` or more."""
    while lo < hi:
        middle = (lo + hi) // 2
        if docs[middle] < value:
            lo = middle + 1
        else:
            hi = middle
    return lo


_search = compiled(_search)
_kernel = compiled(_range_scores)
_holding = compiled(_mark_holding)
