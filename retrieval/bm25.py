"""A BM25 index over token lists: exact scores, pruned top-k, immutable segmented snapshots.

Scores equal ``rank_bm25.BM25Okapi(corpus).get_scores(query)`` (scorer ``"okapi"``, with
its epsilon floor on negative idf) or Lucene's never-negative idf (scorer ``"lucene"``),
with the same tf part ``tf*(k1+1)/(tf + k1*(1-b+b*dl/avgdl))``. Repeated query terms
count once per repetition, like the reference. Tokenizing is someone else's job.

An :class:`Index` never changes: :meth:`Index.add` returns a new snapshot that shares the
old segments, so a reader in another thread keeps a consistent view. Each snapshot owns
its own vocabulary dict (copied on add, a few milliseconds even for 100k terms), which
is simpler to trust than a shared append-only dict that a reader might see half-grown.
Global doc ids are ``0..n_docs-1`` in insertion order across segments. Segments stop
merging at ``MAX_MERGE_DOCS`` passages (:mod:`retrieval.merge_policy`), and
:meth:`Index.spill` moves a snapshot's segments to files it then reads memory-mapped, so
building 10M passages batch by batch holds one batch and one merge at a time rather than
the whole index twice over. A loaded snapshot's postings are checked term by term as
searches first read them (:mod:`retrieval.postings_checks`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import numpy.typing as npt

from retrieval.bm25_files import map_segments, read_index, write_index
from retrieval.bm25_terms import encode, idf_table
from retrieval.errors import StoreError
from retrieval.matching import segment_matches
from retrieval.matching import warm_up as warm_matching
from retrieval.merge_policy import merge_tail
from retrieval.page_kernels import add_range_scores, mark_holding
from retrieval.page_kernels import warm_up as warm_ranges
from retrieval.postings_checks import check_all, ensure_checked
from retrieval.recency import DateWindow
from retrieval.segments import (
    Floats,
    Int64s,
    Segment,
    build_segment,
    doc_norms,
    merge_segments,
    tf_part,
)
from retrieval.topk import (
    Bonus,
    QueryTerms,
    compact_lengths,
    kth_score,
    search_segment,
    select_top_k,
    warm_up,
)

Scorer = Literal["lucene", "okapi"]
"""The BM25 variants by name; every list of choices (CLI, settings, validation) derives from it."""
SCORERS: tuple[Scorer, ...] = get_args(Scorer)
"""Every ``Scorer`` name, in order: the choices a command line or a setting offers."""


@dataclass(frozen=True, slots=True)
class BM25Params:
    """How documents are scored; the defaults of ``k1``, ``b`` and ``epsilon`` are rank_bm25's."""

    scorer: Scorer = "lucene"
    k1: float = 1.5
    b: float = 0.75
    epsilon: float = 0.25

    def __post_init__(self) -> None:
        if self.scorer not in SCORERS:
            names = " or ".join(repr(name) for name in SCORERS)
            raise ValueError(f"scorer must be {names}, not {self.scorer!r}")
        numbers = (self.k1, self.b, self.epsilon)
        if not all(isinstance(x, int | float) and np.isfinite(x) for x in numbers):
            raise ValueError("k1, b and epsilon must be finite numbers")
        if self.k1 < 0 or not 0 <= self.b <= 1:
            raise ValueError(f"need k1 >= 0 and 0 <= b <= 1, got k1={self.k1}, b={self.b}")


