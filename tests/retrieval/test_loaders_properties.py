"""Arbitrary input never crashes a loader: every item is kept or skipped with a short reason."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markup_reference import reference_html_to_text

from retrieval import Engine
from retrieval.errors import SourceError
from retrieval.loaders import html_to_text, load_feed, load_jsonl, load_path, load_text
from retrieval.loaders.dates import DateRangeError, parse_date
from retrieval.loaders.feeds import read_feed
from retrieval.loaders.limits import MAX_QUOTE_CHARS
from retrieval.models import Article, LoadReport

PROPERTIES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# A reason quotes at most MAX_QUOTE_CHARS of a value plus its own words (and, in a folder,
# exception messages naming the file).
REASON_CHARS = MAX_QUOTE_CHARS + 300
JSON_FIELDS = ("title", "text", "body", "content", "date", "published", "url", "link", "source",
               "id", "extra")  # fmt: skip

# Text with the characters that broke loaders: NULs, lone surrogates, markup, newlines.
awkward_text = st.lists(
    st.one_of(
        st.text(st.characters(codec=None), max_size=8),
        st.sampled_from(["\x00", "\ud800", "\udfff", "<p>", "<br>", "&amp;", "\n", "---", ":"]),
    ),
    max_size=10,
).map("".join)
offsets = st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23)).map(
    lambda delta: timezone(timedelta(minutes=delta // timedelta(minutes=1)))
)
# The edges of what datetime holds come up often: an offset there pushes UTC out of range.
moments = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59)),
    st.sampled_from([datetime(1, 1, 1, 0, 30), datetime(9999, 12, 31, 23, 0)]),
)
aware_moments = st.builds(lambda m, tz: m.replace(tzinfo=tz), moments, offsets)
date_strings = st.one_of(
    aware_moments.map(datetime.isoformat),
    moments.map(lambda m: m.date().isoformat()),
    aware_moments.map(lambda m: m.strftime("%a, %d %b %Y %H:%M:%S %z")),
    awkward_text,
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | awkward_text | date_strings,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(awkward_text, inner, max_size=3),
    max_leaves=8,
)


def _check_kept(article: Article) -> None:
    """A kept article can be stored exactly: no NULs, no lone surrogates, a non-empty text."""
    for value in (article.title, article.text, article.url or "", article.source or "", article.id):
        value.encode("utf-8")
        assert "\x00" not in value
    assert article.text.strip()


def _check_report(report: LoadReport) -> None:
    for article in report.articles:
        _check_kept(article)
    for skip in report.skipped:
        assert skip.reason
        assert len(skip.reason) < REASON_CHARS
        str(skip).encode("utf-8")


@pytest.fixture(scope="module")
def engine() -> Engine:
    """One in-memory engine every example ingests into."""
    return Engine.open(workers=1)


# -- text files -----------------------------------------------------------------------------


@PROPERTIES
@given(awkward_text)
def test_any_text_is_one_article_or_one_skip(text: str) -> None:
    """A text file of any content yields exactly one article or one skip with a reason."""
    report = load_text(text, "s")
    assert len(report.articles) + len(report.skipped) == 1
    _check_report(report)


@PROPERTIES
@given(
    st.dictionaries(
        st.sampled_from(["date", "url", "source", "id", "title", "other"]),
        st.one_of(date_strings, awkward_text.map(lambda t: t.replace("\n", " "))),
    ),
    awkward_text,
    awkward_text,
)
def test_any_front_matter_is_one_article_or_one_skip(
    meta: dict[str, str], title: str, body: str
) -> None:
    """Front matter with any values (dates of any year and offset) never raises."""
    head = "".join(f"{key}: {value}\n" for key, value in meta.items())
    report = load_text(f"---\n{head}---\n{title}\n\n{body}", "s")
    assert len(report.articles) + len(report.skipped) == 1
    _check_report(report)


# -- JSON Lines -----------------------------------------------------------------------------


jsonl_lines = st.lists(
    st.one_of(
        st.dictionaries(st.sampled_from(JSON_FIELDS), json_values).map(json.dumps),
        st.fixed_dictionaries(
            {"title": awkward_text, "text": awkward_text}, optional={"date": date_strings}
        ).map(json.dumps),
        awkward_text.map(lambda t: t.replace("\n", " ")),
    ),
    max_size=6,
)


def _counted_lines(lines: list[str]) -> list[int]:
    """Numbers of the lines a loader must account for: all but the blank ones."""
    return [number for number, line in enumerate(lines, 1) if line.strip()]


@PROPERTIES
@given(jsonl_lines, st.booleans())
def test_any_jsonl_line_is_kept_or_skipped_and_the_batch_stores(
    engine: Engine, lines: list[str], as_bytes: bool
) -> None:
    """Every non-blank line becomes an article or a skip naming it; the result always stores."""
    lines = [line.replace("\ufeff", "") for line in lines]
    text = "\n".join(lines)
    data = text.encode("utf-8", "surrogatepass") if as_bytes else text
    report = load_jsonl(data, "s")
    skipped_lines = [int(skip.where.removeprefix("line ")) for skip in report.skipped]
    counted = _counted_lines(lines)
    assert len(report.articles) + len(skipped_lines) == len(counted)
    assert set(skipped_lines) <= set(counted)
    _check_report(report)
    engine.ingest(report)


@PROPERTIES
@given(st.binary(max_size=300))
def test_any_bytes_load_as_jsonl_without_raising(data: bytes) -> None:
    """Arbitrary bytes (bad UTF-8, NULs, anything) only ever produce skips and articles."""
    _check_report(load_jsonl(data, "s"))


# -- feeds ----------------------------------------------------------------------------------


char_refs = st.integers(min_value=0, max_value=2**40).map(lambda n: f"&#{n};") | st.integers(
    min_value=0, max_value=2**40
).map(lambda n: f"&#x{n:X};")
xml_text = st.lists(
    st.one_of(
        st.text(st.characters(min_codepoint=0x20, exclude_characters="\ufffe\uffff"), max_size=20)
        .filter(lambda t: not any(0xD800 <= ord(c) <= 0xDFFF for c in t))
        .map(escape),
        char_refs,
    ),
    max_size=4,
).map("".join)


@PROPERTIES
@given(st.lists(st.tuples(xml_text, xml_text, date_strings), min_size=1, max_size=5))
def test_every_feed_entry_is_kept_or_skipped(entries: list[tuple[str, str, str]]) -> None:
    """Each entry of a well-formed feed, whatever its text, references and date, is counted."""
    items = "".join(
        f"<item><title>{title}</title><description>{text}</description>"
        f"<pubDate>{escape(date.replace(chr(0), ''))}</pubDate></item>"
        for title, text, date in entries
    )
    feed = f"<rss version='2.0'><channel><title>W</title>{items}</channel></rss>"
    report = load_feed(feed.encode("utf-8", "surrogatepass"), "f")
    assert len(report.articles) + len(report.skipped) == len(entries)
    _check_report(report)


@PROPERTIES
@given(st.binary(max_size=400) | awkward_text.map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_any_bytes_as_a_feed_are_a_report_or_a_value_error(data: bytes) -> None:
    """Garbage given as a feed is a report or the one "not a feed" reason, nothing else."""
    try:
        report = read_feed(b"<rss version='2.0'><channel>" + data, "f")
    except ValueError as error:
        refused = str(error)
    else:
        refused = "not a feed: none"
        _check_report(report)
    assert refused.startswith("not a")
    with contextlib.suppress(SourceError):  # the one error a whole feed may raise
        _check_report(load_feed(data, "f"))


# -- folders --------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.tuples(
            st.text("abcxyz", min_size=1, max_size=6),
            st.sampled_from([".txt", ".md", ".jsonl", ".ndjson", ".xml", ".jsonl.gz", ".pdf"]),
        ).map("".join),
        st.binary(max_size=200) | awkward_text.map(lambda t: t.encode("utf-8", "surrogatepass")),
        max_size=5,
    ),
    st.booleans(),
)
def test_any_folder_loads_without_raising(files: dict[str, bytes], fifo: bool) -> None:
    """A folder of arbitrary files (and maybe a pipe) loads: each text file is one item."""
    with tempfile.TemporaryDirectory() as folder:
        for name, data in files.items():
            Path(folder, name).write_bytes(data)
        if fifo:
            os.mkfifo(Path(folder, "pipe.txt"))
        report = load_path(folder)
    _check_report(report)
    text_files = [n for n in files if n.endswith((".txt", ".md"))] + (["pipe.txt"] if fifo else [])
    for name in text_files:
        assert len([skip for skip in report.skipped if skip.source.endswith(f"/{name}")]) <= 1
    assert len(report.articles) + len(report.skipped) >= len(text_files)


# -- dates ----------------------------------------------------------------------------------


@PROPERTIES
@given(date_strings)
def test_any_date_string_parses_or_raises_value_error(value: str) -> None:
    """A date string of any shape, year or offset is a UTC datetime or a ValueError."""
    try:
        parsed: datetime | None = parse_date(value)
    except ValueError as error:
        parsed, reason = None, str(error)
    else:
        reason = ""
    assert parsed is None or parsed.tzinfo is UTC
    assert len(reason) < REASON_CHARS


@PROPERTIES
@given(aware_moments)
def test_iso_dates_round_trip_or_are_out_of_range(moment: datetime) -> None:
    """An ISO 8601 moment parses to the same instant, or is out of range exactly when UTC
    cannot hold it."""
    try:
        expected: datetime | None = moment.astimezone(UTC)
    except OverflowError:
        expected = None
    if expected is None:
        with pytest.raises(DateRangeError, match="out of range"):
            parse_date(moment.isoformat())
    else:
        assert parse_date(moment.isoformat()) == expected


# -- HTML -----------------------------------------------------------------------------------


HTML_TAGS = ["p", "div", "br", "td", "th", "tr", "table", "li", "b", "script", "style",
             "noscript", "head", "rt", "h1", "pre"]  # fmt: skip
html_fragments = st.lists(
    st.one_of(
        st.sampled_from(HTML_TAGS).flatmap(
            lambda tag: st.sampled_from([f"<{tag}>", f"</{tag}>", f"<{tag}/>"])
        ),
        st.sampled_from(["<!-- c -->", "<![CDATA[x]]>", "<!DOCTYPE html>", "&amp;", "&#0;"]),
        st.text(max_size=10),
    ),
    max_size=25,
).map("".join)


@PROPERTIES
@given(html_fragments)
def test_html_walk_matches_the_reference_on_any_fragment(fragment: str) -> None:
    """The linear walk and the old tree-editing cleaner agree on any fragment."""
    assert html_to_text(fragment) == reference_html_to_text(fragment)
