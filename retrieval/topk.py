"""Exact top-k over one segment without scoring every posting (MaxScore pruning).

Tie rule, everywhere: results are ordered by ``(-score, doc id)`` ascending, and a score
``<= 0`` is never a result. :func:`select_top_k` is the only place that orders results.

Pruned search needs every query weight ``> 0`` (the caller falls back to exhaustive
scoring otherwise). It works term-at-a-time on whole numpy arrays:

1. Upper bound per term: weight times the largest tf part in its postings.
2. A first threshold: every document of the rarest terms (a few hundred postings, which
   carry the largest bounds), fully scored; the k-th best of those is a safe lower bound.
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
    present = np.flatnonzero(slots >= 0).tolist()
    if not present or k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    factor = bound_factor(segment.built_avgdl, avgdl)
    postings = {t: segment.postings(int(slots[t])) for t in present}
    bound = {t: float(query.weights[t] * segment.max_tf_part[slots[t]]) * factor for t in present}

    # 2. A first threshold from fully scoring a few cheap, promising documents.
    seeds = _seeds(postings, query.weights, norms, k, k1)
    seed_scores = rescore(segment, slots, query.weights, seeds, norms, k1)
    threshold = max(threshold, kth_score(seed_scores, k))

    # 3. Essential terms: drop the smallest bounds while their sum stays under threshold.
    cutoff = threshold * (1 - _SLACK)
    spent = 0.0
    non_essential: list[int] = []
    for term in sorted(present, key=bound.__getitem__):
        if spent + bound[term] >= cutoff:
            break
        spent += bound[term]
        non_essential.append(term)
    essential = [term for term in present if term not in non_essential]
    if not essential:
        return seeds, seed_scores
    cand, partial = _union(postings, query.weights, essential, norms, k1, spent, cutoff)

    # Non-essential terms, largest bound first, pruning candidates that fall out of reach.
    remaining = spent
    for term in reversed(non_essential):
        keep = partial + remaining * (1 + _SLACK) >= cutoff
        cand, partial = cand[keep], partial[keep]
        docs, tfs = postings[term]
        partial += _contributions(docs, tfs, float(query.weights[term]), cand, norms, k1)
        remaining -= bound[term]
    local_kth = max(threshold, kth_score(partial, k))
    cand = cand[partial >= local_kth * (1 - _SLACK)]
    return cand, rescore(segment, slots, query.weights, cand, norms, k1)


def _seeds(
    postings: dict[int, tuple[np.ndarray, np.ndarray]],
    weights: Floats,
    norms: Floats,
    k: int,
    k1: float,
) -> Int64s:
    """Documents worth scoring fully before pruning: a good threshold makes pruning work.

    The rarest terms carry the largest bounds, so every document in their (short) postings
    is a seed, up to ``_SEED_POSTINGS``; if even the rarest term is longer, its ``4k`` best
    documents by that term alone are the seeds.
    """
    by_df = sorted(postings, key=lambda term: postings[term][0].shape[0])
    rarest = by_df[0]
    docs, tfs = postings[rarest]
    if docs.shape[0] > max(_SEED_POSTINGS, 4 * k):
        part = weights[rarest] * tf_part(tfs, norms[docs], k1)
        best = np.argpartition(-part, 4 * k - 1)[: 4 * k]
        return np.sort(docs[best]).astype(np.int64)
    chosen = [docs]
    total = docs.shape[0]
    for term in by_df[1:]:
        total += postings[term][0].shape[0]
        if total > _SEED_POSTINGS:
            break
        chosen.append(postings[term][0])
    flat = np.sort(np.concatenate(chosen), kind="stable")
    return flat[_runs(flat)].astype(np.int64)


# Seed postings budget: measured on 1M synthetic passages, 256-1024 all did well; fewer
# seeds give a weak threshold, more cost lookups than the threshold saves.
_SEED_POSTINGS = 512


def _runs(sorted_docs: np.ndarray) -> Int64s:
    """Start positions of the runs of equal values in a sorted array."""
    fresh = np.empty(sorted_docs.shape[0], dtype=bool)
    fresh[:1] = True
    np.not_equal(sorted_docs[1:], sorted_docs[:-1], out=fresh[1:])
    return np.flatnonzero(fresh)


def _union(
    postings: dict[int, tuple[np.ndarray, np.ndarray]],
    weights: Floats,
    essential: list[int],
    norms: Floats,
    k1: float,
    rest: float,
    cutoff: float,
) -> tuple[Int64s, Floats]:
    """Essential terms' documents that can still reach ``cutoff``, with partial scores.

    The postings are already sorted, so a stable sort of their concatenation only merges
    a few runs (timsort), which beats both ``np.unique`` and a dense scatter buffer here.
    ``rest`` bounds what the non-essential terms can add.
    """
    docs_list = []
    parts = []
    for term in essential:
        docs, tfs = postings[term]
        docs_list.append(docs)
        parts.append(weights[term] * tf_part(tfs, norms[docs], k1))
    if len(essential) == 1:
        cand, partial = docs_list[0], parts[0]
    else:
        flat = np.concatenate(docs_list)
        order = np.argsort(flat, kind="stable")
        flat = flat[order]
        starts = _runs(flat)
        cand = flat[starts]
        partial = np.add.reduceat(np.concatenate(parts)[order], starts)
    keep = partial + rest * (1 + _SLACK) >= cutoff
    return cand[keep].astype(np.int64), partial[keep]
