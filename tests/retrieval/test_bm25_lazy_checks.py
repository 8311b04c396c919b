"""A loaded index checks each term's postings at first use: damage fails that search clearly."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from retrieval.bm25 import BM25Params, Index
from retrieval.errors import StoreError

LUCENE = BM25Params(scorer="lucene")
# One segment; postings a:[0,4] b:[0,1,6] c:[1] d:[3,4] e:[4,5] é:[5] laid out in that order.
CORPUS = [["a", "b"], ["b", "c", "c"], [], ["d"], ["a", "d", "e"], ["é", "e"], ["b"]]
TERMS = ["a", "b", "c", "d", "e", "é"]
DAMAGE = {  # what is written where in docs.npy, and the term whose postings that breaks
    "out-of-order": ({0: 4, 1: 0}, "a"),
    "repeated-id": ({3: 0}, "b"),
    "id-past-the-end": ({10: 9}, "é"),
    "id-huge": ({10: 2**31 - 1}, "é"),
    "id-negative": ({0: -1}, "a"),
}


def saved(tmp_path: Path, damage: dict[int, int]) -> Path:
    """``CORPUS`` saved, then doc ids overwritten in place as ``damage`` says."""
    directory = tmp_path / "index"
    Index.build(CORPUS, LUCENE).save(directory)
    manifest = json.loads((directory / "manifest.json").read_text())
    path = directory / manifest["segments"][0]["name"] / "docs.npy"
    docs = np.load(path)
    for where, value in damage.items():
        docs[where] = value
    np.save(path, docs)
    return directory


@pytest.mark.parametrize(("damage", "term"), DAMAGE.values(), ids=DAMAGE.keys())
def test_damage_fails_the_first_search_of_its_term_and_spares_the_rest(
    tmp_path: Path, damage: dict[int, int], term: str
) -> None:
    """Loading succeeds; undamaged terms score as before; the damaged term raises, every time."""
    directory = saved(tmp_path, damage)
    loaded, intact = Index.load(directory), Index.build(CORPUS, LUCENE)
    for other in TERMS:
        if other != term:
            np.testing.assert_array_equal(loaded.scores([other]), intact.scores([other]))
            assert loaded.top_k([other], 3)[0].tolist() == intact.top_k([other], 3)[0].tolist()
    for _ in range(2):  # a failed check is not remembered as passed
        with pytest.raises(StoreError, match=f"delete the folder {directory}"):
            loaded.top_k(["c", term], 3)


SEARCHES: dict[str, Callable[[Index], object]] = {
    "top_k": lambda index: index.top_k(["a"], 3),
    "scores": lambda index: index.scores(["a"]),
    "matching_scores": lambda index: index.matching_scores(["a"]),
    "scores_between": lambda index: index.scores_between(["a"], 0, 5),
    "scores_in": lambda index: index.scores_in(["a"], np.array([0]), np.array([5])),
    "count_matching": lambda index: index.count_matching(["a"]),
    "holding": lambda index: index.holding(["a"], np.array([0, 4])),
    "check_all": lambda index: index.check_all(),
    "merging add": lambda index: index.add(CORPUS),  # 7 + 7 passages merge into one segment
}


@pytest.mark.parametrize("search", SEARCHES.values(), ids=SEARCHES.keys())
def test_every_way_of_reading_postings_checks_them_first(
    tmp_path: Path, search: Callable[[Index], object]
) -> None:
    """Each search, ``check_all`` and a merge refuse the damaged term of a fresh load."""
    loaded = Index.load(saved(tmp_path, DAMAGE["out-of-order"][0]))
    with pytest.raises(StoreError, match="damaged"):
        search(loaded)


@pytest.mark.parametrize(("damage", "term"), DAMAGE.values(), ids=DAMAGE.keys())
def test_check_all_finds_damage_no_search_has_touched(
    tmp_path: Path, damage: dict[int, int], term: str
) -> None:
    """``check_all`` on a fresh load catches every kind of damage; an intact index passes."""
    with pytest.raises(StoreError, match=f"term {TERMS.index(term)}"):
        Index.load(saved(tmp_path, damage)).check_all()
    Index.load(saved(tmp_path / "intact", {})).check_all()


def test_a_search_checks_only_the_terms_it_reads(tmp_path: Path) -> None:
    """Loading checks no postings; a search marks its own terms checked and no others."""
    loaded = Index.load(saved(tmp_path, {}))
    (segment,) = loaded._segments
    assert segment.checked is not None
    assert not segment.checked.any()
    loaded.top_k(["b", "zz"], 3)
    assert segment.checked.tolist() == [term == "b" for term in TERMS]
    loaded.check_all()
    assert segment.checked.all()


def test_segments_built_here_need_no_checks_until_read_back(tmp_path: Path) -> None:
    """What this process built in memory is trusted; once spilled and mapped, it is a file
    like any other and is checked as searches read it."""
    built = Index.build(CORPUS, LUCENE)
    spilled = built.spill(tmp_path / "index")
    assert all(segment.checked is None for segment in built._segments)
    assert all(segment.checked is not None for segment in spilled._segments)
