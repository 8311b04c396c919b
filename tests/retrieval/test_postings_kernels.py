"""The check of loaded postings (offsets at load, runs at first use) agrees with a plain
reading of what it promises."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.postings_checks import offsets_valid
from retrieval.postings_kernels import check_runs


def reference_valid(docs: list[int], offsets: list[int], n_docs: int) -> bool:
    """Runs non-empty and tiling ``docs`` from 0, ids strictly ascending in ``[0, n_docs)``."""
    if not offsets or offsets[0] != 0 or offsets[-1] != len(docs):
        return False
    for start, stop in itertools.pairwise(offsets):
        run = docs[start:stop]
        if not run or stop > len(docs) or not run[0] >= 0 or run[-1] >= n_docs:
            return False
        if any(b <= a for a, b in itertools.pairwise(run)):
            return False
    return True


def check(docs: list[int], offsets: list[int], n_docs: int) -> None:
    """Offsets checked, then every run by the kernel: the verdict equals the reference's."""
    ids, starts = np.array(docs, dtype=np.int32), np.array(offsets, dtype=np.int64)
    got = offsets_valid(starts, len(docs))
    if got:
        slots = np.arange(len(offsets) - 1, dtype=np.int64)
        checked = np.zeros(len(offsets) - 1, dtype=np.bool_)
        bad = int(check_runs(ids, starts, slots, n_docs, checked))
        got = bad < 0
        assert bool(checked.all()) == got  # good runs are marked, and only those
    assert got == reference_valid(docs, offsets, n_docs)


@settings(deadline=None)  # the first example may load the compiled kernel
@given(
    st.lists(st.lists(st.integers(-2, 12), min_size=0, max_size=6), max_size=6),
    st.integers(0, 12),
)
def test_matches_the_reference_on_runs_of_any_order(runs: list[list[int]], n_docs: int) -> None:
    """Runs of random ids, sorted or not, empty or not: valid exactly when the reference says."""
    docs = [doc for run in runs for doc in run]
    offsets = np.cumsum([0, *map(len, runs)]).tolist()
    check(docs, offsets, n_docs)


@settings(deadline=None)
@given(
    st.lists(st.sets(st.integers(0, 11), min_size=1, max_size=6), max_size=6),
    st.integers(0, 40),
    st.integers(-3, 14),
)
def test_one_changed_id_in_valid_postings_is_caught(
    runs: list[set[int]], where: int, value: int
) -> None:
    """Valid postings with one id overwritten (kept valid or not) get the reference's verdict."""
    docs = [doc for run in runs for doc in sorted(run)]
    offsets = np.cumsum([0, *map(len, runs)]).tolist()
    check(docs, offsets, 12)
    if docs:
        docs[where % len(docs)] = value
        check(docs, offsets, 12)


def test_offsets_that_do_not_tile_the_postings_are_refused() -> None:
    """Offsets not from 0, past the end, or with an empty run are invalid."""
    for offsets in ([1, 3], [0, 4], [0, 0, 3], [0, 2, 1, 3], []):
        check([0, 1, 2], offsets, 5)
