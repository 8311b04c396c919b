"""Immutable postings segments, the building blocks of a BM25 index snapshot.

A segment holds the postings of a contiguous run of documents: for every term it
contains, the ascending local doc ids and the term frequencies. Segments never
change after they are built; live updates add new segments and merge old ones into
new arrays, so a reader holding an older snapshot keeps a consistent view.

Segments hold no scores: BM25 depends on the whole index's document count and average
length, which every update changes, so scores are computed at query time from tf and
document length (see :mod:`retrieval.topk`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from retrieval.build_kernels import count_postings, fill_postings
from retrieval.postings_kernels import scatter_part

Int32s = npt.NDArray[np.int32]
Int64s = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Counts = npt.NDArray[np.unsignedinteger]


def new_segment_name() -> str:
    """A fresh random segment name, safe as a directory name: ``seg-`` and 16 hex digits."""
    return f"seg-{secrets.token_hex(8)}"


@dataclass(frozen=True, slots=True)
class Segment:
    """Postings for documents ``[0, n_docs)`` local to this segment, sorted by (term, doc)."""

    doc_len: Int32s
    terms: Int32s
    offsets: Int64s
    docs: Int32s
    tfs: Counts
    # A segment never changes, so a name given at birth identifies its contents for good:
    # saving writes each name once and later saves skip it (see retrieval.bm25_files).
    name: str = field(default_factory=new_segment_name, compare=False)
    # Loaded from disk: one flag per term, set once its postings were checked, and the
    # folder they came from (see retrieval.postings_checks). None: built here, trusted.
    checked: npt.NDArray[np.bool_] | None = field(default=None, compare=False)
    source: str = field(default="", compare=False)

    @property
    def n_docs(self) -> int:
        """Number of documents (including empty ones) in this segment."""
        return int(self.doc_len.shape[0])

    @property
    def nbytes(self) -> int:
        """Bytes held by this segment's arrays."""
        arrays = (self.doc_len, self.terms, self.offsets, self.docs, self.tfs)
        return sum(int(a.nbytes) for a in arrays)

    def postings(self, slot: int) -> tuple[Int32s, Counts]:
        """The doc ids and term frequencies of the term stored at ``slot`` (views, no copy)."""
        start, stop = int(self.offsets[slot]), int(self.offsets[slot + 1])
        return self.docs[start:stop], self.tfs[start:stop]

    def slots(self, term_ids: Int64s) -> Int64s:
        """Where each global term id sits in ``terms``, or -1 when this segment lacks it."""
        pos = np.searchsorted(self.terms, term_ids)
        found = pos < self.terms.shape[0]
        found[found] = self.terms[pos[found]] == term_ids[found]
        return np.where(found, pos, -1).astype(np.int64)

    def document_frequencies(self) -> Int64s:
        """How many of this segment's documents contain each term in ``terms``."""
        return np.diff(self.offsets)


def doc_norms(doc_len: npt.NDArray[np.integer], k1: float, b: float, avgdl: float) -> Floats:
    """``k1*(1-b+b*dl/avgdl)`` per document, evaluated exactly as ``rank_bm25`` does.

    The operation order matches the reference so the tf parts agree to the last bit.
    """
    if avgdl <= 0:
        # Every document is empty: no postings exist, so the norm is never used.
        return np.full(doc_len.shape[0], k1 * (1 - b), dtype=np.float64)
    return k1 * (1 - b + b * doc_len.astype(np.float64) / avgdl)


def tf_part(tfs: Counts, norms: Floats, k1: float) -> Floats:
    """The BM25 tf saturation ``tf*(k1+1)/(tf+norm)`` in the reference's operation order."""
    tf = tfs.astype(np.float64)
    return tf * (k1 + 1) / (tf + norms)


def _smallest_count_dtype(max_tf: int) -> type[np.unsignedinteger]:
    """Store term frequencies in one byte when they fit: most postings have tf 1 or 2."""
    for dtype in (np.uint8, np.uint16, np.uint32):
        if max_tf <= np.iinfo(dtype).max:
            return dtype
    return np.uint64


def build_segment(flat_terms: Int32s, doc_len: Int32s) -> Segment:
    """Build a segment from each document's term ids laid end to end.

    A counting sort by term, compiled (:mod:`retrieval.build_kernels`): one pass counts
    each term's documents, a prefix sum places each term's run, a second pass writes the
    postings. Linear in tokens; beside the output it holds three tables the size of the
    vocabulary, where sorting ``term << 32 | doc`` keys held 8 bytes per token.
    """
    # The kernels index by term id and read doc_len's tokens unchecked: check both here.
    if int(doc_len.sum(dtype=np.int64)) != flat_terms.shape[0] or int(doc_len.min(initial=0)) < 0:
        raise ValueError("doc_len must be non-negative and add up to the number of term ids")
    if flat_terms.shape[0] and int(flat_terms.min()) < 0:
        raise ValueError("term ids must not be negative")
    n_terms = int(flat_terms.max()) + 1 if flat_terms.shape[0] else 0
    df, max_tf = count_postings(flat_terms, doc_len, n_terms)
    terms = np.flatnonzero(df).astype(np.int32)
    offsets = np.zeros(terms.shape[0] + 1, dtype=np.int64)
    np.cumsum(df[terms], out=offsets[1:])
    cursor = np.zeros(n_terms, dtype=np.int64)
    cursor[terms] = offsets[:-1]
    del df
    docs = np.empty(int(offsets[-1]), dtype=np.int32)
    tfs = np.empty(int(offsets[-1]), dtype=_smallest_count_dtype(int(max_tf)))
    fill_postings(flat_terms, doc_len, cursor, docs, tfs)
    return Segment(doc_len=doc_len, terms=terms, offsets=offsets, docs=docs, tfs=tfs)


def merge_segments(parts: list[Segment]) -> Segment:
    """One segment holding ``parts`` in order; local doc ids are shifted to stay contiguous.

    A counting merge, linear in postings: each term's postings are the parts' postings for
    that term laid one after another, and parts are in doc order, so docs stay ascending.
    Merging many parts at once costs no more memory than two: only the output is new.
    """
    terms = np.unique(np.concatenate([part.terms for part in parts]))
    slots = [np.searchsorted(terms, part.terms) for part in parts]
    df = np.zeros(terms.shape[0], dtype=np.int64)
    for part, slot in zip(parts, slots, strict=True):
        df[slot] += part.document_frequencies()
    offsets = np.zeros(terms.shape[0] + 1, dtype=np.int64)
    np.cumsum(df, out=offsets[1:])
    docs = np.empty(int(offsets[-1]), dtype=np.int32)
    tf_dtype = np.result_type(*(part.tfs.dtype for part in parts))
    tfs = np.empty(int(offsets[-1]), dtype=tf_dtype)
    cursor = offsets[:-1].copy()
    base = 0
    for part, slot in zip(parts, slots, strict=True):
        # Compiled: a numpy scatter here held three 8-byte temporaries per posting.
        scatter_part(docs, tfs, cursor, slot, part.docs, part.tfs, part.offsets, base)
        base += part.n_docs
    doc_len = np.concatenate([part.doc_len for part in parts]).astype(np.int32)
    return Segment(
        doc_len=doc_len,
        terms=terms.astype(np.int32),
        offsets=offsets,
        docs=docs,
        tfs=tfs,
    )
