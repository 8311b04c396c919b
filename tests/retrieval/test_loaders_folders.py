"""Folders and locations: recursive sorted loading, ignored files, unreadable ones."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from retrieval.errors import SourceError
from retrieval.loaders import load_location, load_path
from retrieval.models import Skipped

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A folder mixing every format, hidden files, unknown suffixes and broken files."""
    root = tmp_path / "briefings"
    (root / "b-sub" / "deeper").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "a.txt").write_text("Alpha\n\nAlpha body.")
    (root / "c.md").write_text("# Gamma\n\nGamma body.")
    (root / "b-sub" / "items.jsonl").write_text(
        json.dumps({"title": "Beta", "text": "Beta body."}) + "\n{broken\n"
    )
    (root / "b-sub" / "deeper" / "feed.rss").write_bytes((FIXTURES / "rss1.rdf.xml").read_bytes())
    (root / "b-sub" / "page.xml").write_bytes((FIXTURES / "page.xml").read_bytes())
    (root / "d.txt").write_text("Title only\n")
    (root / "notes.docx").write_bytes(b"PK\x03\x04 not ours")
    (root / "README").write_text("Not a briefing")
    (root / ".hidden.txt").write_text("Hidden\n\nShould not load.")
    (root / ".git" / "x.txt").write_text("Git\n\nShould not load.")
    return root


def test_folder_loads_in_sorted_order_and_reports_failures(tree: Path) -> None:
    """Loadable files load in path order; broken items are skipped and the rest ignored."""
    report = load_path(tree)
    assert [a.title for a in report.articles] == ["Alpha", "Harbour reopens", "Beta", "Gamma"]
    assert [(s.source, s.where) for s in report.skipped] == [
        (str(tree / "b-sub" / "items.jsonl"), "line 2"),
        (str(tree / "b-sub" / "page.xml"), ""),
        (str(tree / "d.txt"), ""),
    ]
    assert [s.reason for s in report.skipped][1:] == [
        "not an RSS or Atom feed (looks like HTML)",
        "title 'Title only' but no body text",
    ]


def test_folder_load_is_repeatable(tree: Path) -> None:
    """Loading the same folder twice gives identical reports."""
    assert load_path(tree) == load_path(str(tree))


@pytest.mark.skipif(
    os.name != "posix" or os.geteuid() == 0, reason="root can read files without permission"
)
def test_unreadable_file_in_folder_is_skipped(tree: Path) -> None:
    """A file the process may not read is reported; the others still load."""
    locked = tree / "a.txt"
    locked.chmod(0)
    try:
        report = load_path(tree)
    finally:
        locked.chmod(0o644)
    assert "Alpha" not in [a.title for a in report.articles]
    assert Skipped(str(locked), "", "cannot read the file: Permission denied") in report.skipped


def test_dangling_link_in_folder_is_skipped(tree: Path) -> None:
    """A file that vanishes or cannot be opened is reported and the others still load."""
    link = tree / "broken.txt"
    link.symlink_to(tree / "gone.txt")
    report = load_path(tree)
    assert len(report.articles) == 4
    assert Skipped(str(link), "", "cannot read the file: No such file or directory") in (
        report.skipped
    )


def test_missing_path_is_a_source_error(tmp_path: Path) -> None:
    """A path that does not exist fails as a whole with the documented message."""
    missing = tmp_path / "nope"
    with pytest.raises(SourceError) as caught:
        load_path(missing)
    assert str(caught.value) == f"no such file or folder: {missing}"


def test_unknown_suffix_file_is_refused_unless_it_is_a_feed(tmp_path: Path) -> None:
    """A single file of unknown type is loaded only if its content is a feed."""
    feed = tmp_path / "download"
    shutil.copy(FIXTURES / "rss2.xml", feed)
    assert len(load_path(feed).articles) == 3
    other = tmp_path / "notes.docx"
    other.write_bytes(b"PK\x03\x04")
    with pytest.raises(SourceError, match=r"notes\.docx: unsupported file type \(expected \.txt"):
        load_path(other)


def test_empty_folder_is_an_empty_report(tmp_path: Path) -> None:
    """A folder with nothing loadable is not an error."""
    report = load_path(tmp_path)
    assert (report.articles, report.skipped) == ((), ())


@pytest.mark.parametrize(
    ("location", "expected"),
    [("seed_front_matter.txt", 1), ("  atom.xml  ", 2)],
    ids=["path", "padded-path"],
)
def test_location_without_scheme_is_a_path(
    location: str, expected: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Anything not starting with http:// or https:// is read from disk."""
    monkeypatch.chdir(FIXTURES)
    assert len(load_location(location).articles) == expected


def test_location_with_other_scheme_is_a_missing_path() -> None:
    """An ftp:// location is not fetched: it is treated as a (missing) path."""
    with pytest.raises(SourceError, match="no such file or folder: ftp://"):
        load_location("ftp://files.example/feed.xml")
