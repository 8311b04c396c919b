"""Compiled passes over postings arrays: checking a loaded segment's runs, merging segments.

Both can run over every posting of an index (hundreds of millions at 10M passages), where
a numpy expression allocates one or more temporaries the size of the postings: checking a
loaded index with ``np.diff(docs.astype(np.int64))`` held two 8-byte copies of every doc
id (about 8 GB at 10M passages, most of a 35-56 s restart), and merging by fancy-index
scatter held three more (most of a 10 GB build peak). These loops read each posting once
and allocate nothing the size of the postings.
"""

from __future__ import annotations

from typing import Any

from retrieval.jit import compiled


def _check_runs(docs: Any, offsets: Any, slots: Any, n_docs: int, checked: Any) -> Any:
    """Check the runs at ``slots`` not yet ``checked``: ids strictly ascending, inside
    ``[0, n_docs)``. Marks each good one checked; returns the first bad slot, or -1.

    What search relies on to read in bounds. The offsets must already be known good (each
    run non-empty and inside ``docs``: :func:`retrieval.postings_checks.offsets_valid`);
    slots below 0 (terms the segment lacks) are skipped. Per run, its first and last ids
    bound it once the run ascends, and the descents ``docs[i] <= docs[i-1]`` are counted
    without a branch (a loop the compiler vectorizes): five times faster than a compare
    and branch per posting.
    """
    for j in range(slots.shape[0]):
        slot = slots[j]
        if slot < 0 or checked[slot]:
            continue
        start, stop = offsets[slot], offsets[slot + 1]
        if docs[start] < 0 or docs[stop - 1] >= n_docs:
            return slot
        descents = 0
        for i in range(start + 1, stop):
            descents += docs[i] <= docs[i - 1]
        if descents:
            return slot
        checked[slot] = True
    return -1


def _scatter_part(
    docs_out: Any,
    tfs_out: Any,
    cursor: Any,
    slots: Any,
    docs: Any,
    tfs: Any,
    offsets: Any,
    base: int,
) -> None:
    """Append each term's postings of one part where its merged run continues.

    ``slots[j]`` is the merged slot of the part's ``j``-th term, ``cursor`` the next free
    position of each merged run (advanced here); doc ids are shifted by ``base``.
    """
    for j in range(slots.shape[0]):
        slot = slots[j]
        at = cursor[slot]
        for i in range(offsets[j], offsets[j + 1]):
            docs_out[at] = docs[i] + base
            tfs_out[at] = tfs[i]
            at += 1
        cursor[slot] = at


check_runs = compiled(_check_runs)
scatter_part = compiled(_scatter_part)
