"""HTML rendering: escaping first, highlights second, and never over Telegram's limit."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from html_check import html_problems

from bot import render, render_search
from retrieval.models import ArticleInfo, DateRange, Hit, Passage, SearchResult, Span

HOSTILE = {
    "script": "<script>alert('x')</script> weapons",
    "amp-entity": "AT&amp;T sold weapons &lt;b&gt;",
    "a-less-than-b": "a<b and weapons>c",
    "emoji": "🇺🇦 weapons 👩‍👩‍👧 arrive 🚀",
    "rtl": "‏שלום weapons مرحبا بالعالم",
    "tags": "<b>weapons</b></i><a href='x'>",
    "quotes": "\"weapons\" 'for' `Ukraine`",
}


def spans_of(text: str, word: str) -> tuple[Span, ...]:
    return tuple(Span(m.start(), m.end()) for m in re.finditer(re.escape(word), text))


def visible_text(markup: str) -> str:
    """What a reader sees: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


@pytest.mark.parametrize("text", list(HOSTILE.values()), ids=list(HOSTILE))
def test_highlight_escapes_then_bolds(text: str) -> None:
    """Hostile text renders as valid HTML that shows exactly the original, word in bold."""
    out = render.highlight(text, spans_of(text, "weapons"))
    assert html_problems(out) == []
    assert visible_text(out) == text
    assert "<b>weapons</b>" in out


def test_highlight_inside_an_escaped_entity() -> None:
    """A highlight over part of "&amp;" in the text bolds the escaped characters, not a tag."""
    text = "AT&amp;T"
    out = render.highlight(text, (Span(2, 5), Span(6, 7)))
    assert out == "AT<b>&amp;am</b>p<b>;</b>T"
    assert html_problems(out) == []
    assert visible_text(out) == text


@pytest.mark.parametrize(
    ("spans", "expected"),
    [
        ((Span(0, 3), Span(2, 5)), "<b>abcde</b>fg"),
        ((Span(4, 5), Span(0, 1)), "<b>a</b>bcd<b>e</b>fg"),
        ((Span(5, 99), Span(-3, 1)), "<b>a</b>bcde<b>fg</b>"),
        ((Span(3, 3),), "abcdefg"),
    ],
    ids=["overlapping", "unsorted", "out-of-range", "empty"],
)
def test_highlight_cleans_spans(spans: tuple[Span, ...], expected: str) -> None:
    """Overlapping, unsorted or out-of-range spans never produce nested or broken tags."""
    assert render.highlight("abcdefg", spans) == expected


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        (datetime(2022, 4, 7, 23, 30, tzinfo=UTC), "7 Apr 2022"),
        (datetime(2021, 12, 25, tzinfo=timezone(timedelta(hours=-5))), "25 Dec 2021"),
        (None, "date unknown"),
    ],
    ids=["utc", "offset", "unknown"],
)
def test_format_date(date: datetime | None, expected: str) -> None:
    """Dates read "7 Apr 2022" whatever the locale; a missing one says so."""
    assert render.format_date(date) == expected


