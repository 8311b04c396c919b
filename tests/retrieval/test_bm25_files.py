"""Saving and loading the BM25 index: round trips, atomic replacement, refusing bad files."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from retrieval import bm25_files
from retrieval.bm25 import BM25Params, Index
from retrieval.bm25_files import read_index
from retrieval.errors import StoreError
from retrieval.segments import Segment

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


def first_segment(directory: Path) -> Path:
    """The folder of the first segment the manifest lists."""
    manifest = json.loads((directory / "manifest.json").read_text())
    return directory / str(manifest["segments"][0]["name"])


def replace_array(name: str, array: np.ndarray) -> Callable[[Path], None]:
    """A corruption that overwrites one array of the first segment."""

    def corrupt(directory: Path) -> None:
        np.save(first_segment(directory) / name, array)

    return corrupt


def write_text(name: str, text: str) -> Callable[[Path], None]:
    """A corruption that overwrites a file with text (``seg/`` means the first segment's)."""

    def corrupt(directory: Path) -> None:
        folder = first_segment(directory) if name.startswith("seg/") else directory
        (folder / name.removeprefix("seg/")).write_text(text)

    return corrupt


def edit_array(name: str, change: Callable[[np.ndarray], object]) -> Callable[[Path], None]:
    """A corruption that edits one array of the first segment in place, keeping its shape."""

    def corrupt(directory: Path) -> None:
        path = first_segment(directory) / name
        array = np.load(path)
        change(array)
        np.save(path, array)

    return corrupt


def rename_segment(name: object) -> Callable[[Path], None]:
    """A corruption that makes the manifest name the first segment ``name``."""
    return edit_manifest(lambda m: m["segments"][0].update(name=name))  # type: ignore[index]


CORRUPTIONS = {
    "manifest-not-json": (write_text("manifest.json", "{oops"), "manifest"),
    "wrong-format": (edit_manifest(lambda m: m.update(format="other")), "does not hold"),
    "future-version": (edit_manifest(lambda m: m.update(version=99)), "version 99"),
    "missing-key": (edit_manifest(lambda m: m.pop("segments")), "malformed"),
    "bad-scorer": (edit_manifest(lambda m: m.update(params={"scorer": "x"})), "settings"),
    "vocabulary-not-strings": (edit_manifest(lambda m: m.update(vocabulary=[1, 2])), "vocabulary"),
    "vocabulary-too-short": (edit_manifest(lambda m: m.update(vocabulary=["a"])), "does not list"),
    "wrong-passage-count": (edit_manifest(lambda m: m.update(n_docs=99)), "99 passages"),
    "array-missing": (lambda d: (first_segment(d) / "docs.npy").unlink(), "docs.npy"),
    "array-not-npy": (write_text("seg/docs.npy", "garbage"), "docs.npy"),
    "array-pickled": (replace_array("docs.npy", np.array([{}], dtype=object)), "docs.npy"),
    "array-wrong-dtype": (replace_array("tfs.npy", np.zeros(3, np.float32)), "wrong type"),
    "array-truncated": (replace_array("docs.npy", np.zeros(1, np.int32)), "does not match"),
    "term-run-empty": (edit_array("offsets.npy", lambda a: a.__setitem__(1, 0)), "not match"),
    "term-run-past-end": (edit_array("offsets.npy", lambda a: a.__setitem__(1, 99)), "not match"),
    "offsets-not-from-0": (edit_array("offsets.npy", lambda a: a.__setitem__(0, 1)), "not match"),
    "segment-path-escapes": (rename_segment("../../etc"), "malformed"),
    "segment-name-not-text": (rename_segment(7), "malformed"),
    "segment-folder-missing": (rename_segment("seg-0000000000000000"), "seg-0{16}/"),
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


def segment_folders(directory: Path) -> set[str]:
    """Names of the segment folders in an index directory."""
    return {p.name for p in directory.iterdir() if p.is_dir()}


def test_save_writes_only_segments_not_already_on_disk(tmp_path: Path) -> None:
    """Re-saving after an add leaves untouched segment files alone and adds the new folder."""
    first = Index.build([["a"] * 3] * 8, LUCENE)  # 8 docs; an add of 1 does not merge into it
    first.save(tmp_path / "index")
    (old,) = segment_folders(tmp_path / "index")
    stamp = (tmp_path / "index" / old / "docs.npy").stat().st_mtime_ns
    second = first.add([["b"]])
    assert second.segment_count == 2
    second.save(tmp_path / "index")
    assert old in segment_folders(tmp_path / "index")
    assert len(segment_folders(tmp_path / "index")) == 2
    assert (tmp_path / "index" / old / "docs.npy").stat().st_mtime_ns == stamp
    np.testing.assert_array_equal(
        Index.load(tmp_path / "index").scores(["b"]), second.scores(["b"])
    )


def test_a_loaded_index_resaves_without_rewriting_its_segments(tmp_path: Path) -> None:
    """Loaded segments keep their names, so saving a loaded index back writes no folder."""
    grown_index(LUCENE).save(tmp_path / "index")
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "index").rglob("*.npy")}
    Index.load(tmp_path / "index").save(tmp_path / "index")
    after = {p: p.stat().st_mtime_ns for p in (tmp_path / "index").rglob("*.npy")}
    assert after == before


