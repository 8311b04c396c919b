"""JSON Lines: field aliases, HTML bodies, and one skip per bad line."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from retrieval.errors import SourceError
from retrieval.loaders import load_jsonl, load_path
from retrieval.models import Article, Skipped

FIXTURES = Path(__file__).parent / "fixtures"
GOOD = {"title": "Kept", "text": "Kept body."}


def test_malformed_fixture_keeps_good_lines_and_names_bad_ones() -> None:
    """Every bad line of the fixture is reported by number and both good lines survive."""
    path = FIXTURES / "malformed.jsonl"
    report = load_path(path)
    assert [a.title for a in report.articles] == ["Good one", "Good two"]
    assert report.articles[1] == Article(
        title="Good two",
        text="Second & last.\n\nParagraph two.",
        date=datetime(2022, 4, 8, 6, tzinfo=UTC),
        url="https://news.example/two",
    )
    assert [(s.source, s.where) for s in report.skipped] == [
        (str(path), f"line {n}") for n in (2, 4, 6, 7, 8, 9)
    ]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (
            '{"title": "x", ',
            "invalid JSON at column 16: Expecting property name enclosed in double",
        ),
        ("[1, 2]", "expected a JSON object, got an array"),
        ('"just a string"', "expected a JSON object, got a string"),
        ('{"text": "body"}', "missing title"),
        ('{"title": null, "text": "body"}', "missing title"),
        ('{"title": 3, "text": "body"}', "title must be a string, got a number"),
        ('{"title": "t"}', "missing or empty text (expected one of text, body, content)"),
        ('{"title": "t", "text": " \\n "}', "missing or empty text (expected one of"),
        ('{"title": "t", "text": "<p> </p>"}', "missing or empty text (expected one of"),
        ('{"title": "t", "text": 42}', "text must be a string, got a number"),
        ('{"title": "t", "body": ["a"]}', "body must be a string, got an array"),
        ('{"title": "t", "text": "b", "date": "soon"}', "date 'soon' is not a date"),
        (
            '{"title": "t", "text": "b", "published_at": 1649322000}',
            "published_at must be a string",
        ),
        ('{"title": "t", "text": "b", "url": false}', "url must be a string, got a boolean"),
        ('{"title": "t", "text": "b", "id": 1.5}', "id must be a string, got a number"),
    ],
    ids=[
        "bad-json",
        "array",
        "string",
        "no-title",
        "null-title",
        "number-title",
        "no-text",
        "blank-text",
        "empty-html-text",
        "number-text",
        "array-body",
        "bad-date",
        "number-date",
        "bool-url",
        "float-id",
    ],
)
def test_bad_line_is_skipped_and_neighbours_kept(line: str, reason: str) -> None:
    """A bad line between two good ones is skipped with its reason; both neighbours load."""
    data = "\n".join([json.dumps(GOOD), line, json.dumps(GOOD)])
    report = load_jsonl(data, "feed.jsonl")
    assert len(report.articles) == 2
    (skip,) = report.skipped
    assert (skip.source, skip.where) == ("feed.jsonl", "line 2")
    assert skip.reason.startswith(reason)


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (
            {"title": "T", "body": "B", "published": "2022-04-07T10:00:00+02:00", "link": "u"},
            Article("T", "B", datetime(2022, 4, 7, 8, tzinfo=UTC), "u"),
        ),
        (
            {"title": "T", "text": "", "content": "C", "pubDate": "Thu, 07 Apr 2022 10:00:00 GMT"},
            Article("T", "C", datetime(2022, 4, 7, 10, tzinfo=UTC)),
        ),
        ({"title": "T", "text": "a < b > c", "id": 7}, Article("T", "a < b > c", id="7")),
        ({"title": "", "text": "Untitled on purpose."}, Article("", "Untitled on purpose.")),
        (
            {"title": "T &amp; <i>x</i>", "text": "<p>A&nbsp;b</p><script>x()</script>"},
            Article("T & x", "A b"),
        ),
        ({"title": "T", "text": "One.\r\n\r\n\r\nTwo.  "}, Article("T", "One.\n\nTwo.")),
        (
            {"title": "T", "text": "B", "source": "Desk", "extra": 1},
            Article("T", "B", source="Desk"),
        ),
    ],
    ids=["aliases", "empty-text-falls-back", "not-html", "empty-title", "html", "tidy", "source"],
)
def test_record_fields(record: dict[str, object], expected: Article) -> None:
    """Field aliases, HTML cleaning and text tidying produce the expected article."""
    assert load_jsonl(json.dumps(record), "x").articles == (expected,)


def test_blank_lines_bom_and_crlf_are_ignored() -> None:
    """Blank lines, a byte-order mark and Windows line ends are not reported as errors."""
    data = ("\ufeff" + json.dumps(GOOD) + "\r\n\r\n   \r\n" + json.dumps(GOOD) + "\r\n").encode()
    report = load_jsonl(data, "x")
    assert (len(report.articles), report.skipped) == (2, ())


def test_undecodable_line_is_skipped_alone() -> None:
    """A line with invalid UTF-8 is skipped while the others still load."""
    data = json.dumps(GOOD).encode() + b"\n\xff\xfe\n" + json.dumps(GOOD).encode()
    report = load_jsonl(data, "x")
    assert len(report.articles) == 2
    assert report.skipped == (Skipped("x", "line 2", "not UTF-8 text (byte at column 1)"),)


def test_gzipped_file_loads(tmp_path: Path) -> None:
    """A .jsonl.gz file is decompressed and read like plain JSON Lines."""
    path = tmp_path / "corpus.jsonl.gz"
    path.write_bytes(gzip.compress((json.dumps(GOOD) + "\n").encode()))
    assert load_path(path).articles == (Article("Kept", "Kept body."),)


def test_corrupt_gzip_is_a_source_error(tmp_path: Path) -> None:
    """A truncated gzip file cannot be read at all and says so."""
    path = tmp_path / "corpus.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"title": "t", "text": "b"}\n' * 50)[:30])
    with pytest.raises(SourceError, match=r"corpus\.jsonl\.gz is not a readable gzip file"):
        load_path(path)