def info(**changes: object) -> ArticleInfo:
    base = {"id": "a1", "title": "Title", "date": None, "url": None, "source": None, "passages": 1}
    return ArticleInfo(**{**base, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("article", "expected"),
    [
        (info(url="https://x.org/?a=1&b=\"2\""),
         '<a href="https://x.org/?a=1&amp;b=&quot;2&quot;">Title</a> · date unknown'),
        (info(url="javascript:alert(1)", source="<Wire>"), "Title · &lt;Wire&gt; · date unknown"),
        (info(url="https://x.org/" + "a" * 2000), "Title · date unknown"),
        (info(title="   "), "Untitled · date unknown"),
    ],
    ids=["escaped-url", "no-script-links", "overlong-url", "blank-title"],
)  # fmt: skip
def test_citation(article: ArticleInfo, expected: str) -> None:
    """Only sane http(s) links become anchors; every part is escaped."""
    assert render.citation(article) == expected


def hit(rank: int, excerpt: str, *, title: str = "T", url: str | None = None) -> Hit:
    passage = Passage(rank, "a1", 0, Span(0, len(excerpt)), excerpt)
    return Hit(rank, 1.0, info(title=title, url=url), passage, excerpt, Span(0, len(excerpt)),
               spans_of(excerpt, "weapons"))  # fmt: skip


@pytest.mark.parametrize("page_size", [1, 3, 10, 40], ids=lambda n: f"page-{n}")
def test_results_page_always_fits(page_size: int) -> None:
    """Huge excerpts, titles and links are shortened until the page is one valid message."""
    monster = ("weapons & <tanks> 🚀 " * 600).strip()
    hits = tuple(
        hit(n, monster, title="<T>" * 200, url="https://x.org/" + "é" * 900)
        for n in range(1, page_size + 1)
    )
    result = SearchResult("weapons", hits, page_size, 0, ("weapon",), 0.0123, matched=page_size)
    text = render_search.results_page(result)
    assert html_problems(text) == []
    assert text.startswith(f"🔎 {page_size} result")
    assert "[1] " in text


def test_results_page_shows_its_page_with_header() -> None:
    """Page 2 of size 2 shows ranks 3 and 4, the overall count and the search time."""
    hits = tuple(hit(n, f"weapons number {n}") for n in range(3, 5))
    text = render_search.results_page(SearchResult("weapons?", hits, 5, 2, (), 0.0123, matched=5))
    assert text.splitlines()[0] == "🔎 5 results for <i>weapons?</i> (12 ms)"
    assert re.findall(r"^\[(\d)\]", text, flags=re.M) == ["3", "4"]
    assert "[3] <b>weapons</b> number 3\nT · date unknown" in text


@pytest.mark.parametrize(
    ("matched", "more", "expected"),
    [(1, False, "1 result"), (7, False, "7 results"), (120, True, "120+ results")],
    ids=["one", "several", "more-than-counted"],
)
def test_header_counts_matching_articles(matched: int, more: bool, expected: str) -> None:
    """The header counts distinct matching articles, not the 12 ranked for paging."""
    hits = (hit(1, "weapons"),)
    result = SearchResult("weapons", hits, 12, 0, (), 0.0123, matched=matched, more=more)
    assert render_search.results_page(result).startswith(
        f"🔎 {expected} for <i>weapons</i> (12 ms)"
    )


def test_abstained_reply_lists_nearest_titles_without_excerpts() -> None:
    """Declining says so plainly and lists at most three linked, dated titles, no excerpts."""
    hits = tuple(
        Hit(n, 1.0, info(id=f"a{n}", title=f"<Title> {n}", url=f"https://x.org/{n}?a=1&b=2",
                         date=datetime(2022, 4, 7, tzinfo=UTC)),
            Passage(n, f"a{n}", 0, Span(0, 13), "weapons & co"), "weapons & co", Span(0, 12))
        for n in range(1, 6)
    )  # fmt: skip
    text = render_search.abstained(SearchResult("<weather> in Reykjavik?", hits, 5, abstained=True))
    assert html_problems(text) == []
    assert text.startswith(
        "No stored briefing answers that. (<i>&lt;weather&gt; in Reykjavik?</i>)"
    )
    assert "weapons" not in text
    assert "[1]" not in text
    assert re.findall(r"&lt;Title&gt; (\d)", text) == ["1", "2", "3"]
    assert '<a href="https://x.org/1?a=1&amp;b=2">' in text
    assert text.count("7 Apr 2022") == 3


def test_abstained_reply_always_fits() -> None:
    """Huge titles and links fall back to plain titles so the reply stays one message."""
    monster = hit(1, "x")
    hits = tuple(
        Hit(n, 1.0, info(id=f"a{n}", title=f"{n}" + "<T>" * 400, url="https://x.org/" + "é" * 980),
            monster.passage, "x", Span(0, 1))
        for n in range(1, 4)
    )  # fmt: skip
    text = render_search.abstained(SearchResult("q" * 600, hits, 3, abstained=True))
    assert html_problems(text) == []
    assert render.fits(text)
    assert text.count("\n• ") == 3
    assert "<a " not in text


@pytest.mark.parametrize(("cut_start", "cut_end"), [(True, False), (False, True), (True, True)])
@pytest.mark.parametrize("text", list(HOSTILE.values()), ids=list(HOSTILE))
def test_cut_excerpt_gets_ellipses_and_stays_valid_html(
    text: str, cut_start: bool, cut_end: bool
) -> None:
    """An excerpt narrowed inside a sentence is shown with "…" where it goes on, escaped."""
    plain = hit(1, text)
    cut = Hit(1, 1.0, plain.article, plain.passage, text, plain.excerpt_span, plain.highlights,
              cut_start=cut_start, cut_end=cut_end)  # fmt: skip
    block = render_search.hit_block(cut, render.EXCERPT_CHARS, linked=True)
    assert html_problems(block) == []
    shown = visible_text(block.split("\n")[0]).removeprefix("[1] ")
    assert shown.startswith("…") == cut_start
    assert shown.endswith("…") == cut_end
    assert shown.strip("…") == text
    page = render_search.results_page(SearchResult("weapons", (cut,), 1, 0, ("weapon",), 0.01))
    assert html_problems(page) == []


def test_cut_excerpt_that_is_also_shortened_ends_in_one_ellipsis() -> None:
    """An excerpt cut at its end and shortened for the page does not end in "……"."""
    text = "weapons and more weapons " * 40
    plain = hit(1, text.strip())
    cut = Hit(1, 1.0, plain.article, plain.passage, plain.excerpt, plain.excerpt_span,
              plain.highlights, cut_end=True)  # fmt: skip
    block = render_search.hit_block(cut, 100, linked=True)
    assert html_problems(block) == []
    assert block.split("\n")[0].endswith("…")
    assert not block.split("\n")[0].endswith("……")


def test_ten_thousand_character_passage_is_cut_cleanly() -> None:
    """A 10,000-character passage is cut at a word, ends with "…", and keeps its bold words."""
    text = " ".join(["weapons&arms", "<i>", "🇺🇦", "שלום"] * 1000)[:10_000]
    passage = Passage(5, "a1", 2, Span(0, len(text)), text)
    out = render_search.passage_view(info(passages=4), passage, spans_of(text, "weapons"))
    assert html_problems(out) == []
    assert render.utf16_len(out) > 3500  # cut near the limit, not far below it
    assert out.endswith("…")
    assert "Passage 3 of 4" in out
    assert out.count("<b>weapons</b>") > 50
    shown = visible_text(out.split("\n\n", 1)[1])
    assert text.startswith(shown.removesuffix("…"))


def test_cut_never_leaves_a_highlight_past_the_end() -> None:
    """Spans beyond the cut are dropped and one that straddles it is clipped."""
    kept, spans = render.cut("alpha beta gamma delta", (Span(6, 10), Span(11, 22)), 14)
    assert kept == "alpha beta…"
    assert spans == [Span(6, 10)]


def test_latest_page_numbers_and_escapes() -> None:
    """Listing entries are numbered from the page's first position and escaped."""
    articles = [info(title="A & B", date=datetime(2022, 4, 9, tzinfo=UTC)), info(title="<C>")]
    text = render.latest_page(articles, 2, 9)
    assert html_problems(text) == []
    assert "(3–4 of 9)" in text
    assert "3. A &amp; B · 9 Apr 2022" in text
    assert "4. &lt;C&gt; · date unknown" in text


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(5, "5 s"), (125, "2 min 5 s"), (7500, "2 h 5 min"), (3 * 86400 + 7200, "3 d 2 h")],
    ids=["seconds", "minutes", "hours", "days"],
)
def test_format_duration(seconds: float, expected: str) -> None:
    """Uptime shows the two largest units."""
    assert render.format_duration(seconds) == expected