def test_merged_away_segments_are_removed_after_the_manifest_swap(tmp_path: Path) -> None:
    """Folders of segments a merge replaced are gone once the new manifest is in place."""
    first = Index.build(CORPUS[:2], LUCENE)
    first.save(tmp_path / "index")
    merged = first.add(CORPUS[2:])  # larger than the first segment: the two merge
    assert merged.segment_count == 1
    merged.save(tmp_path / "index")
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text())
    assert segment_folders(tmp_path / "index") == {s["name"] for s in manifest["segments"]}
    assert sorted(p.name for p in (tmp_path / "index").iterdir() if p.is_file()) == [
        "manifest.json"
    ]


def fail_on_manifest_replace(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the manifest's ``os.replace`` raise, as if the process died just before it."""
    real = os.replace

    def replace(source: str | Path, target: str | Path) -> None:
        if Path(target).name == "manifest.json":
            raise OSError("simulated crash before the manifest swap")
        real(source, target)

    monkeypatch.setattr(os, "replace", replace)


def test_previous_segments_stay_valid_until_the_manifest_swap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A save that dies before its manifest swap leaves the old index loadable and whole."""
    first = Index.build(CORPUS[:2], LUCENE)
    first.save(tmp_path / "index")
    old_folders = segment_folders(tmp_path / "index")
    fail_on_manifest_replace(monkeypatch)
    with pytest.raises(StoreError, match="simulated crash"):
        first.add(CORPUS[2:]).save(tmp_path / "index")  # merges: the old segment is retired
    assert old_folders < segment_folders(tmp_path / "index")
    loaded = Index.load(tmp_path / "index")
    assert loaded.n_docs == 2
    np.testing.assert_array_equal(loaded.scores(["b"]), first.scores(["b"]))
    monkeypatch.undo()
    first.add(CORPUS[2:]).save(tmp_path / "index")  # the next save tidies the orphan up
    assert Index.load(tmp_path / "index").n_docs == len(CORPUS)
    assert len(segment_folders(tmp_path / "index")) == 1


def test_a_first_save_that_crashed_does_not_block_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Segment folders with no manifest yet are recognised as ours and replaced, not refused."""
    fail_on_manifest_replace(monkeypatch)
    with pytest.raises(StoreError):
        Index.build(CORPUS, LUCENE).save(tmp_path / "index")
    with pytest.raises(StoreError, match="manifest"):
        Index.load(tmp_path / "index")
    monkeypatch.undo()
    Index.build(CORPUS[:3], LUCENE).save(tmp_path / "index")
    assert Index.load(tmp_path / "index").n_docs == 3
    assert len(segment_folders(tmp_path / "index")) == 1


def test_a_half_written_segment_folder_is_never_trusted(tmp_path: Path) -> None:
    """A temporary folder left by a crash mid-segment is ignored by load and removed by save."""
    index = grown_index(LUCENE)
    index.save(tmp_path / "index")
    junk = tmp_path / "index" / ".tmp-seg-0000000000000000-dead"
    junk.mkdir()
    (junk / "docs.npy").write_text("half")
    assert Index.load(tmp_path / "index").n_docs == index.n_docs
    index.add([["z"]]).save(tmp_path / "index")
    assert not junk.exists()


def test_loaded_index_is_mapped_and_outlives_its_files(tmp_path: Path) -> None:
    """Loading maps the arrays read-only, so processes share them; once mapped, the files
    may go (a writer merging segments removes folders other processes still search)."""
    index = grown_index(LUCENE)
    index.save(tmp_path / "index")
    for segment in read_index(tmp_path / "index")[2]:
        assert not segment.docs.flags.writeable
        assert isinstance(segment.docs.base, np.memmap)
    loaded = Index.load(tmp_path / "index")
    shutil.rmtree(tmp_path / "index")
    for query in QUERIES:
        np.testing.assert_array_equal(loaded.scores(query), index.scores(query))


def test_a_load_racing_a_save_reads_the_new_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A save in another process that retires a segment while a load reads the old manifest
    makes the load start again on the new one instead of failing."""
    directory = tmp_path / "index"
    Index.build(CORPUS[:2], LUCENE).save(directory)
    replacement = Index.build(CORPUS, LUCENE)  # new segments: the old one is retired
    parse = bm25_files._parse
    calls: list[str] = []

    def parse_after_a_save(where: Path, text: str) -> object:
        if not calls:
            replacement.save(directory)
        calls.append(text)
        return parse(where, text)

    monkeypatch.setattr(bm25_files, "_parse", parse_after_a_save)
    assert Index.load(directory).n_docs == len(CORPUS)
    assert len(calls) == 2


def test_origin_is_saved_and_returned_as_given(tmp_path: Path) -> None:
    """What the caller records about the documents comes back with the index, or None."""
    Index.build(CORPUS, LUCENE).save(tmp_path / "a", {"passages": 7, "last_key": "url:x"})
    Index.build(CORPUS, LUCENE).save(tmp_path / "b")
    assert Index.load_with_origin(tmp_path / "a")[1] == {"passages": 7, "last_key": "url:x"}
    assert Index.load_with_origin(tmp_path / "b")[1] is None


def mapped(index: Index) -> list[bool]:
    """Per segment, whether its postings are mapped from a file rather than held in memory."""
    return [isinstance(s.docs.base, np.memmap) for s in index._segments]


def test_spill_maps_every_segment_and_scores_like_the_index_in_memory(tmp_path: Path) -> None:
    """After spill each segment is read from the saved files, and scores are unchanged."""
    index = grown_index(OKAPI)
    assert not any(mapped(index))
    spilled = index.spill(tmp_path / "index", origin={"passages": 7})
    assert all(mapped(spilled))
    for query in QUERIES:
        np.testing.assert_array_equal(spilled.scores(query), index.scores(query))
        assert spilled.top_k(query, 4)[0].tolist() == index.top_k(query, 4)[0].tolist()
    assert Index.load_with_origin(tmp_path / "index")[1] == {"passages": 7}


def test_spill_keeps_segments_already_mapped_and_maps_only_new_ones(tmp_path: Path) -> None:
    """A second spill reuses the mapped segments as they are and maps the added one."""
    first = Index.build([["a"] * 3] * 8, LUCENE).spill(tmp_path / "index")
    second = first.add([["b"]]).spill(tmp_path / "index")
    assert second.segment_count == 2
    assert second._segments[0] is first._segments[0]
    assert all(mapped(second))
    np.testing.assert_array_equal(
        second.scores(["a", "b"]), Index.build([["a"] * 3] * 8 + [["b"]], LUCENE).scores(["a", "b"])
    )


def test_spill_refuses_a_segment_file_damaged_after_it_was_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A freshly saved segment, once mapped, is checked like a loaded one: damage is refused
    at the first search that reads it."""
    real = bm25_files._write_segment

    def write_then_damage(directory: Path, segment: Segment) -> None:
        real(directory, segment)
        path = directory / segment.name / "docs.npy"
        docs = np.load(path)
        docs[[0, 1]] = docs[[1, 0]]
        np.save(path, docs)

    monkeypatch.setattr(bm25_files, "_write_segment", write_then_damage)
    spilled = Index.build(CORPUS, LUCENE).spill(tmp_path / "index")
    with pytest.raises(StoreError, match="damaged"):
        spilled.top_k(["a"], 3)
