"""Checking a loaded index lazily: its layout at load, each term's postings at first use.

The compiled search kernels read without bounds checks, so a doc id out of range or out of
order in a tampered or damaged file must never reach them. Loading checks what is cheap and
small (array types and sizes against the manifest, ascending term ids, offsets that tile
the postings: :func:`offsets_valid`), and leaves each segment with a ``checked`` flag per
term, all clear. A search then checks the postings of its own terms the first time it
meets them (:func:`ensure_checked`, one compiled pass over those runs only), and a merge
checks every run of the segments it reads (:func:`check_all`). Reading every posting at
load instead was most of a restart at 10M passages (~2 GB of doc ids).

A damaged run is found at the first search that touches it, which then fails with a
:class:`~retrieval.errors.StoreError` naming the index folder to delete; undamaged terms
keep answering. Segments built in this process carry no flags (``checked is None``): they
are trusted as built.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from retrieval.errors import StoreError
from retrieval.postings_kernels import check_runs
from retrieval.segments import Int64s, Segment


def offsets_valid(offsets: Int64s, n_postings: int) -> bool:
    """Whether ``offsets`` starts at 0, ends at ``n_postings`` and makes every run non-empty.

    One pass over the terms, not the postings; what :func:`check_runs` relies on to stay
    inside ``docs``.
    """
    if offsets.shape[0] == 0 or int(offsets[0]) != 0 or int(offsets[-1]) != n_postings:
        return False
    return bool(np.all(offsets[1:] > offsets[:-1]))


def ensure_checked(segment: Segment, term_ids: Int64s) -> None:
    """Check the postings of ``term_ids`` in ``segment`` unless done already; StoreError if bad."""
    if segment.checked is not None:
        _check(segment, segment.slots(term_ids))


def check_all(segment: Segment) -> None:
    """Check every term's postings in ``segment`` not checked yet; StoreError if any is bad."""
    if segment.checked is not None:
        _check(segment, np.arange(segment.terms.shape[0], dtype=np.int64))


def _check(segment: Segment, slots: Int64s) -> None:
    bad = check_runs(segment.docs, segment.offsets, slots, segment.n_docs, segment.checked)
    if bad >= 0:
        raise damaged(segment, f"the postings of term {int(segment.terms[bad])}")


def damaged(segment: Segment, what: str) -> StoreError:
    """The error for a damaged saved segment: what is wrong, and which folder to delete."""
    folder = Path(segment.source)
    return StoreError(
        f"the search index in {folder.parent} is damaged ({what} in {folder.name} are out of "
        f"order or out of range): delete the folder {folder.parent}; it is rebuilt from the "
        "store at the next start"
    )