MAY_ON = DateRange(datetime(2024, 5, 1, tzinfo=UTC), None)


def test_header_says_the_date_range_used_instead_of_its_words() -> None:
    """'floods since 1 May' is headed by the words searched and the range in full."""
    result = SearchResult(
        "floods since 1 May", (hit(1, "floods"),), 1, 0, (), 0.0123, matched=1,
        date_range=MAY_ON, undated="floods",
    )  # fmt: skip
    head = render_search.results_page(result).splitlines()[0]
    assert head == "🔎 1 result for <i>floods</i> dated since 1 May 2024 (12 ms)"


def test_a_widened_range_says_nothing_matched_it_and_shows_any_date() -> None:
    """Nothing since 1 May: the header says so and that the hits come from any date."""
    result = SearchResult(
        "<floods> since 1 May", (hit(1, "floods"),), 1, 0, (), 0.0123, matched=1,
        date_range=MAY_ON, undated="<floods>", widened=True,
    )  # fmt: skip
    text = render_search.results_page(result)
    assert html_problems(text) == []
    assert text.splitlines()[0] == (
        "🔎 Nothing since 1 May 2024 for <i>&lt;floods&gt;</i>; showing briefings from any date"
        " (1 result, 12 ms)"
    )


def test_a_declined_widened_question_offers_no_second_search() -> None:
    """Declined after widening: the reply says any date was searched and offers nothing more."""
    result = SearchResult(
        "weather since 1 May", (), 0, abstained=True, date_range=MAY_ON, undated="weather",
        widened=True,
    )  # fmt: skip
    text = render_search.abstained(result)
    assert html_problems(text) == []
    assert text.startswith(
        "No stored briefing answers that. (<i>weather since 1 May</i>; nothing since 1 May 2024,"
        " so any date searched)"
    )
    assert "To search all dates" not in text


