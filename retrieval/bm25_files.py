"""Saving and loading BM25 segments: one folder of ``.npy`` arrays per segment, one manifest.

Layout of an index directory::

    manifest.json          params, vocabulary, and the segments in order (by name)
    seg-0123456789abcdef/  doc_len.npy terms.npy offsets.npy docs.npy tfs.npy

Segments never change and their names are given at birth, so a save writes only the
segment folders not already on disk (a live bot adding a small batch writes a small
folder, not the whole index), then replaces the manifest atomically (temporary file,
fsync, ``os.replace``), and only then removes the folders no manifest names any more. A
crash at any point leaves the old manifest with all its folders, or the new one with all
of its own: either loads. Each folder is written under a temporary name and renamed into
place once complete, so a folder with a segment's name is always whole. Saves are one at a
time per directory, across processes too: each holds an exclusive ``flock`` on the directory
while it writes, so one process's tidying never removes a folder another's manifest is about
to name. Loading takes no lock: it re-reads the manifest and tries again when a save replaced
it (and retired a folder) while it was reading.

The manifest may carry an ``origin``: whatever the caller needs to check that the documents
are the ones it thinks (the engine: which store passages they are). It is saved and returned
as given.

Loading maps the arrays read-only instead of reading them, so the processes that open one
index (the bot's workers) share its pages. That is safe because nothing is ever written in
place: a folder is only ever removed, and a mapping outlives the removal of its file.

Nothing here unpickles: arrays load with ``allow_pickle=False`` and the vocabulary is a
JSON list, so a tampered directory can fail to load but cannot run code. Segment names
from the manifest must match ``seg-`` plus 16 hex digits, so they cannot point elsewhere.
Every array is checked against the manifest (dtype, shape, ascending terms, offsets that
tile the postings) before it is trusted, which reads the terms but not the postings. The
compiled kernels read without bounds checks, so each term's doc ids are checked too, the
first time a search touches that term, and every term's before a merge reads a segment
(:mod:`retrieval.postings_checks`): a doc id out of range or out of order in a tampered file
fails that search with a StoreError instead of misbehaving. Checking every posting here was
most of a restart at 10M passages. A seal written at save time (file sizes, times, a
checksum in the manifest) can be rewritten by whoever can write the files, and any checksum
reads every byte, so neither would be both cheaper and as safe.

Reading and checking one segment's folder is :mod:`retrieval.segment_files`, whose
:func:`~retrieval.segment_files.map_segments` gives a building process the same mapped arrays
for the segments it has just saved (``Index.spill``), so a build need not hold its whole
index in memory.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.errors import StoreError
from retrieval.segment_files import FIELDS, describe, read_segment
from retrieval.segments import Segment

FORMAT = "briefbot-bm25"
VERSION = 2
MANIFEST = "manifest.json"
LOAD_ATTEMPTS = 3  # a load that raced a save retries; three saves in a row mid-load is absurd
SEGMENT_NAME = re.compile(r"seg-[0-9a-f]{16}")
_VERSION_1_FILE = re.compile(r"seg[0-9]+_[a-z_]+\.npy")  # flat layout, removed on first save
_TEMPORARY = ".tmp-"


def write_index(
    directory: Path,
    params: dict[str, Any],
    vocabulary: list[str],
    segments: tuple[Segment, ...],
    origin: dict[str, Any] | None = None,
) -> None:
    """Write the segments ``directory`` lacks, swap in the new manifest, drop unlisted ones."""
    directory = Path(directory)
    try:
        _claim(directory)
        with _exclusive(directory):
            for segment in segments:
                if not (directory / segment.name).is_dir():
                    _write_segment(directory, segment)
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "params": params,
                "n_docs": sum(segment.n_docs for segment in segments),
                "segments": [describe(segment) for segment in segments],
                "origin": origin,
                "vocabulary": vocabulary,
            }
            _replace_file(directory / MANIFEST, json.dumps(manifest).encode("utf-8"))
            _remove_unlisted(directory, {segment.name for segment in segments})
    except OSError as error:
        raise StoreError(f"cannot save the search index to {directory}: {error}") from error


@contextmanager
def _exclusive(directory: Path) -> Iterator[None]:
    """Hold the directory's save lock: other processes' saves wait; loads never do.

    The kernel releases it when the process dies, so a crashed save blocks nobody.
    """
    if sys.platform == "win32":  # no flock: saves there are one per process, not machine-wide
        yield
        return
    import fcntl

    descriptor = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def _claim(directory: Path) -> None:
    """Create ``directory``, or check that it holds only what a save of ours could leave."""
    directory.mkdir(parents=True, exist_ok=True)
    if (directory / MANIFEST).is_file():
        return
    # A first save that crashed before its manifest leaves segment folders and temporaries.
    ours = all(_is_ours(entry.name) for entry in directory.iterdir())
    if not ours:
        raise StoreError(f"{directory} exists and is not a search index; not replacing it")


def _is_ours(name: str) -> bool:
    """Whether a directory entry is a segment folder or a temporary this module writes."""
    if SEGMENT_NAME.fullmatch(name) or _VERSION_1_FILE.fullmatch(name):
        return True
    return name.startswith(_TEMPORARY)


def _write_segment(directory: Path, segment: Segment) -> None:
    """Write one segment's arrays to a temporary folder, then rename it to the segment's name."""
    staging = directory / f"{_TEMPORARY}{segment.name}-{secrets.token_hex(4)}"
    staging.mkdir()
    try:
        for field in FIELDS:
            with open(staging / f"{field}.npy", "wb") as handle:
                np.save(handle, getattr(segment, field), allow_pickle=False)
                handle.flush()
                os.fsync(handle.fileno())
        _fsync_directory(staging)
        os.replace(staging, directory / segment.name)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _replace_file(path: Path, data: bytes) -> None:
    """Atomically make ``path`` hold ``data``: a reader sees the old file or the new one."""
    temporary = path.with_name(f"{_TEMPORARY}{path.name}-{secrets.token_hex(4)}")
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    """Make renames inside ``directory`` durable, so a power cut cannot undo them."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _remove_unlisted(directory: Path, listed: set[str]) -> None:
    """Delete segment folders and temporaries the manifest in place no longer names."""
    for entry in directory.iterdir():
        if entry.name in listed or not _is_ours(entry.name):
            continue
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def read_index(
    directory: Path,
) -> tuple[dict[str, Any], list[str], list[Segment], dict[str, Any] | None]:
    """Params, vocabulary, segments and origin saved in ``directory``; StoreError if unusable."""
    directory = Path(directory)
    for attempt in range(LOAD_ATTEMPTS):
        text = _read_manifest(directory)
        try:
            return _parse(directory, text)
        except StoreError:
            # A save in another process may have retired a folder this manifest names.
            if attempt + 1 == LOAD_ATTEMPTS or _read_manifest(directory) == text:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _read_manifest(directory: Path) -> str:
    try:
        return (directory / MANIFEST).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise StoreError(
            f"cannot read the search index manifest in {directory}: {error}"
        ) from error


def _parse(
    directory: Path, text: str
) -> tuple[dict[str, Any], list[str], list[Segment], dict[str, Any] | None]:
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as error:
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
        described = [dict(d) for d in manifest["segments"]]
        n_docs = int(manifest["n_docs"])
        origin = manifest.get("origin")
        if origin is not None and not isinstance(origin, dict):
            raise ValueError("origin must be an object")
        names = [str(d["name"]) for d in described]
        if not all(SEGMENT_NAME.fullmatch(name) for name in names) or len(set(names)) < len(names):
            raise ValueError("segment names must be distinct and look like seg-<16 hex>")
        segments = [read_segment(directory / d["name"], d) for d in described]
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
    return params, vocabulary, segments, origin
