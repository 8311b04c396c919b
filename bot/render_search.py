"""Search replies' HTML: a page of cited excerpts, and what is said when there is none.

Kept apart from :mod:`bot.render` (the escaping, cutting and citation every reply is built
from, and the other replies) because a results page is the one reply with its own budget
rules: excerpts shortened step by step, links dropped last, copies named under a hit, and
the declining reply that lists titles without quoting an answer. Everything here is built
from :mod:`bot.render`'s pieces, so escaping stays in one place.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.render import (
    ELLIPSIS,
    EXCERPT_CHARS,
    QUERY_CHARS,
    SOURCE_CHARS,
    citation,
    cut,
    esc,
    fits,
    format_seconds,
    highlight,
    largest_fitting,
    short,
)
from retrieval import ArticleInfo, Hit, Passage, SearchResult, Span, describe_range


def result_count(result: SearchResult) -> str:
    """``1 result``, ``7 results``, or ``120+ results`` when more matched than were counted.

    Counts the distinct articles holding a query word, not the passages ranked for paging.
    """
    count = result.matched
    noun = "result" if count == 1 and not result.more else "results"
    return f"{count}{'+' if result.more else ''} {noun}"


def results_header(result: SearchResult, related_to: str = "") -> str:
    """``7 results for <i>query</i> (8 ms)``, or what a forwarded or pasted message found.

    A message is not quoted back: it is long, and its sender knows what it says.
    """
    seconds = format_seconds(result.seconds)
    if related_to:
        return (
            f"🔎 Briefings related to the message you {esc(related_to)} "
            f"({result_count(result)}, {seconds})"
        )
    if result.date_range is not None:  # the date words became the range, said in full
        query = short(result.undated, QUERY_CHARS)
        dated = esc(describe_range(result.date_range))
        if result.widened:  # nothing in the range matched: these hits are from any date
            return (
                f"🔎 Nothing {dated} for <i>{query}</i>; showing briefings from any date "
                f"({result_count(result)}, {seconds})"
            )
        if result.preferred:  # a relative date ranks its briefings first, hides no other
            return (
                f"🔎 {result_count(result)} for <i>{query}</i>, preferring those dated {dated} "
                f"({seconds})"
            )
        return f"🔎 {result_count(result)} for <i>{query}</i> dated {dated} ({seconds})"
    query = short(result.query, QUERY_CHARS)
    return f"🔎 {result_count(result)} for <i>{query}</i> ({seconds})"


def hit_block(hit: Hit, excerpt_chars: int, *, linked: bool) -> str:
    """``[1] excerpt`` then the citation on its own line.

    An excerpt narrowed inside a long sentence gets "…" where the sentence goes on; the
    excerpt itself stays the verbatim slice, the marks are added here.
    """
    text, spans = cut(hit.excerpt, hit.highlights, excerpt_chars)
    excerpt = highlight(text, spans)
    if hit.cut_start:
        excerpt = ELLIPSIS + excerpt
    if hit.cut_end and not text.endswith(ELLIPSIS):
        excerpt += ELLIPSIS
    return f"[{hit.rank}] {excerpt}\n{citation(hit.article, linked=linked)}{also_in(hit)}"


ALSO_SHOWN = 4
"""Other copies named under a hit; more are counted ("+2 more")."""


def also_in(hit: Hit) -> str:
    """``\nalso in: Source · Source`` for the copies folded into ``hit``, or nothing.

    A copy is named by its source, else its title; a source is named once, and not at all
    when it is the shown copy's own (a re-post there says nothing new).
    """
    names = list(dict.fromkeys((a.source or a.title).strip() or "Untitled" for a in hit.also))
    names = [name for name in names if name != (hit.article.source or "").strip()]
    if not names:
        return ""
    shown = " · ".join(short(name, SOURCE_CHARS) for name in names[:ALSO_SHOWN])
    rest = len(names) - ALSO_SHOWN
    return f"\nalso in: {shown}" + (f" (+{rest} more)" if rest > 0 else "")


def results_page(result: SearchResult, *, related_to: str = "") -> str:
    """One page of numbered, cited excerpts under a header.

    Excerpts are shortened step by step until the page fits; links go last, and if even bare
    blocks are too many for one message, the page ends with the blocks that fit.
    """
    hits = result.hits
    head = results_header(result, related_to)
    blocks: list[str] = []
    for excerpt_chars, linked in ((EXCERPT_CHARS, True), (250, True), (100, True), (60, False)):
        blocks = [hit_block(hit, excerpt_chars, linked=linked) for hit in hits]
        text = "\n\n".join([head, *blocks])
        if fits(text):
            return text
    text = head
    for block in blocks:
        if not fits(f"{text}\n\n{block}"):
            break
        text = f"{text}\n\n{block}"
    return text


def no_results(query: str) -> str:
    """Say plainly that nothing matched and what to try instead."""
    return (
        f"No briefing matches <i>{short(query, QUERY_CHARS)}</i>.\n"
        "Try other or fewer words, or see the newest briefings with /latest."
    )


def no_related(related_to: str) -> str:
    """Say that nothing in the briefings is close to a forwarded or pasted message."""
    return (
        f"No briefing is related to the message you {esc(related_to)}.\n"
        "Ask a question in a few words, or see the newest briefings with /latest."
    )


NEAREST = 3  # articles listed when the bot declines to answer
DECLINE = "No stored briefing answers that."  # the CLI says the same


def abstained(result: SearchResult) -> str:
    """Say plainly that no briefing answers the question, then list the nearest articles.

    The nearest articles are the first hits (one per article) as linked titles with dates, so
    a reader can still look; no excerpt is quoted, so nothing passes for an answer.
    """
    dated = f" dated {esc(describe_range(result.date_range))}" if result.date_range else ""
    if result.widened and result.date_range is not None:  # any date was searched already
        dated = f"; nothing {esc(describe_range(result.date_range))}, so any date searched"
    elif result.preferred and result.date_range is not None:  # any date was searched too
        dated = f", preferring those dated {esc(describe_range(result.date_range))}"
    head = (
        f"{DECLINE} (<i>{short(result.query, QUERY_CHARS)}</i>{dated})\n"
        "Try other words, or see the newest briefings with /latest."
    )
    if result.date_range is not None and not (result.widened or result.preferred):
        # The answer may lie outside the range: offer the question without it.
        head += f"\nTo search all dates, send: <code>{short(result.undated, QUERY_CHARS)}</code>"
    nearest = list(dict.fromkeys(hit.article for hit in result.hits))[:NEAREST]
    if not nearest:
        return head
    for linked in (True, False):
        lines = [f"• {citation(article, linked=linked)}" for article in nearest]
        text = "\n".join([head, "", "Nearest briefings:", *lines])
        if fits(text):
            break
    return text


def passage_view(article: ArticleInfo, passage: Passage, spans: Sequence[Span]) -> str:
    """A whole passage with the query's words in bold, under its citation and position."""
    head = (
        f"{citation(article)}\n"
        f"<i>Passage {passage.ordinal + 1} of {max(article.passages, passage.ordinal + 1)}</i>"
    )
    return largest_fitting(passage.text, spans, lambda body: f"{head}\n\n{body}")
