"""One saved segment's folder of ``.npy`` arrays, read back memory-mapped and checked.

The arrays a segment folder holds, the dtypes each may have, the manifest entry that
describes a segment, and the reading of a folder against that entry: every array mapped
read-only, without unpickling, and checked (dtype, shape, ascending terms, offsets that tile
the postings) before it is trusted; the postings themselves are checked later, term by term
(:mod:`retrieval.postings_checks`). Kept apart from :mod:`retrieval.bm25_files`, which owns
the directory (manifest, save lock, atomic replace, tidying, retries when a load races a
save), because this is the part both a load and a spilling build (``Index.spill``,
:func:`map_segments`) use to turn files back into a :class:`~retrieval.segments.Segment`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from retrieval.errors import StoreError
from retrieval.postings_checks import offsets_valid
from retrieval.segments import Segment

FIELDS = ("doc_len", "terms", "offsets", "docs", "tfs")
DTYPES = {
    "doc_len": ("int32",),
    "terms": ("int32",),
    "offsets": ("int64",),
    "docs": ("int32",),
    "tfs": ("uint8", "uint16", "uint32", "uint64"),
}


def describe(segment: Segment) -> dict[str, Any]:
    """The manifest entry that names a segment and lets loading cross-check its arrays."""
    return {
        "name": segment.name,
        "n_docs": segment.n_docs,
        "postings": int(segment.docs.shape[0]),
        "terms": int(segment.terms.shape[0]),
    }


def map_segments(directory: Path, segments: tuple[Segment, ...]) -> list[Segment]:
    """``segments``, saved in ``directory``, with their arrays mapped from its files.

    A segment already mapped from there is returned as it is; the others are read like a
    load reads them, and checked like loaded ones as searches and merges read them: what
    is read back from a file is never trusted just because this process wrote it.
    """
    mapped = []
    for segment in segments:
        folder = Path(directory).resolve() / segment.name
        base = segment.docs.base
        if isinstance(base, np.memmap) and Path(str(base.filename)).parent == folder:
            mapped.append(segment)
            continue
        mapped.append(read_segment(folder, describe(segment)))
    return mapped


def read_segment(folder: Path, described: dict[str, Any]) -> Segment:
    """Load and cross-check one segment's arrays."""
    arrays = {}
    for field in FIELDS:
        path = folder / f"{field}.npy"
        where = f"{folder.name}/{path.name}"
        try:
            # Mapped, not read: every process that opens the same index (the bot's workers)
            # then shares one copy of it in the page cache. Segments are never changed.
            array = np.asarray(np.load(path, mmap_mode="r", allow_pickle=False))
        except (OSError, ValueError) as error:
            raise StoreError(f"cannot read {where} of the search index: {error}") from error
        if array.ndim != 1 or array.dtype.name not in DTYPES[field]:
            raise StoreError(f"{where} of the search index has the wrong type or shape")
        arrays[field] = array
    n_terms, n_postings = int(described["terms"]), int(described["postings"])
    offsets = arrays["offsets"]
    consistent = (
        arrays["doc_len"].shape[0] == int(described["n_docs"])
        and arrays["terms"].shape[0] == n_terms
        and offsets.shape[0] == n_terms + 1
        and arrays["docs"].shape[0] == n_postings
        and arrays["tfs"].shape[0] == n_postings
        and bool(np.all(np.diff(arrays["terms"]) > 0))
        and (n_terms == 0 or int(arrays["terms"][0]) >= 0)
        and offsets_valid(offsets, n_postings)
    )
    if not consistent:
        raise StoreError(f"segment {folder.name} of the search index does not match its manifest")
    # The postings themselves are checked term by term as searches reach them.
    checked = np.zeros(n_terms, dtype=np.bool_)
    return Segment(name=folder.name, checked=checked, source=str(folder), **arrays)
