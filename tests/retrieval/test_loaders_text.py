"""Seed text format: front matter, title, paragraphs, and the skips."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from retrieval.loaders import load_path, load_text
from retrieval.models import Article, Skipped

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = Path(__file__).parents[2] / "seeds"


def test_front_matter_fills_every_field() -> None:
    """Front matter keys become the article's date, url, source and id."""
    report = load_path(FIXTURES / "seed_front_matter.txt")
    assert report.skipped == ()
    assert report.articles == (
        Article(
            title="Blinken Reaffirms Commitment",
            text="First paragraph of the body.\n\nSecond paragraph, with trailing spaces.",
            date=datetime(2022, 4, 7, tzinfo=UTC),
            url="https://news.example/blinken",
            source="Test Desk",
            id="seed-1",
        ),
    )


@pytest.mark.skipif(not any(SEEDS.glob("*.txt")), reason="no seed files in this checkout")
def test_every_seed_file_loads() -> None:
    """Each committed seed loads as exactly one dated article with no skips."""
    for seed in sorted(SEEDS.glob("*.txt")):
        report = load_path(seed)
        assert report.skipped == (), seed
        (article,) = report.articles
        assert article.title
        assert article.date is not None
        assert "\n\n" in article.text


@pytest.mark.parametrize(
    ("text", "title", "body"),
    [
        ("Title\n\nBody.", "Title", "Body."),
        ("\n\n  Title  \nBody right under.\n", "Title", "Body right under."),
        ("Title\r\n\r\nOne.  \r\n\r\n\r\n\r\nTwo.\r\n", "Title", "One.\n\nTwo."),
        ("# Markdown heading\n\nBody.", "Markdown heading", "Body."),
        ("Title\n\nLine one\nline two\n\nNext", "Title", "Line one\nline two\n\nNext"),
        ("\ufeffTitle\n\nBody.", "Title", "Body."),
        ("---\ntitle: Given\n---\nGiven\n\nBody.", "Given", "Body."),
        ("---\ntitle: 'Given'\n---\nFirst line is body.", "Given", "First line is body."),
        ("---\nauthor: ignored\n---\nTitle\n\nBody.", "Title", "Body."),
    ],
    ids=[
        "plain",
        "leading-blank-lines",
        "crlf-and-trailing-spaces",
        "markdown-heading",
        "lines-inside-paragraph",
        "byte-order-mark",
        "front-matter-title-repeated",
        "front-matter-title-quoted",
        "unknown-key-ignored",
    ],
)
def test_title_and_body_split(text: str, title: str, body: str) -> None:
    """The title is the first non-empty line (or front matter) and paragraphs are kept."""
    (article,) = load_text(text, "note.txt").articles
    assert (article.title, article.text) == (title, body)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty file"),
        (" \n\n\t\n", "empty file"),
        ("Just a title\n\n", "title 'Just a title' but no body text"),
        ("---\ndate: 2022-04-07\n---\n", "no title: the file has front matter only"),
        ("---\ndate: 7 April\n---\nT\n\nBody.", "front matter date '7 April' is not a date"),
        (
            "---\nno colon here\n---\nT\n\nB",
            "front matter line 2 is not 'key: value': 'no colon here'",
        ),
        ("---\nurl: x\n\n", "front matter starts with '---' but is never closed"),
    ],
    ids=["empty", "whitespace", "title-only", "front-matter-only", "bad-date", "bad-line", "open"],
)
def test_malformed_text_is_skipped_with_reason(text: str, reason: str) -> None:
    """A malformed file yields no article and one skip that says why."""
    report = load_text(text, "note.txt")
    assert report.articles == ()
    assert report.skipped == (Skipped("note.txt", "", reason),)


def test_undecodable_file_is_skipped(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 are reported with their offset, not guessed at."""
    path = tmp_path / "latin1.txt"
    path.write_bytes(b"Title\n\nCaf\xe9 society.")
    report = load_path(path)
    assert report.articles == ()
    assert report.skipped == (Skipped(str(path), "", "not UTF-8 text (byte 0xe9 at offset 10)"),)


def test_missing_front_matter_leaves_metadata_unknown() -> None:
    """Without front matter, date, url, source and id stay unknown."""
    (article,) = load_text("Title\n\nBody.", "x.md").articles
    assert (article.date, article.url, article.source, article.id) == (None, None, None, "")
