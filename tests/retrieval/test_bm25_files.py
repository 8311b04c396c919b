"""Saving and loading the BM25 index: round trips, atomic replacement, refusing bad files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from retrieval.bm25 import BM25Params, Index
from retrieval.errors import StoreError

LUCENE = BM25Params(scorer="lucene")
OKAPI = BM25Params(scorer="okapi", k1=1.2, b=0.7)
CORPUS = [["a", "b"], ["b", "c", "c"], [], ["d"], ["a", "d", "e"], ["é", "e"], ["b"]]
QUERIES = [["a"], ["b", "e"], ["c", "c", "d"], ["é"], ["zz"]]


def grown_index(params: BM25Params) -> Index:
    """A multi-segment index (three adds) so every segment file is exercised."""
    return Index.build(CORPUS[:4], params).add(CORPUS[4:6]).add(CORPUS[6:])


@pytest.mark.parametrize("params", [LUCENE, OKAPI], ids=["lucene", "okapi"])
def test_round_trip_keeps_scores_ranking_and_settings(tmp_path: Path, params: BM25Params) -> None:
    """A loaded index has the saved params, size and vocabulary, and scores identically."""
    index = grown_index(params)
    index.save(tmp_path / "index")
    loaded = Index.load(tmp_path / "index")
    assert loaded.params == params
    assert loaded.n_docs == index.n_docs
    assert loaded.vocabulary_size == index.vocabulary_size
    assert loaded.segment_count == index.segment_count
    for query in QUERIES:
        np.testing.assert_array_equal(loaded.scores(query), index.scores(query))
        assert loaded.top_k(query, 4)[0].tolist() == index.top_k(query, 4)[0].tolist()
    more = [["a", "new"]]
    np.testing.assert_array_equal(loaded.add(more).scores(["new"]), index.add(more).scores(["new"]))


def test_empty_index_round_trips(tmp_path: Path) -> None:
    """An empty index saves and loads as an empty index."""
    Index.empty(LUCENE).save(tmp_path / "index")
    assert Index.load(tmp_path / "index", LUCENE).n_docs == 0


def test_save_replaces_an_older_index_and_leaves_no_temporaries(tmp_path: Path) -> None:
    """Saving over an index replaces it whole and leaves only the index directory behind."""
    Index.build(CORPUS, LUCENE).save(tmp_path / "index")
    Index.build(CORPUS[:2], LUCENE).save(tmp_path / "index")
    assert Index.load(tmp_path / "index").n_docs == 2
    assert [p.name for p in tmp_path.iterdir()] == ["index"]


def test_save_refuses_to_replace_a_directory_that_is_not_an_index(tmp_path: Path) -> None:
    """Saving over a non-empty directory without a manifest raises and deletes nothing."""
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / "notes.txt").write_text("keep me")
    with pytest.raises(StoreError, match="not a search index"):
        Index.build(CORPUS, LUCENE).save(tmp_path / "index")
    assert (tmp_path / "index" / "notes.txt").read_text() == "keep me"
    assert [p.name for p in tmp_path.iterdir()] == ["index"]


def test_load_falls_back_to_an_index_left_mid_swap(tmp_path: Path) -> None:
    """If a save stopped between its renames, the retired index still loads."""
    Index.build(CORPUS, LUCENE).save(tmp_path / "index")
    (tmp_path / "index").rename(tmp_path / "index.old")
    assert Index.load(tmp_path / "index").n_docs == len(CORPUS)


def test_load_refuses_other_params(tmp_path: Path) -> None:
    """Loading with params different from the saved ones raises StoreError."""
    Index.build(CORPUS, LUCENE).save(tmp_path / "index")
    with pytest.raises(StoreError, match="built with"):
        Index.load(tmp_path / "index", OKAPI)


def test_load_of_a_missing_directory_raises_store_error(tmp_path: Path) -> None:
    """A directory with no index is a StoreError, not a FileNotFoundError."""
    with pytest.raises(StoreError, match="manifest"):
        Index.load(tmp_path / "nothing")


def edit_manifest(change: Callable[[dict[str, object]], object]) -> Callable[[Path], None]:
    """A corruption that rewrites the manifest through ``change``."""

    def corrupt(directory: Path) -> None:
        path = directory / "manifest.json"
        manifest = json.loads(path.read_text())
        change(manifest)
        path.write_text(json.dumps(manifest))

    return corrupt


def replace_array(name: str, array: np.ndarray) -> Callable[[Path], None]:
    """A corruption that overwrites one saved array."""

    def corrupt(directory: Path) -> None:
        np.save(directory / name, array)

    return corrupt


def write_text(name: str, text: str) -> Callable[[Path], None]:
    """A corruption that overwrites a file with text."""

    def corrupt(directory: Path) -> None:
        (directory / name).write_text(text)

    return corrupt


def swap_first_postings(directory: Path) -> None:
    """A corruption that keeps every count right but puts a term's doc ids out of order."""
    docs = np.load(directory / "seg0_docs.npy")
    docs[[0, 1]] = docs[[1, 0]]
    np.save(directory / "seg0_docs.npy", docs)


CORRUPTIONS = {
    "manifest-not-json": (write_text("manifest.json", "{oops"), "manifest"),
    "wrong-format": (edit_manifest(lambda m: m.update(format="other")), "does not hold"),
    "future-version": (edit_manifest(lambda m: m.update(version=99)), "version 99"),
    "missing-key": (edit_manifest(lambda m: m.pop("segments")), "malformed"),
    "bad-scorer": (edit_manifest(lambda m: m.update(params={"scorer": "x"})), "settings"),
    "vocabulary-not-strings": (edit_manifest(lambda m: m.update(vocabulary=[1, 2])), "vocabulary"),
    "vocabulary-too-short": (edit_manifest(lambda m: m.update(vocabulary=["a"])), "does not list"),
    "wrong-passage-count": (edit_manifest(lambda m: m.update(n_docs=99)), "99 passages"),
    "array-missing": (lambda d: (d / "seg0_docs.npy").unlink(), "seg0_docs"),
    "array-not-npy": (write_text("seg0_docs.npy", "garbage"), "seg0_docs"),
    "array-pickled": (replace_array("seg0_docs.npy", np.array([{}], dtype=object)), "seg0_docs"),
    "array-wrong-dtype": (replace_array("seg0_tfs.npy", np.zeros(3, np.float32)), "wrong type"),
    "array-truncated": (replace_array("seg0_docs.npy", np.zeros(1, np.int32)), "does not match"),
    "docs-out-of-order": (swap_first_postings, "does not match"),
}


@pytest.mark.parametrize(("corrupt", "message"), CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_load_refuses_corrupted_files(
    tmp_path: Path, corrupt: Callable[[Path], None], message: str
) -> None:
    """Each kind of damaged or mismatched file raises StoreError naming the problem."""
    Index.build(CORPUS, LUCENE).save(tmp_path / "index")
    assert Index.load(tmp_path / "index").n_docs == len(CORPUS)
    corrupt(tmp_path / "index")
    with pytest.raises(StoreError, match=message):
        Index.load(tmp_path / "index")
