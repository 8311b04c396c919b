"""Load a file, or every loadable file under a folder, from the local disk.

A folder is read recursively in sorted order so the same folder always
yields articles in the same order. Hidden files and folders (editor swap
files, ``.git``) and unknown suffixes are ignored without comment; a file
that fails to read is reported as a ``Skipped`` so one bad file never stops
the rest from loading.
"""

from __future__ import annotations

import os
from pathlib import Path

from retrieval.errors import SourceError
from retrieval.loaders.feeds import looks_like_feed
from retrieval.loaders.formats import SUFFIXES, Kind, kind_for_name, read_bytes
from retrieval.models import LoadReport, Skipped

_EXPECTED = ", ".join(SUFFIXES)


def load_path(path: str | Path) -> LoadReport:
    """Load one file (format chosen by suffix) or every loadable file under a folder.

    Raises ``SourceError`` when the path does not exist or cannot be read at
    all, or when a single file is of an unknown type or not readable as its
    type (e.g. an HTML page saved as ``.xml``).
    """
    location = Path(path)
    if location.is_dir():
        return _load_folder(location)
    if not location.exists():
        # Quote the input as typed: Path() would turn "ftp://x" into "ftp:/x".
        raise SourceError(f"no such file or folder: {path}")
    kind = kind_for_name(location.name)
    data = _read(location)
    if kind is None:
        # A file saved without a telling suffix may still be a feed.
        if not looks_like_feed(data):
            raise SourceError(f"{location}: unsupported file type (expected {_EXPECTED})")
        kind = "feed"
    try:
        return read_bytes(data, str(location), kind)
    except ValueError as error:
        raise SourceError(f"{location} is {error}") from None


def _read(location: Path) -> bytes:
    try:
        return location.read_bytes()
    except OSError as error:
        raise SourceError(f"cannot read {location}: {error.strerror or error}") from None


def _load_folder(root: Path) -> LoadReport:
    report = LoadReport()
    folder_errors: list[Skipped] = []
    for file, kind in _loadable_files(root, folder_errors):
        source = str(file)
        try:
            report += read_bytes(file.read_bytes(), source, kind)
        except OSError as error:
            reason = f"cannot read the file: {error.strerror or error}"
            report += LoadReport(skipped=(Skipped(source, "", reason),))
        except ValueError as error:
            report += LoadReport(skipped=(Skipped(source, "", str(error)),))
    return report + LoadReport(skipped=tuple(folder_errors))


def _loadable_files(root: Path, errors: list[Skipped]) -> list[tuple[Path, Kind]]:
    """List loadable files under ``root`` sorted by their path components."""

    def unreadable(error: OSError) -> None:
        name = str(error.filename or root)
        errors.append(Skipped(name, "", f"cannot read folder: {error.strerror or error}"))

    found: list[tuple[Path, Kind]] = []
    # os.walk does not follow symlinked folders, so a link loop cannot hang us.
    for folder, subfolders, files in os.walk(root, onerror=unreadable):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        for name in files:
            kind = kind_for_name(name)
            if kind is not None and not name.startswith("."):
                found.append((Path(folder, name), kind))
    return sorted(found, key=lambda item: item[0].relative_to(root).parts)
