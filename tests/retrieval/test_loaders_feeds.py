"""RSS 2.0, RSS 1.0 and Atom feeds, and the HTML cleaning their entries need."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from retrieval.errors import SourceError
from retrieval.loaders import html_to_text, load_feed, load_path
from retrieval.models import Article, Skipped

FIXTURES = Path(__file__).parent / "fixtures"
RSS_ITEM = "<item><title>{title}</title><description>{text}</description></item>"


def _rss(*items: str) -> bytes:
    body = "".join(items)
    return f'<rss version="2.0"><channel><title>Desk</title>{body}</channel></rss>'.encode()


def test_rss2_fixture_cleans_html_and_reports_bad_entries() -> None:
    """Content beats summary, scripts and styles vanish, and bad entries are named."""
    source = str(FIXTURES / "rss2.xml")
    report = load_feed((FIXTURES / "rss2.xml").read_bytes(), source)
    desk = "Evening & Morning Briefing"
    assert report.articles == (
        Article(
            title="Ministers agree & sign aid package",
            text="Ministers met in Brussels & agreed.\n\nFirst line\nsecond line\n\n"
            "Fuel & food deliveries start in May.",
            date=datetime(2022, 4, 7, 8, 30, tzinfo=UTC),
            url="https://news.example/aid?utm_source=rss",
            source=desk,
        ),
        Article(
            title="Summary only",
            text="Escaped & HTML summary.\n\nSecond paragraph.",
            date=datetime(2022, 4, 8, 6, tzinfo=UTC),
            url="https://news.example/summary",
            source=desk,
        ),
        Article(title="No date given", text="Plain text body without a date.", source=desk),
    )
    assert report.skipped == (
        Skipped(source, "entry 2", "entry has no title"),
        Skipped(source, "entry 4", "entry 'Headline with nothing under it' has no text"),
    )


def test_atom_fixture_uses_published_then_updated() -> None:
    """Atom titles lose their tags and dates come from published, else updated."""
    report = load_path(FIXTURES / "atom.xml")
    first, second = report.articles
    assert (first.title, first.source, first.url) == (
        "Talks resume in Geneva",
        "Wire Desk",
        "https://wire.example/talks#top",
    )
    assert first.text == "Geneva\n\nDelegations returned & talks resumed.\n\nEnergy\n\nPrisoners"
    assert first.date == datetime(2022, 4, 9, 6, 15, tzinfo=UTC)
    assert (second.text, second.date) == (
        "Summary used because there is no content.",
        datetime(2022, 4, 10, 8, tzinfo=UTC),
    )
    assert [(s.where, s.reason) for s in report.skipped] == [
        ("entry 3", "entry 'Empty content' has no text")
    ]


def test_rss1_fixture_loads() -> None:
    """An RSS 1.0 (RDF) feed loads with its Dublin Core date."""
    (article,) = load_path(FIXTURES / "rss1.rdf.xml").articles
    assert article == Article(
        title="Harbour reopens",
        text="The harbour reopened on Monday.",
        date=datetime(2022, 4, 11, tzinfo=UTC),
        url="https://old.example/one",
        source="Old Style Bulletin",
    )


def test_html_page_is_not_a_feed() -> None:
    """An HTML page saved as .xml is rejected as a whole with a plain reason."""
    path = FIXTURES / "page.xml"
    with pytest.raises(SourceError) as caught:
        load_path(path)
    assert str(caught.value) == f"{path} is not an RSS or Atom feed (looks like HTML)"


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "it is empty"),
        (b'{"items": []}', "XML error"),
        (b"<!doctype html><p>hello</p>", "looks like HTML"),
    ],
    ids=["empty", "json", "html"],
)
def test_non_feed_bytes_raise(data: bytes, why: str) -> None:
    """Bytes that hold no feed raise SourceError naming the source and the reason."""
    with pytest.raises(SourceError, match=f"^src is not an RSS or Atom feed \\({why}"):
        load_feed(data, "src")


def test_broken_feed_keeps_its_entries() -> None:
    """A feed with an XML error still yields the entries feedparser recovered."""
    data = _rss(RSS_ITEM.format(title="Fine", text="Body."), "<item><title>A & B</title></item>")
    report = load_feed(data, "src")
    assert [a.title for a in report.articles] == ["Fine"]
    assert [s.where for s in report.skipped] == ["entry 2"]


def test_empty_but_valid_feed_has_no_articles() -> None:
    """A real feed with no entries is an empty report, not an error."""
    assert load_feed(_rss(), "src").articles == ()


def test_unreadable_entry_date_skips_that_entry() -> None:
    """An entry whose date nobody can read is skipped with the value quoted."""
    item = "<item><title>T</title><description>B</description><pubDate>soon</pubDate></item>"
    report = load_feed(_rss(item, RSS_ITEM.format(title="Ok", text="B")), "src")
    assert [a.title for a in report.articles] == ["Ok"]
    assert report.skipped == (Skipped("src", "entry 1", "published date 'soon' is not a date"),)


@pytest.mark.parametrize(
    ("fragment", "text"),
    [
        ("<p>One</p><p>Two</p>", "One\n\nTwo"),
        ("Tom &amp; Jerry", "Tom & Jerry"),
        ("a<br>b<br/><br />c", "a\nb\n\nc"),
        ("<div>x<script>alert(1)</script><style>.a{}</style>y</div>", "xy"),
        ("<h1>Head</h1>  body   with\n\t spaces", "Head\n\nbody with spaces"),
        ("<ul><li>a</li><li>b</li></ul>", "a\n\nb"),
        ("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\n\nc"),
        ("x&nbsp;y &lt;tag&gt; &#8217;", "x y <tag> \u2019"),
        ("<p>kept</p><!-- hidden -->", "kept"),
        ("https://example.com/page.html", "https://example.com/page.html"),
        ("<p> </p><div></div>", ""),
    ],
    ids=[
        "paragraphs",
        "entity",
        "breaks",
        "script-style",
        "whitespace",
        "list",
        "table",
        "entities",
        "comment",
        "url-like",
        "empty",
    ],
)
def test_html_to_text(fragment: str, text: str) -> None:
    """Block elements break paragraphs, entities decode and whitespace collapses."""
    assert html_to_text(fragment) == text
