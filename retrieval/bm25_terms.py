"""Term ids and term weights for the BM25 index: the two per-term tables it keeps, and the
query terms some of which weigh less (``ScaledTerms``).

Tokens become dense integer ids here (the only per-token Python work in a build), and
document frequencies become idf values under either scorer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import overload

import numpy as np

from retrieval.segments import Floats, Int32s, Int64s


def encode(
    token_lists: Iterable[Sequence[str]], vocabulary: dict[str, int]
) -> tuple[dict[str, int], Int32s, Int32s]:
    """Term ids of every token laid end to end, each document's length, the grown vocabulary.

    One ``np.fromiter`` over a ``defaultdict`` whose factory is its own ``len`` (the next
    free id) keeps the per-token work in C; this loop is most of the build time. Measured
    against it (16M tokens, CPU seconds, 2-core EPYC): ``dict.get`` after a
    ``dict.fromkeys`` pass for new terms 5.3 vs 2.8; ``setdefault`` with a counter and a
    remap table 3.6-4.3; ``array.array`` instead of ``fromiter`` 4.9; a per-document list
    comprehension slower still. About half the time is the dict lookup itself.
    """
    table: defaultdict[str, int] = defaultdict(None, vocabulary)
    table.default_factory = table.__len__
    documents = token_lists if isinstance(token_lists, Sequence) else list(token_lists)
    # Per batch, not per document: the checks and lengths map C calls over the whole list;
    # a Python generator yielding each document cost a tenth of encoding (200k passages,
    # 10.6M tokens: 0.64 s of CPU, now 0.58 s).
    if any(issubclass(kind, str) for kind in set(map(type, documents))):
        raise TypeError("each document must be a sequence of tokens, not a string")
    lengths = np.fromiter(map(len, documents), dtype=np.int32, count=len(documents))
    tokens = int(lengths.sum(dtype=np.int64))
    flat = np.fromiter(
        map(table.__getitem__, chain.from_iterable(documents)), dtype=np.int32, count=tokens
    )
    return dict(table), flat, lengths


def idf_table(scorer: str, epsilon: float, df: Int64s, n_docs: int) -> Floats:
    """idf per vocabulary id; 0.0 for ids no document of this snapshot contains."""
    idf = np.zeros(df.shape[0], dtype=np.float64)
    seen = df > 0
    n = df[seen].astype(np.float64)
    if scorer == "lucene":
        idf[seen] = np.log(1 + (n_docs - n + 0.5) / (n + 0.5))
        return idf
    raw = np.log(n_docs - n + 0.5) - np.log(n + 0.5)
    if raw.shape[0]:
        # rank_bm25 floors negative idf at epsilon times the mean over the whole vocabulary.
        floor = epsilon * (float(raw.sum()) / raw.shape[0])
        raw[raw < 0] = floor
    idf[seen] = raw
    return idf


@dataclass(frozen=True, slots=True)
class ScaledTerms(Sequence[str]):
    """Query terms (repeats kept) of which those in ``scales`` weigh that factor times their
    idf: a question's asked noun (:mod:`retrieval.asked_noun`).

    A sequence of the terms themselves to everything that reads terms; the index's scores
    (``IndexScores._query``) read the scales too, so the sweep, the reference sum and every
    other exact score weigh the terms alike. A term scaled by 0 is dropped as an unknown one.
    """

    terms: tuple[str, ...]
    scales: tuple[tuple[str, float], ...]

    def scale(self, term: str) -> float:
        """The factor on ``term``'s weight: 1 unless ``scales`` names it."""
        return dict(self.scales).get(term, 1.0)

    def only(self, term: str) -> ScaledTerms:
        """This query's repeats of ``term`` alone, with its scale (a "Why?" line's score)."""
        return ScaledTerms(tuple(t for t in self.terms if t == term), self.scales)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[str, ...]: ...
    def __getitem__(self, index: int | slice) -> str | tuple[str, ...]:
        return self.terms[index]

    def __len__(self) -> int:
        return len(self.terms)

    def __iter__(self) -> Iterator[str]:
        return iter(self.terms)


def scale_of(terms: Sequence[str], term: str) -> float:
    """The factor on ``term``'s weight in the query ``terms``: 1 unless they are
    :class:`ScaledTerms` that scale it."""
    return terms.scale(term) if isinstance(terms, ScaledTerms) else 1.0
