"""Near-identical passages of different articles (wire copies, re-posts) folded into one result.

Each passage gets a MinHash signature when it is ingested: ``HASHES`` minima of its 3-term
shingles (of its analysed terms, title excluded) under as many hash functions, each kept to
16 bits, 64 bytes a passage. The share of equal entries in two signatures estimates the
Jaccard similarity of the two passages' shingle sets (16-bit minima add a 1/65536 chance of
a false match per entry, negligible). At query time the ranked list is walked best first: a
passage of another article whose signature agrees with a shown result's on at least
``THRESHOLD`` of the entries joins that result instead of taking a place of its own. The
result then shows the newest copy (then the longest passage, then the best ranked) and names
the others ("also in").

Signatures come from the terms the index already computed, so ingest pays only the hashing;
stores written before signatures existed get them computed from the passage text when a
search first needs them.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np
import numpy.typing as npt

from retrieval.models import ArticleInfo
from retrieval.store import Store
from retrieval.text import Analyzer

HASHES = 32
"""Hash functions per signature: an estimate's sd is about sqrt(J(1-J)/32), 0.07 at J=0.8."""

SHINGLE = 3
"""Terms per shingle: one changed word alters three shingles, a reordered story most."""

MIN_SHINGLES = 10
"""Passages with fewer shingles get no signature and never fold: in a one-line passage a
single shared phrase is a third of the set, and 32 hashes cannot tell 0.4 from 0.5 there."""

THRESHOLD = 0.5
"""Share of agreeing signature entries from which two passages are copies (``bench/copies.py``)."""

_MASK = np.uint64(0xFFFF)
_HIGH = np.uint64(32)
_rng = np.random.default_rng(20240601)  # fixed: signatures are stored and must stay comparable
_A = _rng.integers(0, 1 << 64, size=HASHES, dtype=np.uint64) | np.uint64(1)
_B = _rng.integers(0, 1 << 64, size=HASHES, dtype=np.uint64)


def signature(terms: Sequence[str]) -> bytes:
    """The MinHash signature of a passage's terms; empty bytes (never folds) below ``MIN_SHINGLES``.

    Shingle hashes are CRC-32 (stable across processes, unlike ``hash``); each hash function
    is multiply-shift, the high 32 bits of ``a*x + b`` mod 2**64 with ``a`` odd. (A small
    multiplier taken modulo a large prime keeps the order of ``x``, so every function would
    pick the same minimum and the estimate would be 0 or 1: measured, and fixed, here.)
    """
    shingles = {" ".join(terms[i : i + SHINGLE]) for i in range(len(terms) - SHINGLE + 1)}
    if len(shingles) < MIN_SHINGLES:
        return b""
    x = np.fromiter((zlib.crc32(s.encode()) for s in shingles), np.uint64, len(shingles))
    hashed = (_A[:, None] * x[None, :] + _B[:, None]) >> _HIGH  # wraps mod 2**64 by design
    return bytes((hashed.min(axis=1) & _MASK).astype("<u2").tobytes())


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two signatures (0 when either passage had no terms)."""
    if not a or not b or len(a) != len(b):
        return 0.0
    left = np.frombuffer(a, dtype="<u2")
    right = np.frombuffer(b, dtype="<u2")
    return int(np.count_nonzero(left == right)) / int(left.shape[0])


def fold(
    passages: Sequence[int],
    owners: Sequence[int],
    signatures: Mapping[int, bytes],
    threshold: float = THRESHOLD,
) -> list[list[int]]:
    """Group the copies among ranked ``passages`` (best first; ``owners`` are their articles).

    Returns positions in ``passages``, one list per result in rank order, best member first.
    A passage joins the first earlier group holding a passage of another article whose
    signature it matches at ``threshold`` or more, unless that group already holds a passage
    of its own article: two passages of one article never fold.
    """
    groups: list[list[int]] = []
    for position, passage in enumerate(passages):
        mine = signatures.get(passage, b"")
        home = None
        if mine:
            home = next(
                (
                    group
                    for group in groups
                    if any(
                        owners[other] != owners[position]
                        and similarity(mine, signatures.get(passages[other], b"")) >= threshold
                        for other in group
                    )
                ),
                None,
            )
        if home is None or any(owners[other] == owners[position] for other in home):
            groups.append([position])
        else:
            home.append(position)
    return groups


def shown_copy(dates: Sequence[datetime | None], lengths: Sequence[int]) -> int:
    """Which copy of a group (listed best ranked first) to show: newest, then longest, then first.

    Undated copies count as older than any dated one.
    """

    def key(i: int) -> tuple[bool, float, int, int]:
        date = dates[i]
        return (date is not None, date.timestamp() if date else 0.0, lengths[i], -i)

    return max(range(len(dates)), key=key)


def fold_ranked(
    store: Store,
    analyzer: Analyzer,
    owners: npt.NDArray[np.int32],
    ranked: Sequence[tuple[int, float]],
    k: int,
    threshold: float = THRESHOLD,
) -> tuple[list[tuple[int, float]], list[tuple[ArticleInfo, ...]]]:
    """The first ``k`` results of ``ranked`` after folding copies, and each one's other copies.

    Each result keeps its best copy's place and shows the copy :func:`shown_copy` picks, with
    that copy's own score. Article metadata is read only for groups that folded something.
    """
    ids = [pid for pid, _ in ranked]
    signatures = store.signatures(ids)
    missing = [pid for pid in ids if pid not in signatures]
    for passage in store.passages(missing):  # stored before signatures existed
        signatures[passage.id] = signature(analyzer.terms(passage.text))
    groups = fold(ids, owners[ids].tolist(), signatures, threshold)[:k]
    members = [ids[i] for group in groups if len(group) > 1 for i in group]
    found = {p.id: p for p in store.passages(members)}
    infos = store.articles(list({p.article_id for p in found.values()}))
    out: list[tuple[int, float]] = []
    also: list[tuple[ArticleInfo, ...]] = []
    for group in groups:
        copies = [found.get(ids[i]) for i in group]
        if len(group) == 1 or any(c is None for c in copies):
            out.append(ranked[group[0]])
            also.append(())
            continue
        articles = [infos[c.article_id] for c in copies if c is not None]
        lengths = [len(c.text) for c in copies if c is not None]
        pick = shown_copy([a.date for a in articles], lengths)
        out.append(ranked[group[pick]])
        also.append(tuple(a for i, a in enumerate(articles) if i != pick))
    return out, also