def test_a_declined_question_with_a_range_names_it_and_offers_all_dates() -> None:
    """Declining a dated question says which dates were searched and offers all dates."""
    result = SearchResult(
        "weather since 1 May", (), 0, abstained=True, date_range=MAY_ON, undated="weather"
    )
    text = render_search.abstained(result)
    assert text.startswith(
        "No stored briefing answers that. (<i>weather since 1 May</i> dated since 1 May 2024)"
    )
    assert "To search all dates, send: <code>weather</code>" in text


LAST_WEEK = DateRange(datetime(2024, 6, 3, tzinfo=UTC), datetime(2024, 6, 10, tzinfo=UTC))


def test_a_preferred_range_is_headed_as_a_preference() -> None:
    """'floods river town last week', only preferred: the header says the week's briefings
    come first, not that the hits are all from it."""
    result = SearchResult(
        "<floods> river town last week", (hit(1, "floods"),), 1, 0, (), 0.0123, matched=1,
        date_range=LAST_WEEK, undated="<floods> river town", preferred=True,
    )  # fmt: skip
    text = render_search.results_page(result)
    assert html_problems(text) == []
    assert text.splitlines()[0] == (
        "🔎 1 result for <i>&lt;floods&gt; river town</i>, preferring those dated from 3 June"
        " 2024 to 9 June 2024 (12 ms)"
    )


def test_a_declined_preferred_question_offers_no_second_search() -> None:
    """Declined with a preferred range: every date was searched, so no other search is offered."""
    result = SearchResult(
        "weather river town last week", (), 0, abstained=True, date_range=LAST_WEEK,
        undated="weather river town", preferred=True,
    )  # fmt: skip
    text = render_search.abstained(result)
    assert html_problems(text) == []
    assert text.startswith(
        "No stored briefing answers that. (<i>weather river town last week</i>, preferring those"
        " dated from 3 June 2024 to 9 June 2024)"
    )
    assert "To search all dates" not in text


def test_also_in_names_each_other_source_once_and_counts_the_rest() -> None:
    """Folded copies: sources escaped, deduplicated, the hit's own left out, past four counted."""
    copies = tuple(
        ArticleInfo(f"c{i}", f"Copy {i}", None, None, name)
        for i, name in enumerate(["A<1>", "B", "B", "RFE", None, "C", "D", "E"])
    )
    shown = replace(hit(1, "weapons arrive"), also=copies)
    assert render_search.also_in(shown) == "\nalso in: A&lt;1&gt; · B · RFE · Copy 4 (+3 more)"
    own = replace(shown, article=info(source="B"), also=copies[1:3])
    assert render_search.also_in(own) == ""
    assert render_search.also_in(hit(2, "weapons")) == ""
    page = render_search.results_page(SearchResult("weapons", (shown,), 1, 0, (), 0.01, matched=1))
    assert "\nT · date unknown\nalso in: A&lt;1&gt; · B" in page
    assert html_problems(page) == []
