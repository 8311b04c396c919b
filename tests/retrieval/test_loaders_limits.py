"""One bad item is one skip: dates out of range, deep JSON, NULs, surrogates, huge or odd files."""

from __future__ import annotations

import gzip
import json
import os
import threading
from pathlib import Path

import pytest
from markup_reference import reference_html_to_text

from retrieval import Engine
from retrieval.errors import SourceError
from retrieval.loaders import html_to_text, load_feed, load_jsonl, load_path, load_text
from retrieval.loaders.limits import (
    MAX_FILE_BYTES,
    MAX_LINE_BYTES,
    MAX_QUOTE_CHARS,
    MAX_UNPACKED_BYTES,
    quote,
    storable,
)
from retrieval.models import LoadReport

GOOD = {"title": "Kept", "text": "Kept body about grain exports."}
# A reason quotes at most MAX_QUOTE_CHARS of a value plus its own words.
REASON_CHARS = MAX_QUOTE_CHARS + 200

OUT_OF_RANGE = ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+01:00"]


def _jsonl(*records: object) -> str:
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records)


@pytest.mark.parametrize("date", OUT_OF_RANGE, ids=["year-9999-behind-utc", "year-1-ahead"])
def test_jsonl_date_out_of_range_skips_that_line_only(date: str) -> None:
    """A date UTC cannot hold skips its record as out of range; the next record still loads."""
    report = load_jsonl(_jsonl({"title": "t", "text": "b", "date": date}, GOOD), "s")
    assert [a.title for a in report.articles] == ["Kept"]
    (skip,) = report.skipped
    assert (skip.where, skip.reason) == ("line 1", f"date {date!r} is out of range")


@pytest.mark.parametrize("date", OUT_OF_RANGE, ids=["year-9999-behind-utc", "year-1-ahead"])
def test_text_file_date_out_of_range_is_a_skip(date: str) -> None:
    """A seed file whose front matter date UTC cannot hold is skipped with that reason."""
    report = load_text(f"---\ndate: {date}\n---\nTitle\n\nBody.", "s")
    assert report.articles == ()
    assert report.skipped[0].reason == f"front matter date {date!r} is out of range"


@pytest.mark.parametrize(
    "date",
    ["Fri, 31 Dec 9999 23:00:00 -0500", "9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+01:00"],
    ids=["rfc2822-9999", "iso-9999", "iso-year-1"],
)
def test_feed_entry_date_out_of_range_skips_that_entry_only(date: str) -> None:
    """An entry whose date UTC cannot hold is skipped; the feed's other entries load."""
    feed = (
        "<rss version='2.0'><channel><title>Wire</title>"
        f"<item><title>Bad</title><description>x</description><pubDate>{date}</pubDate></item>"
        "<item><title>Good</title><description>Grain body.</description></item>"
        "</channel></rss>"
    ).encode()
    report = load_feed(feed, "f")
    assert [a.title for a in report.articles] == ["Good"]
    (skip,) = report.skipped
    assert skip.where == "entry 1"
    assert skip.reason == f"published date {date!r} is out of range"


def test_deeply_nested_json_line_is_skipped() -> None:
    """A record nested 5,000 deep is one skip, not a RecursionError for the whole file."""
    deep = '{"title": "t", "text": "b", "x": ' + "[" * 5000 + "]" * 5000 + "}"
    report = load_jsonl(_jsonl(deep, GOOD), "s")
    assert [a.title for a in report.articles] == ["Kept"]
    assert report.skipped[0].reason == "JSON nested too deeply to read"


