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
searches first read them (:mod:`retrieval.postings_checks`). The exact scores other than
top-k (every passage, an id range, the passages holding a term) are in
:mod:`retrieval.bm25_scores`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np

from retrieval.bm25_files import read_index, write_index
from retrieval.bm25_scores import IndexScores
from retrieval.bm25_terms import encode, idf_table
from retrieval.errors import StoreError
from retrieval.matching import warm_up as warm_matching
from retrieval.merge_policy import merge_tail
from retrieval.page_kernels import warm_up as warm_ranges
from retrieval.postings_checks import check_all
from retrieval.recency import DateWindow
from retrieval.segment_files import map_segments
from retrieval.segments import (
    Floats,
    Int64s,
    Segment,
    build_segment,
    doc_norms,
    merge_segments,
)
from retrieval.topk import (
    Bonus,
    compact_lengths,
    kth_score,
    merge_top_k,
    search_segment,
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


class Index(IndexScores):
    """An immutable BM25 snapshot made of segments; see the module docstring.

    Its exact scores besides :meth:`top_k` (every passage, id ranges, matching passages)
    come from :class:`~retrieval.bm25_scores.IndexScores`.
    """

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

    # -- scoring ---------------------------------------------------------------------------

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
        ids, scores, _, _ = self.top_k_covered(query, k, 0.0, dates, bonus)
        return ids, scores

    def top_k_covered(
        self,
        query: Sequence[str],
        k: int,
        alpha: float,
        dates: DateWindow | None = None,
        bonus: Bonus | None = None,
    ) -> tuple[Int64s, Floats, Int64s, Floats]:
        """:meth:`top_k` with words scored by their coverage to the power ``alpha``
        (:mod:`retrieval.coverage`; 0: off), then :meth:`top_k` itself from the same sweep."""
        terms = self._query(query, cover=alpha > 0)
        extra = bonus if bonus is not None and len(bonus) else None
        ids = plain_ids = np.zeros(0, dtype=np.int64)
        scores = plain = np.zeros(0, dtype=np.float64)
        if k <= 0 or (terms.ids.shape[0] == 0 and extra is None):
            return ids, scores, plain_ids, plain
        if dates is not None and dates.stamps.shape[0] != self.n_docs:
            raise ValueError(f"{dates.stamps.shape[0]} passage dates for {self.n_docs} passages")
        # Largest segment first: its k-th score keeps most of the small ones' out of the heap.
        order = sorted(range(len(self._segments)), key=lambda i: -self._segments[i].n_docs)
        for i in order:
            segment, base = self._segments[i], int(self._bases[i])
            local, found, plain_local, plain_found = search_segment(
                segment, terms, self._lengths[i], self._norm_table, k=k, k1=self.params.k1,
                threshold=kth_score(scores, k),
                dates=None if dates is None else _local(dates, base, segment),
                bonus=None if extra is None else extra.within(base, segment.n_docs),
                alpha=alpha,
            )  # fmt: skip
            ids, scores = merge_top_k(ids, scores, local + base, found, k)
            if alpha > 0:  # the plain list keeps its own k best
                plain_ids, plain = merge_top_k(plain_ids, plain, plain_local + base, plain_found, k)
        return (ids, scores, plain_ids, plain) if alpha > 0 else (ids, scores, ids, scores)

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
        new ones are mapped (see :func:`retrieval.segment_files.map_segments`).
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
