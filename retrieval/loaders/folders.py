"""Load a file, or every loadable file under a folder, from the local disk.

A folder is read recursively in sorted order so the same folder always
yields articles in the same order. Hidden files and folders (editor swap
files, ``.git``) and unknown suffixes are ignored without comment; a file
that fails to read is reported as a ``Skipped`` so one bad file never stops
the rest from loading.

Only regular files are read, and only up to ``MAX_FILE_BYTES``: a named pipe
would block the load forever and a device (a link to ``/dev/zero``) or a huge
sparse file would fill memory, so each is skipped with its reason instead.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from retrieval.errors import SourceError
from retrieval.loaders.feeds import looks_like_feed
from retrieval.loaders.formats import SUFFIXES, Kind, kind_for_name, read_bytes
from retrieval.loaders.limits import MAX_FILE_BYTES, storable
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
    try:
        data = read_file(location)
    except OSError as error:
        raise SourceError(f"cannot read {location}: {error.strerror or error}") from None
    except ValueError as error:
        raise SourceError(f"{location} is {error}") from None
    if kind is None:
        # A file saved without a telling suffix may still be a feed.
        if not looks_like_feed(data):
            raise SourceError(f"{location}: unsupported file type (expected {_EXPECTED})")
        kind = "feed"
    try:
        return read_bytes(data, str(location), kind)
    except ValueError as error:
        raise SourceError(f"{location} is {error}") from None


def read_file(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of ``path`` if it is a regular file (symlinks followed) of at most ``limit``.

    Raises ``ValueError`` with a reason phrased to follow "<path> is ..." for anything else
    (a named pipe, a device, a socket, a file too large), and ``OSError`` when it cannot be
    opened or read.
    """
    _check_regular(os.stat(path), limit)
    # Non-blocking: if a pipe took the file's place since the check, opening it cannot hang.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with open(fd, "rb", closefd=True) as file:
        _check_regular(os.fstat(fd), limit)
        data = file.read(limit + 1)
    if len(data) > limit:  # it grew after the check
        raise ValueError(f"over the {limit:,} byte limit for one file")
    return data


def _check_regular(info: os.stat_result, limit: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"not a regular file ({_file_kind(info.st_mode)}), so it is not read")
    if info.st_size > limit:
        raise ValueError(f"{info.st_size:,} bytes, over the {limit:,} byte limit for one file")


def _file_kind(mode: int) -> str:
    kinds = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
             (stat.S_ISDIR, "a folder"))  # fmt: skip
    return next((name for test, name in kinds if test(mode)), "a special file")


def _load_folder(root: Path) -> LoadReport:
    report = LoadReport()
    folder_errors: list[Skipped] = []
    for file, kind in _loadable_files(root, folder_errors):
        source = str(file)
        try:
            report += read_bytes(read_file(file), source, kind)
        except OSError as error:
            reason = f"cannot read the file: {error.strerror or error}"
            report += LoadReport(skipped=(Skipped(source, "", reason),))
        except ValueError as error:
            report += LoadReport(skipped=(Skipped(source, "", str(error)),))
    return report + LoadReport(skipped=tuple(folder_errors))


NAME_NOT_UTF8 = "the file name is not valid UTF-8, so it is not read"


def is_storable_name(path: Path) -> bool:
    """Say whether ``path`` can be shown and remembered as text (its bytes were UTF-8)."""
    return storable(str(path)) == str(path)


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
            if kind is None or name.startswith("."):
                continue
            path = Path(folder, name)
            if not is_storable_name(path):
                errors.append(Skipped(storable(str(path)), "", NAME_NOT_UTF8))
                continue
            found.append((path, kind))
    return sorted(found, key=lambda item: item[0].relative_to(root).parts)
