"""Saving and loading BM25 segments: plain ``.npy`` arrays plus a small JSON manifest.

Nothing here unpickles: arrays load with ``allow_pickle=False`` and the vocabulary is a
JSON list, so a tampered directory can fail to load but cannot run code. Saving writes a
sibling temporary directory and renames it into place, so a crash leaves either the old
index or the new one, never half of one. Every array is checked against the manifest
(dtype, shape, offsets) before it is trusted.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.errors import StoreError
from retrieval.segments import Segment

FORMAT = "briefbot-bm25"
VERSION = 1
MANIFEST = "manifest.json"
_FIELDS = ("doc_len", "terms", "offsets", "docs", "tfs", "max_tf_part")
_DTYPES = {
    "doc_len": ("int32",),
    "terms": ("int32",),
    "offsets": ("int64",),
    "docs": ("int32",),
    "tfs": ("uint8", "uint16", "uint32", "uint64"),
    "max_tf_part": ("float64",),
}


def write_index(
    directory: Path, params: dict[str, Any], vocabulary: list[str], segments: tuple[Segment, ...]
) -> None:
    """Write ``segments`` and the manifest to ``directory``, replacing it atomically."""
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        described = []
        for number, segment in enumerate(segments):
            for field in _FIELDS:
                np.save(staging / f"seg{number}_{field}.npy", getattr(segment, field))
            described.append(
                {
                    "n_docs": segment.n_docs,
                    "postings": int(segment.docs.shape[0]),
                    "terms": int(segment.terms.shape[0]),
                    "built_avgdl": segment.built_avgdl,
                }
            )
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "params": params,
            "n_docs": sum(segment.n_docs for segment in segments),
            "segments": described,
            "vocabulary": vocabulary,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
        _swap_in(staging, directory)
    except (OSError, StoreError) as error:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(error, StoreError):
            raise
        raise StoreError(f"cannot save the search index to {directory}: {error}") from error


def _swap_in(staging: Path, directory: Path) -> None:
    """Move ``staging`` to ``directory``; an existing index is renamed away first, then removed.

    POSIX cannot rename a directory over a non-empty one, so for a moment only
    ``<directory>.old`` holds the index; :func:`read_index` falls back to it, so a crash at
    any point leaves a whole index (old or new) that loads.
    """
    retired = _retired(directory)
    if directory.exists():
        if any(directory.iterdir()) and not (directory / MANIFEST).is_file():
            raise StoreError(f"{directory} exists and is not a search index; not replacing it")
        if retired.exists():
            shutil.rmtree(retired)
        os.replace(directory, retired)
    os.replace(staging, directory)
    shutil.rmtree(retired, ignore_errors=True)


def _retired(directory: Path) -> Path:
    """Where the previous index waits while a new one is moved into place."""
    return directory.with_name(directory.name + ".old")


def read_index(directory: Path) -> tuple[dict[str, Any], list[str], list[Segment]]:
    """The params, vocabulary and segments saved in ``directory``; StoreError if unusable."""
    directory = Path(directory)
    if not (directory / MANIFEST).exists() and (_retired(directory) / MANIFEST).exists():
        directory = _retired(directory)  # a save was interrupted between its two renames
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise StoreError(
            f"cannot read the search index manifest in {directory}: {error}"
        ) from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise StoreError(f"{directory} does not hold a saved search index")
    if manifest.get("version") != VERSION:
        raise StoreError(
            f"the search index in {directory} has format version {manifest.get('version')!r}; "
            f"this program reads version {VERSION}"
        )
    try:
        params = dict(manifest["params"])
        vocabulary = list(manifest["vocabulary"])
        described = list(manifest["segments"])
        segments = [_read_segment(directory, i, dict(d)) for i, d in enumerate(described)]
        n_docs = int(manifest["n_docs"])
    except (KeyError, TypeError, ValueError) as error:
        raise StoreError(
            f"the search index manifest in {directory} is malformed: {error}"
        ) from error
    if not all(isinstance(term, str) for term in vocabulary):
        raise StoreError(f"the search index vocabulary in {directory} is malformed")
    if sum(segment.n_docs for segment in segments) != n_docs:
        raise StoreError(f"the search index in {directory} does not hold {n_docs} passages")
    for segment in segments:
        if segment.terms.shape[0] and int(segment.terms[-1]) >= len(vocabulary):
            raise StoreError(f"the search index in {directory} names terms it does not list")
    return params, vocabulary, segments


def _read_segment(directory: Path, number: int, described: dict[str, Any]) -> Segment:
    """Load and cross-check one segment's arrays."""
    arrays = {}
    for field in _FIELDS:
        path = directory / f"seg{number}_{field}.npy"
        try:
            array = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as error:
            raise StoreError(f"cannot read {path.name} of the search index: {error}") from error
        if array.ndim != 1 or array.dtype.name not in _DTYPES[field]:
            raise StoreError(f"{path.name} of the search index has the wrong type or shape")
        arrays[field] = array
    n_terms, n_postings = int(described["terms"]), int(described["postings"])
    offsets = arrays["offsets"]
    consistent = (
        arrays["doc_len"].shape[0] == int(described["n_docs"])
        and arrays["terms"].shape[0] == n_terms
        and arrays["max_tf_part"].shape[0] == n_terms
        and offsets.shape[0] == n_terms + 1
        and arrays["docs"].shape[0] == n_postings
        and arrays["tfs"].shape[0] == n_postings
        and int(offsets[0]) == 0
        and int(offsets[-1]) == n_postings
        and bool(np.all(np.diff(offsets) > 0))
        and bool(np.all(np.diff(arrays["terms"]) > 0))
        and (n_terms == 0 or int(arrays["terms"][0]) >= 0)
        and (n_postings == 0 or int(arrays["docs"].min()) >= 0)
        and (n_postings == 0 or int(arrays["docs"].max()) < arrays["doc_len"].shape[0])
        and _docs_ascending(arrays["docs"], offsets)
    )
    if not consistent:
        raise StoreError(f"segment {number} of the search index does not match its manifest")
    return Segment(built_avgdl=float(described["built_avgdl"]), **arrays)


def _docs_ascending(docs: np.ndarray, offsets: np.ndarray) -> bool:
    """Whether each term's doc ids strictly increase: pruned search relies on it."""
    if docs.shape[0] < 2:
        return True
    steps = np.diff(docs.astype(np.int64))
    # A term's first posting may be lower than the previous term's last one.
    steps[offsets[1:-1] - 1] = 1
    return bool(np.all(steps > 0))
