"""Exact top-k over one segment without scoring every posting (MaxScore pruning).

Tie rule, everywhere: results are ordered by ``(-score, doc id)`` ascending, and a score
``<= 0`` is never a result. :func:`select_top_k` is the only place that orders results.

Pruned search needs every query weight ``> 0`` (the caller falls back to exhaustive
scoring otherwise). It works term-at-a-time on whole numpy arrays:

1. Upper bound per term: weight times the largest tf part in its postings.
2. A first threshold: the k best documents of the highest-bound term, fully scored.
3. Terms whose summed bounds (smallest first) stay below the threshold are
   *non-essential*: a document holding only those cannot reach the top k. Candidates are
   the postings of the essential terms; non-essential terms are only looked up, with
   ``np.searchsorted``, for candidates whose bound can still reach the threshold.
4. Survivors are re-scored in the query's canonical term order, so their scores are
   bit-for-bit those of the exhaustive path and ties break exactly as it would.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retrieval.segments import Floats, Int64s, Segment, bound_factor, tf_part

# Bounds and scores are sums of the same floats in different orders; this slack keeps
# every comparison conservative (it keeps, never drops, a document at the boundary).
_SLACK = 1e-9


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


def _lookup(docs: Floats | Int64s, tfs: np.ndarray, cand: Int64s) -> tuple[np.ndarray, np.ndarray]:
    """Positions of ``cand`` inside the sorted ``docs`` and whether each was found."""
    pos = np.searchsorted(docs, cand)
    np.minimum(pos, docs.shape[0] - 1, out=pos)
    return pos, docs[pos] == cand


def _contributions(
    docs: np.ndarray, tfs: np.ndarray, weight: float, cand: Int64s, norms: Floats, k1: float
) -> Floats:
    """This term's score for each candidate: zero where the candidate lacks the term."""
    pos, hit = _lookup(docs, tfs, cand)
    out = np.zeros(cand.shape[0], dtype=np.float64)
    where = cand[hit]
    out[hit] = weight * tf_part(tfs[pos[hit]], norms[where], k1)
    return out


def rescore(
    segment: Segment, slots: Int64s, weights: Floats, cand: Int64s, norms: Floats, k1: float
) -> Floats:
    """Full scores of ``cand`` summed in canonical term order, as the exhaustive path does."""
    total = np.zeros(cand.shape[0], dtype=np.float64)
    for slot, weight in zip(slots.tolist(), weights.tolist(), strict=True):
        if slot >= 0:
            docs, tfs = segment.postings(slot)
            total += _contributions(docs, tfs, weight, cand, norms, k1)
    return total


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
    """Local ids and exact scores of every document that may make the top ``k``.

    ``threshold`` is the k-th best score already found elsewhere (0.0 if none); documents
    scoring strictly below it are skipped. Requires every weight in ``query`` to be > 0.
    """
    slots = segment.slots(query.ids)
    present = np.flatnonzero(slots >= 0)
    if present.shape[0] == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    factor = bound_factor(segment.built_avgdl, avgdl)
    bounds = query.weights[present] * segment.max_tf_part[slots[present]] * factor
    by_bound = present[np.argsort(-bounds, kind="stable")]
    bound_of = dict(zip(present.tolist(), bounds.tolist(), strict=True))

    # 2. Threshold from the best k documents of the highest-bound term.
    top = int(by_bound[0])
    docs, tfs = segment.postings(int(slots[top]))
    first = query.weights[top] * tf_part(tfs, norms[docs], k1)
    if first.shape[0] > k:
        seeds = docs[np.argpartition(-first, k - 1)[:k]].astype(np.int64)
        seeds.sort()
    else:
        seeds = docs.astype(np.int64)
    seed_scores = rescore(segment, slots, query.weights, seeds, norms, k1)
    threshold = max(threshold, kth_score(seed_scores, k))

    # 3. Essential terms: drop the smallest bounds while their sum stays under threshold.
    ascending = by_bound[::-1].tolist()
    cutoff = threshold * (1 - _SLACK)
    spent = 0.0
    non_essential: list[int] = []
    for term in ascending:
        if spent + bound_of[term] >= cutoff:
            break
        spent += bound_of[term]
        non_essential.append(term)
    essential = [t for t in by_bound.tolist() if t not in non_essential]
    if not essential:
        return seeds, seed_scores
    cand, partial = _union(segment, slots, query.weights, essential, first, norms, k1)

    # Non-essential terms, largest bound first, pruning candidates that fall out of reach.
    remaining = spent
    for term in reversed(non_essential):
        reach = partial + remaining * (1 + _SLACK)
        keep = reach >= cutoff
        cand, partial = cand[keep], partial[keep]
        docs, tfs = segment.postings(int(slots[term]))
        partial += _contributions(docs, tfs, query.weights[term], cand, norms, k1)
        remaining -= bound_of[term]
    local_kth = max(threshold, kth_score(partial, k))
    keep = partial >= local_kth * (1 - _SLACK)
    cand = cand[keep]
    return cand, rescore(segment, slots, query.weights, cand, norms, k1)


def _union(
    segment: Segment,
    slots: Int64s,
    weights: Floats,
    essential: list[int],
    first: Floats,
    norms: Floats,
    k1: float,
) -> tuple[Int64s, Floats]:
    """Sorted union of the essential terms' postings with their summed contributions.

    ``first`` is the already computed contribution of ``essential[0]``.
    """
    docs, _ = segment.postings(int(slots[essential[0]]))
    if len(essential) == 1:
        return docs.astype(np.int64), first.copy()
    all_docs = [docs]
    all_parts = [first]
    for term in essential[1:]:
        docs, tfs = segment.postings(int(slots[term]))
        all_docs.append(docs)
        all_parts.append(weights[term] * tf_part(tfs, norms[docs], k1))
    flat_docs = np.concatenate(all_docs)
    flat_parts = np.concatenate(all_parts)
    cand, inverse = np.unique(flat_docs, return_inverse=True)
    partial: Floats = np.bincount(inverse, weights=flat_parts, minlength=cand.shape[0])
    return cand.astype(np.int64), partial
