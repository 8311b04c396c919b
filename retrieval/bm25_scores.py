"""Every exact score an :class:`~retrieval.bm25.Index` gives besides its pruned top-k.

A term's idf and document frequency; the scores of all passages (:meth:`IndexScores.scores`,
the reference sum), of the passages holding a query term, of an id range or several; which
given passages hold each term, and how many passages match. Each reads the postings of a
query's known terms, resolved and checked by :meth:`IndexScores._query`
(:mod:`retrieval.postings_checks`), and adds a document's parts term by term in the same
order, so every path here equals :meth:`IndexScores.scores` to the bit. Kept apart from
:mod:`retrieval.bm25` (which builds, searches, saves and loads a snapshot) because these are
the many small reads that citing, explaining and the title field make of a snapshot once it
exists. :class:`IndexScores` is the base ``Index`` builds on; it holds no state of its own.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from retrieval.bm25_terms import ScaledTerms
from retrieval.matching import segment_matches
from retrieval.page_kernels import add_range_scores, mark_holding
from retrieval.postings_checks import check_all, ensure_checked
from retrieval.segments import Floats, Int64s, Segment, tf_part
from retrieval.topk import Bonus, QueryTerms

if TYPE_CHECKING:
    from retrieval.bm25 import BM25Params


class IndexScores:
    """Exact scores read from a snapshot's postings; :class:`~retrieval.bm25.Index` sets the
    attributes declared here."""

    __slots__ = ()

    params: BM25Params
    n_docs: int
    _terms: dict[str, int]
    _df: Int64s
    _idf: Floats
    _segments: tuple[Segment, ...]
    _lengths: tuple[npt.NDArray[np.unsignedinteger], ...]
    _bases: Int64s
    _norm_table: Floats

    def idf(self, term: str) -> float:
        """The idf this snapshot uses for ``term``; 0.0 for a term no passage contains."""
        term_id = self._terms.get(term)
        return 0.0 if term_id is None else float(self._idf[term_id])

    def document_frequency(self, term: str) -> int:
        """How many passages of this snapshot contain ``term``; 0 for an unknown term."""
        term_id = self._terms.get(term)
        return 0 if term_id is None else int(self._df[term_id])

    def coverage_masses(self, query: Sequence[str]) -> Floats:
        """Each distinct term's share of the question (first appearance first): its squared
        Lucene idf over their sum, a term no passage holds weighing most
        (``answerable.rarity_weights``; :mod:`retrieval.coverage`)."""
        distinct = list(dict.fromkeys(query))
        ids = [self._terms.get(term) for term in distinct]
        df = np.array([0 if i is None else self._df[i] for i in ids], dtype=np.float64)
        weights = np.log1p((self.n_docs - df + 0.5) / (df + 0.5)) ** 2
        total = float(weights.sum())
        out: Floats = weights / total if total > 0 else np.zeros(len(distinct))
        return out

    def _query(self, query: Sequence[str], cover: bool = False) -> QueryTerms:
        """Known query terms, first appearance first, weighted by idf times repetitions (times
        their scale, for :class:`~retrieval.bm25_terms.ScaledTerms`); with ``cover``, each
        one's share of the question too (:meth:`coverage_masses`)."""
        counts: dict[int, int] = {}
        for term in query:
            term_id = self._terms.get(term)
            if term_id is not None:
                counts[term_id] = counts.get(term_id, 0) + 1
        ids = np.fromiter(counts, dtype=np.int64, count=len(counts))
        reps = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        weights = self._idf[ids] * reps
        if isinstance(query, ScaledTerms):  # an asked noun weighs less (retrieval.asked_noun)
            present = [term for term in dict.fromkeys(query) if term in self._terms]
            weights = weights * np.array([query.scale(t) for t in present], dtype=np.float64)
        keep = weights != 0
        self._check(ids[keep])
        if not cover:
            return QueryTerms(ids[keep], weights[keep])
        share = dict(zip(dict.fromkeys(query), self.coverage_masses(query).tolist(), strict=True))
        known = [share[term] for term in dict.fromkeys(query) if term in self._terms]
        return QueryTerms(ids[keep], weights[keep], np.array(known, dtype=np.float64)[keep])

    def check_all(self) -> None:
        """Check every posting not checked yet (StoreError if one is damaged): what a search
        checks of its own terms, for the whole index at once. A merge does this to its inputs."""
        for segment in self._segments:
            check_all(segment)

    def _check(self, term_ids: Int64s) -> None:
        """Check these terms' postings in loaded segments the first time a search reads them
        (:mod:`retrieval.postings_checks`): StoreError, never a bad read, if one is damaged."""
        for segment in self._segments:
            ensure_checked(segment, term_ids)

    # -- scoring ---------------------------------------------------------------------------

    def scores(self, query: Sequence[str], bonus: Bonus | None = None) -> Floats:
        """BM25 score of every passage (length ``n_docs``), like ``get_scores``.

        ``bonus`` (the title field) is added after the terms' sum, as :meth:`top_k` adds it.
        """
        out = np.zeros(self.n_docs, dtype=np.float64)
        for docs, part in self._term_parts(query):
            out[docs] += part
        if bonus is not None:
            for start, end, value in zip(
                bonus.starts.tolist(), bonus.ends.tolist(), bonus.values.tolist(), strict=True
            ):
                out[start:end] += value
        return out

    def _term_parts(self, query: Sequence[str]) -> Iterator[tuple[Int64s, Floats]]:
        """Each query term's postings (global ids) and score parts, segment by segment, terms
        in canonical order: the reference sum that ``scores`` adds up."""
        terms = self._query(query)
        k1 = self.params.k1
        for term_id, weight in zip(terms.ids.tolist(), terms.weights.tolist(), strict=True):
            for segment, lengths, base in zip(
                self._segments, self._lengths, self._bases, strict=False
            ):
                slot = int(segment.slots(np.array([term_id], dtype=np.int64))[0])
                if slot >= 0:
                    docs, tfs = segment.postings(slot)
                    norms = self._norm_table[lengths[docs]]
                    yield docs.astype(np.int64) + base, weight * tf_part(tfs, norms, k1)

    def matching_scores(self, query: Sequence[str]) -> tuple[Int64s, Floats]:
        """Ids (ascending) and scores of the documents holding a query term, and no others.

        The same sums as :meth:`scores`, to the bit, without an array of every document:
        the title field scores a million titles per query this way, one compiled merge of
        the query's postings per segment (:mod:`retrieval.matching`).
        """
        terms = self._query(query)
        ids: list[Int64s] = []
        sums: list[Floats] = []
        if terms.ids.shape[0]:
            for segment, lengths, base in zip(
                self._segments, self._lengths, self._bases, strict=False
            ):
                local, found = segment_matches(
                    segment, terms.ids, terms.weights, lengths, self._norm_table, self.params.k1
                )
                if local.shape[0]:
                    ids.append(local + base)
                    sums.append(found)
        if not ids:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        if len(ids) == 1:
            return ids[0], sums[0]
        # Segments hold consecutive id ranges in order, so their ascending runs just join.
        return np.concatenate(ids), np.concatenate(sums)

    def scores_between(self, query: Sequence[str], start: int, stop: int) -> Floats:
        """``scores(query)[start:stop]``, reading only the postings inside that id range.

        An article's passages have consecutive ids, so citing a hit can rank the passages of
        its article alone: a binary search per posting list instead of a pass over the corpus.
        """
        start, stop = max(start, 0), min(stop, self.n_docs)
        out = np.zeros(max(stop - start, 0), dtype=np.float64)
        if stop <= start:
            return out
        terms = self._query(query)
        k1 = self.params.k1
        for segment, lengths, base in zip(self._segments, self._lengths, self._bases, strict=False):
            first, last = max(start - int(base), 0), min(stop - int(base), segment.n_docs)
            if first >= last:
                continue
            slots = segment.slots(terms.ids).tolist()
            for weight, slot in zip(terms.weights.tolist(), slots, strict=True):
                if slot < 0:
                    continue
                docs, tfs = segment.postings(slot)
                # Bounds in the postings' own dtype: a mixed-type search would copy the list.
                lo, hi = docs.searchsorted(np.array((first, last), dtype=docs.dtype)).tolist()
                if lo == hi:
                    continue
                inside = docs[lo:hi]
                norms = self._norm_table[lengths[inside]]
                out[base + inside - start] += weight * tf_part(tfs[lo:hi], norms, k1)
        return out

    def count_matching(self, query: Sequence[str]) -> int:
        """How many passages contain at least one known query term."""
        known = [self._terms[term] for term in set(query) if term in self._terms]
        ids = np.array(known, dtype=np.int64)
        self._check(ids)
        hit = np.zeros(self.n_docs, dtype=bool)
        for segment, base in zip(self._segments, self._bases, strict=False):
            for slot in segment.slots(ids).tolist():
                if slot >= 0:
                    hit[base + segment.postings(slot)[0]] = True
        return int(np.count_nonzero(hit))

    def scores_in(self, query: Sequence[str], starts: Int64s, stops: Int64s) -> Floats:
        """``scores(query)[a:b]`` for each ``(a, b)`` of ``zip(starts, stops)``, concatenated.

        :meth:`scores_between` over several id ranges at once (sorted, disjoint, inside the
        index), so a page of hits scores the rest of all its articles in one pass: one
        compiled walk per segment over each term's postings inside each range
        (:mod:`retrieval.page_kernels`), adding a document's parts term by term as
        ``scores_between`` does, so the sums are equal to the bit.
        """
        starts = np.asarray(starts, dtype=np.int64)
        stops = np.asarray(stops, dtype=np.int64)
        offsets = np.concatenate(([0], np.cumsum(stops - starts)))
        out = np.zeros(int(offsets[-1]), dtype=np.float64)
        if not out.shape[0]:
            return out
        terms = self._query(query)
        for segment, lengths, base in zip(self._segments, self._lengths, self._bases, strict=False):
            if stops[-1] <= base or starts[0] >= base + segment.n_docs:
                continue  # the ranges are sorted: none reaches into this segment
            add_range_scores(segment, terms.ids, terms.weights, lengths, self._norm_table,
                             self.params.k1, (starts, stops, offsets, int(base)), out)  # fmt: skip
        return out

    def holding(self, query: Sequence[str], doc_ids: Int64s) -> npt.NDArray[np.bool_]:
        """Which of ``doc_ids`` contain each distinct known term of ``query``, as a bool matrix.

        Row ``i`` is the ``i``-th distinct term of ``query`` in first-appearance order (an
        unknown term's row is all False). A compiled binary search per term, document and
        segment (:mod:`retrieval.page_kernels`): cheap whatever the size of the index.
        """
        distinct = list(dict.fromkeys(query))
        docs = np.asarray(doc_ids, dtype=np.int64)
        out = np.zeros((len(distinct), docs.shape[0]), dtype=bool)
        ids = np.array([self._terms.get(term, -1) for term in distinct], dtype=np.int64)
        self._check(ids)
        for segment, base in zip(self._segments, self._bases, strict=False):
            mark_holding(segment, ids, docs - base, out)
        return out