def test_overlong_jsonl_line_is_skipped() -> None:
    """A line over MAX_LINE_BYTES is skipped unparsed and the next line still loads."""
    long_line = json.dumps({"title": "Long", "text": "w " * (MAX_LINE_BYTES // 2)})
    report = load_jsonl(_jsonl(long_line, GOOD).encode(), "s")
    assert [a.title for a in report.articles] == ["Kept"]
    assert report.skipped[0].reason == f"line over the {MAX_LINE_BYTES:,} byte limit"


@pytest.mark.parametrize("field", ["title", "text", "url", "source", "id", "date"])
def test_lone_surrogate_is_repaired_and_the_batch_stores(field: str) -> None:
    """A lone surrogate in any field is repaired (or the date skipped) and the batch stores."""
    record = {"title": "Grain", "text": "Grain exports resumed.", field: "a\ud800b"}
    report = load_jsonl(json.dumps(record) + "\n" + json.dumps(GOOD), "s")
    engine = Engine.open()
    try:
        summary = engine.ingest(report)
        assert "Kept" in {info.title for info in summary.added}
        stored = report.articles if field != "date" else ()
        for article in stored:
            assert "\ud800" not in f"{article.title}{article.text}{article.url}{article.source}"
        if field == "title":
            assert report.articles[0].title == "a\ufffdb"
        if field == "date":
            assert "is not a date" in report.skipped[0].reason
    finally:
        engine.close()


def test_feed_with_surrogate_character_reference_keeps_its_entries() -> None:
    """``&#xD800;`` made feedparser fail the whole feed; now it reads as U+FFFD."""
    feed = (
        b"<rss version='2.0'><channel><title>Wire</title>"
        b"<item><title>Odd &#xD800; &#55296; &#0; &#99999999999999999999;</title>"
        b"<description>Grain &#xDFFF; body.</description></item>"
        b"<item><title>Good</title><description>Grain body.</description></item>"
        b"</channel></rss>"
    )
    report = load_feed(feed, "f")
    assert [a.title for a in report.articles] == ["Odd \ufffd \ufffd \ufffd \ufffd", "Good"]
    assert report.articles[0].text == "Grain \ufffd body."


@pytest.mark.parametrize("kind", ["text", "jsonl"])
def test_nul_byte_keeps_the_text_after_it(kind: str) -> None:
    """Text after a NUL is stored, searchable and quoted: NULs are dropped at load."""
    if kind == "text":
        report = load_text("Title\n\nbefore\0after nulbody", "s")
    else:
        report = load_jsonl(json.dumps({"title": "Title", "text": "before\0after nulbody"}), "s")
    assert report.articles[0].text == "beforeafter nulbody"
    engine = Engine.open()
    try:
        engine.ingest(report)
        (hit,) = engine.search("nulbody").hits
        assert hit.passage.text == "beforeafter nulbody"
        assert hit.excerpt == "beforeafter nulbody"
    finally:
        engine.close()


def test_storable_drops_nuls_and_replaces_surrogates_only() -> None:
    """``storable`` changes NULs and lone surrogates and nothing else."""
    assert storable("a\0b\ud800c\udfffd é 😀") == "ab\ufffdc\ufffdd é 😀"


def test_skip_reason_quotes_a_bounded_piece_of_a_huge_title() -> None:
    """A one-line megabyte file is skipped with a reason of bounded length."""
    report = load_text("x" * 1_000_000, "big.txt")
    (skip,) = report.skipped
    assert len(skip.reason) < REASON_CHARS
    assert skip.reason.startswith("title 'xxx")
    assert "1,000,000 characters" in skip.reason


@pytest.mark.parametrize(
    "text",
    [
        "---\ndate: " + "9" * 100_000 + "\n---\nT\n\nB",
        "---\n" + "not a key " * 10_000 + "\n---\nT\n\nB",
    ],
    ids=["date", "front-matter-line"],
)
def test_every_text_reason_is_bounded(text: str) -> None:
    """Reasons quoting a date or a front matter line stay short however long the value."""
    (skip,) = load_text(text, "s").skipped
    assert len(skip.reason) < REASON_CHARS


def test_quote_keeps_short_values_whole() -> None:
    """A short value is quoted whole; a long one is cut and its length given."""
    assert quote("abc") == "'abc'"
    assert quote("a" * 100, limit=3) == "'aaa'… (100 characters)"


# -- files --------------------------------------------------------------------------------------


def _folder_with_good_file(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text("Good title\n\nGrain exports resumed.\n")
    return folder


def _only_good(report: LoadReport) -> None:
    assert [a.title for a in report.articles] == ["Good title"]


def test_fifo_in_a_folder_is_skipped_without_blocking(tmp_path: Path) -> None:
    """A named pipe is skipped as not a regular file; reading it would block forever."""
    folder = _folder_with_good_file(tmp_path)
    os.mkfifo(folder / "pipe.jsonl")
    done: list[LoadReport] = []
    reader = threading.Thread(target=lambda: done.append(load_path(folder)), daemon=True)
    reader.start()
    reader.join(30)
    if not done:  # unblock the reader so the test run can end
        with open(os.open(folder / "pipe.jsonl", os.O_WRONLY | os.O_NONBLOCK), "wb"):
            pass
        pytest.fail("loading a folder with a named pipe blocked")
    report = done[0]
    _only_good(report)
    (skip,) = report.skipped
    assert skip.source == str(folder / "pipe.jsonl")
    assert skip.reason == "not a regular file (a named pipe), so it is not read"


def test_symlink_to_a_device_is_skipped(tmp_path: Path) -> None:
    """A link to /dev/zero is skipped as a device, never read until memory runs out."""
    folder = _folder_with_good_file(tmp_path)
    (folder / "zero.txt").symlink_to("/dev/zero")
    report = load_path(folder)
    _only_good(report)
    assert report.skipped[0].reason == "not a regular file (a character device), so it is not read"


def test_single_device_path_is_a_source_error(tmp_path: Path) -> None:
    """Asked to load a device directly, the loader refuses in one line."""
    link = tmp_path / "zero.xml"
    link.symlink_to("/dev/zero")
    with pytest.raises(SourceError, match=r"zero\.xml is not a regular file \(a character"):
        load_path(link)


def test_huge_sparse_file_is_skipped_unread(tmp_path: Path) -> None:
    """A file over MAX_FILE_BYTES is skipped by its size; a 1 GB sparse file costs no memory."""
    folder = _folder_with_good_file(tmp_path)
    with open(folder / "sparse.txt", "wb") as file:
        file.truncate(1_000_000_000)
    report = load_path(folder)
    _only_good(report)
    assert report.skipped[0].reason == (
        f"1,000,000,000 bytes, over the {MAX_FILE_BYTES:,} byte limit for one file"
    )


def test_gzip_bomb_is_refused(tmp_path: Path) -> None:
    """A gzip file that unpacks past MAX_UNPACKED_BYTES is skipped with that reason."""
    folder = _folder_with_good_file(tmp_path)
    with gzip.open(folder / "bomb.jsonl.gz", "wb", compresslevel=1) as file:
        block = b"\n" * 10_000_000
        for _ in range(MAX_UNPACKED_BYTES // len(block) + 1):
            file.write(block)
    report = load_path(folder)
    _only_good(report)
    assert report.skipped[0].reason == f"over {MAX_UNPACKED_BYTES:,} bytes once decompressed"


def test_non_utf8_file_name_is_skipped_with_a_printable_source(tmp_path: Path) -> None:
    """A file whose name is not UTF-8 is skipped, its name shown with U+FFFD."""
    folder = _folder_with_good_file(tmp_path)
    with open(os.fsencode(folder) + b"/bad\xff.txt", "wb") as file:
        file.write(b"T\n\nBody.\n")
    report = load_path(folder)
    _only_good(report)
    (skip,) = report.skipped
    assert skip.source.endswith("bad\ufffd.txt")
    skip.source.encode()  # printable and storable


# -- HTML ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fragment",
    [
        "<p>one</p><p>two<br>line</p><br><br>three",
        "<div><script>x()</script>kept<style>p{}</style></div><noscript>no</noscript>",
        "<table><tr><td>a</td><td>b</td></tr></table><ruby>漢<rt>kan</rt></ruby>",
        "<p>a<!-- comment --><![CDATA[cdata]]>b</p>" + "<b>" * 3000 + "deep",
    ],
    ids=["paragraphs", "dropped", "cells-ruby", "comment-deep"],
)
def test_html_walk_matches_the_tree_editing_reference(fragment: str) -> None:
    """The linear walk gives exactly the old cleaner's text."""
    assert html_to_text(fragment) == reference_html_to_text(fragment)


def test_many_paragraphs_clean_to_one_paragraph_each() -> None:
    """Ten thousand sibling paragraphs come out as ten thousand paragraphs, in order."""
    text = html_to_text("".join(f"<p>p{i}</p>" for i in range(10_000)))
    assert text.split("\n\n") == [f"p{i}" for i in range(10_000)]