class Index:
    """An immutable BM25 snapshot made of segments; see the module docstring."""

    __slots__ = (
        "_avgdl",
        "_bases",
        "_df",
        "_idf",
        "_lengths",
        "_norm_table",
        "_segments",
        "_terms",
        "_tokens",
        "n_docs",
        "params",
    )

    def __init__(
        self, params: BM25Params, terms: dict[str, int], segments: Sequence[Segment]
    ) -> None:
        """Derive global statistics; callers use :meth:`build`, :meth:`empty` or :meth:`add`."""
        self.params = params
        self._terms = terms
        self._segments = tuple(segments)
        sizes = [segment.n_docs for segment in self._segments]
        self._bases = np.cumsum([0, *sizes]).astype(np.int64)
        self.n_docs = int(self._bases[-1])
        # Integer token total, so avgdl is the reference's num_doc / corpus_size to the bit.
        self._tokens = sum(int(segment.doc_len.sum(dtype=np.int64)) for segment in self._segments)
        self._avgdl = self._tokens / self.n_docs if self.n_docs else 0.0
        df = np.zeros(len(terms), dtype=np.int64)
        for segment in self._segments:
            df[segment.terms] += segment.document_frequencies()
        self._df = df
        self._idf = idf_table(params.scorer, params.epsilon, df, self.n_docs)
        # A norm depends only on the document length: one small table, looked up by length.
        self._lengths = tuple(compact_lengths(segment.doc_len) for segment in self._segments)
        longest = max((int(lengths.max(initial=0)) for lengths in self._lengths), default=0)
        self._norm_table = doc_norms(np.arange(longest + 1), params.k1, params.b, self._avgdl)
        for segment, lengths in zip(self._segments, self._lengths, strict=True):
            warm_up(segment.tfs.dtype, lengths.dtype)
            warm_matching(segment.tfs.dtype, lengths.dtype)
            warm_ranges(segment.tfs.dtype, lengths.dtype)

    # -- construction ----------------------------------------------------------------------

    @classmethod
    def empty(cls, params: BM25Params = BM25Params()) -> Index:
        """An index with no documents: every query scores nothing."""
        return cls(params, {}, ())

    @classmethod
    def build(
        cls,
        token_lists: Iterable[Sequence[str]],
        params: BM25Params = BM25Params(),
    ) -> Index:
        """Index ``token_lists`` (one list of tokens per passage) from scratch."""
        return cls.empty(params).add(token_lists)

    def add(self, token_lists: Iterable[Sequence[str]]) -> Index:
        """A new snapshot with ``token_lists`` appended; this one stays valid and unchanged."""
        terms, flat, lengths = encode(token_lists, self._terms)
        if lengths.shape[0] == 0:
            return self
        segments = [*self._segments, build_segment(flat, lengths)]
        del flat
        tail = merge_tail([segment.n_docs for segment in segments])
        if tail >= 2:
            for part in segments[-tail:]:
                check_all(part)  # a merge reads every posting: a damaged one must not pass
            segments[-tail:] = [merge_segments(segments[-tail:])]
        return Index(self.params, terms, segments)

    # -- facts -----------------------------------------------------------------------------

    @property
    def vocabulary_size(self) -> int:
        """Number of distinct terms in the indexed documents."""
        return len(self._terms)

    @property
    def segment_count(self) -> int:
        """Number of segments; stays near log2(n_docs) under the merge policy."""
        return len(self._segments)

    @property
    def nbytes(self) -> int:
        """Approximate memory held by the arrays (the vocabulary dict is not counted)."""
        arrays = sum(segment.nbytes for segment in self._segments)
        derived = sum(lengths.nbytes for lengths in self._lengths) + self._norm_table.nbytes
        derived += self._df.nbytes + self._idf.nbytes
        return int(arrays + derived)

    def idf(self, term: str) -> float:
        """The idf this snapshot uses for ``term``; 0.0 for a term no passage contains."""
        term_id = self._terms.get(term)
        return 0.0 if term_id is None else float(self._idf[term_id])

    def document_frequency(self, term: str) -> int:
        """How many passages of this snapshot contain ``term``; 0 for an unknown term."""
        term_id = self._terms.get(term)
        return 0 if term_id is None else int(self._df[term_id])

    def _query(self, query: Sequence[str]) -> QueryTerms:
        """Known query terms, first appearance first, weighted by idf times repetitions."""
        counts: dict[int, int] = {}
        for term in query:
            term_id = self._terms.get(term)
            if term_id is not None:
                counts[term_id] = counts.get(term_id, 0) + 1
        ids = np.fromiter(counts, dtype=np.int64, count=len(counts))
        reps = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        weights = self._idf[ids] * reps
        keep = weights != 0
        self._check(ids[keep])
        return QueryTerms(ids[keep], weights[keep])

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

    def top_k(
        self,
        query: Sequence[str],
        k: int,
        dates: DateWindow | None = None,
        bonus: Bonus | None = None,
    ) -> tuple[Int64s, Floats]:
        """The ``k`` best passages as (ids int64, scores float64), exact.

        Ordered by ``(-score, id)``; a score ``<= 0`` is never returned. Every posting of
        the query is scored (see :mod:`retrieval.topk`), so negative okapi weights need no
        special path. ``bonus`` (sorted, disjoint id ranges: the title field) is added to
        the documents it covers, which may then score without holding a query term. With
        ``dates`` (one stamp per passage) the scores are then multiplied by
        ``recency.factors(dates)``: passages outside its window are never returned, and the
        rest carry their recency prior.
        """
        terms = self._query(query)
        extra = bonus if bonus is not None and len(bonus) else None
        if k <= 0 or (terms.ids.shape[0] == 0 and extra is None):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        if dates is not None and dates.stamps.shape[0] != self.n_docs:
            raise ValueError(f"{dates.stamps.shape[0]} passage dates for {self.n_docs} passages")
        ids = np.zeros(0, dtype=np.int64)
        scores = np.zeros(0, dtype=np.float64)
        # Largest segment first: its k-th score keeps most of the small ones' out of the heap.
        order = sorted(range(len(self._segments)), key=lambda i: -self._segments[i].n_docs)
        for i in order:
            n = self._segments[i].n_docs
            local, found = search_segment(
                self._segments[i],
                terms,
                self._lengths[i],
                self._norm_table,
                k=k,
                k1=self.params.k1,
                threshold=kth_score(scores, k),
                dates=None if dates is None else _local(dates, self._bases[i], self._segments[i]),
                bonus=None if extra is None else extra.within(int(self._bases[i]), n),
            )
            ids, scores = select_top_k(
                np.concatenate([ids, local + self._bases[i]]), np.concatenate([scores, found]), k
            )
        return ids, scores

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

    # -- persistence -----------------------------------------------------------------------

    def save(self, directory: Path, origin: dict[str, Any] | None = None) -> None:
        """Write this snapshot to ``directory``: only segments not yet there, then the manifest.

        Cheap after a small :meth:`add` (see :mod:`retrieval.bm25_files`); a crash at any
        point leaves the previous or the new snapshot loadable. ``origin`` is kept beside it
        for :meth:`load_with_origin`.
        """
        write_index(Path(directory), asdict(self.params), list(self._terms), self._segments, origin)

    def spill(self, directory: Path, origin: dict[str, Any] | None = None) -> Index:
        """This snapshot saved to ``directory`` and read back from there, memory-mapped.

        For building an index too big to hold: after each batch, ``index.add(batch).spill``
        leaves every segment in the page cache instead of the process's own memory, so only
        the batch and one merge are ever held (a 10M-passage build peaked at 4.9 GB held in
        memory). Segments already mapped from ``directory`` are kept as they are; only the
        new ones are mapped (see :func:`retrieval.bm25_files.map_segments`).
        """
        directory = Path(directory)
        self.save(directory, origin)
        return Index(self.params, self._terms, map_segments(directory, self._segments))

    @classmethod
    def load(cls, directory: Path, params: BM25Params | None = None) -> Index:
        """Read a saved snapshot; StoreError if it is unreadable or saved with other ``params``."""
        return cls.load_with_origin(directory, params)[0]

    @classmethod
    def load_with_origin(
        cls, directory: Path, params: BM25Params | None = None
    ) -> tuple[Index, dict[str, Any] | None]:
        """A saved snapshot and the ``origin`` it was saved with (None if none was given)."""
        saved, vocabulary, segments, origin = read_index(Path(directory))
        try:
            found = BM25Params(**saved)
        except (TypeError, ValueError) as error:
            raise StoreError(
                f"the search index in {directory} has bad settings: {error}"
            ) from error
        if params is not None and found != params:
            raise StoreError(
                f"the search index in {directory} was built with {found}, not {params}"
            )
        terms = {term: number for number, term in enumerate(vocabulary)}
        if len(terms) != len(vocabulary):
            raise StoreError(f"the search index vocabulary in {directory} repeats a term")
        return cls(found, terms, segments), origin


def _local(dates: DateWindow, base: int, segment: Segment) -> DateWindow:
    """``dates`` with only the stamps of ``segment``, which starts at global id ``base``."""
    return replace(dates, stamps=dates.stamps[int(base) : int(base) + segment.n_docs])
