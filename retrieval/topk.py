"""Exact top-k over one segment: every query posting scored by a compiled, cache-sized sweep.

Tie rule, everywhere: results are ordered by ``(-score, doc id)`` ascending, and a score
``<= 0`` is never a result. :func:`select_top_k` is the only place that orders results.

Why no pruning: with a news vocabulary (25k terms at 1M passages) questions hold common
terms whose postings are long and whose upper bounds are loose, so pruning saves little
and its random lookups cost cache misses. Measured at 1M passages, top-10 (2-core EPYC,
1000 real questions): numpy MaxScore p50 6.5 ms / p99 46 ms; the same MaxScore walked
document-at-a-time in numba 4.9 / 21 ms; block-max over 1024-doc blocks 7.0 / 34 ms
(block bounds almost never fell below the k-th score). This sweep: about 1.8 / 6 ms.

The sweep itself, a compiled kernel, is :mod:`retrieval.topk_kernels`: :func:`search_segment`
gathers one segment's postings for it, and :func:`warm_up` compiles it before a first query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from retrieval.recency import DateWindow
from retrieval.segments import Floats, Int64s, Segment
from retrieval.topk_kernels import NO_COVER, NO_DATES, kernel, when_of


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
    """Distinct query terms in first-appearance order with their weights (count x idf), and
    with coverage (:mod:`retrieval.coverage`) each term's share of the question."""

    ids: Int64s
    weights: Floats
    masses: Floats | None = None


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


def merge_top_k(
    ids: Int64s, scores: Floats, more: Int64s, more_scores: Floats, k: int
) -> tuple[Int64s, Floats]:
    """The ``k`` best of two lists of ``(id, score)``, by :func:`select_top_k`."""
    return select_top_k(np.concatenate([ids, more]), np.concatenate([scores, more_scores]), k)


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
    alpha: float = 0.0,
) -> tuple[Int64s, Floats, Int64s, Floats]:
    """Local ids and exact scores of up to ``k`` best documents scoring ``>= threshold``;
    with coverage, the local ids and scores of the best plain ones besides.

    ``lengths`` is :func:`compact_lengths` of the segment; ``norm_table[dl]`` the norm of
    a document of length ``dl``. ``threshold`` is the k-th best score found in other
    segments (0.0 if none): documents below it cannot make the top k. ``bonus`` (in this
    segment's ids) is added to the documents it covers, after the terms. ``dates`` (its
    stamps this segment's own) then hides passages outside its window and multiplies the
    rest by their recency factor (:mod:`retrieval.recency`). With ``alpha`` above 0 (and
    ``query.masses``) documents score by their coverage of the query
    (:mod:`retrieval.coverage`), and the ``k`` best scores without it (every one that could
    be among them here, see :mod:`retrieval.topk_kernels`) come second; else empty.
    """
    extra = bonus if bonus is not None else Bonus.none()
    slots = segment.slots(query.ids)
    present = slots >= 0
    if (not present.any() and not len(extra)) or k <= 0:
        none = np.zeros(0, dtype=np.int64)
        return none, np.zeros(0), none, np.zeros(0)
    slots = slots[present]
    postings = (segment.docs, segment.tfs, segment.offsets[slots], segment.offsets[slots + 1])
    weights = np.ascontiguousarray(query.weights[present], dtype=np.float64)
    when = NO_DATES if dates is None else when_of(dates)
    ranges = (extra.starts, extra.ends, extra.values)
    cover = NO_COVER
    if alpha > 0 and query.masses is not None:
        cover = (np.ascontiguousarray(query.masses[present], dtype=np.float64), float(alpha))
    return kernel(  # type: ignore[no-any-return]
        postings, weights, lengths, norm_table, k1, k, threshold, when, ranges, cover
    )


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
    kernel(
        postings, np.ones(1), one.astype(length_dtype), np.ones(2), 1.5, 1, 0.0, NO_DATES, ranges,
        NO_COVER,
    )  # fmt: skip
    _WARM.add((tf_dtype, length_dtype))


_WARM: set[tuple[np.dtype[Any], np.dtype[Any]]] = set()
