"""Every reply's HTML is built from here: escaping, cutting, highlights, citations.

This module holds those pieces and the replies that are not search results
(:mod:`bot.render_search`) or alerts (:mod:`bot.render_alerts`); both build only from the
pieces here. Records carry plain text and spans; each plain segment is escaped first and only
then are the highlighted ones wrapped in ``<b>``, so a highlight can never break escaping.
Text is cut before it is escaped, never after, so a reply stays under Telegram's 4096
characters without a cut tag or entity.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from bot.stats import StatsSnapshot
from retrieval import ArticleInfo, Span

# Telegram counts UTF-16 code units of the parsed text; the raw HTML is never shorter.
LIMIT = 4096
EXCERPT_CHARS = 600
TITLE_CHARS = 200
SOURCE_CHARS = 80
QUERY_CHARS = 120
URL_CHARS = 1000  # longer links are shown unlinked rather than eating the message budget
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
ELLIPSIS = "…"


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: emoji outside the BMP take two units."""
    return len(text.encode("utf-16-le")) // 2


def fits(text: str) -> bool:
    """Whether ``text`` can be sent as one message."""
    return utf16_len(text) <= LIMIT


def esc(text: str) -> str:
    """Escape text for Telegram HTML (only ``&``, ``<`` and ``>`` matter outside attributes)."""
    return html.escape(text, quote=False)


def clean_spans(spans: Iterable[Span], length: int) -> list[Span]:
    """Clip spans to ``[0, length)``, drop empty ones, sort, and merge overlaps."""
    merged: list[Span] = []
    for span in sorted((max(0, s.start), min(length, s.end)) for s in spans):
        start, end = span
        if start >= end:
            continue
        if merged and start < merged[-1].end:
            merged[-1] = Span(merged[-1].start, max(end, merged[-1].end))
        else:
            merged.append(Span(start, end))
    return merged


def cut(text: str, spans: Sequence[Span], limit: int) -> tuple[str, list[Span]]:
    """Shorten ``text`` to about ``limit`` characters at a word boundary, ending with "…"."""
    if len(text) <= limit:
        return text, clean_spans(spans, len(text))
    end = limit
    space = text.rfind(" ", 0, limit + 1)
    if space > limit * 0.7:
        end = space
    kept = text[:end].rstrip()
    return kept + ELLIPSIS, clean_spans(spans, len(kept))


def highlight(text: str, spans: Sequence[Span]) -> str:
    """Escape ``text`` segment by segment and wrap each span in ``<b>``."""
    parts = []
    position = 0
    for span in clean_spans(spans, len(text)):
        parts.append(esc(text[position : span.start]))
        parts.append(f"<b>{esc(text[span.start : span.end])}</b>")
        position = span.end
    parts.append(esc(text[position:]))
    return "".join(parts)


def largest_fitting(text: str, spans: Sequence[Span], build: Callable[[str], str]) -> str:
    """Return ``build(highlighted prefix)`` for the longest prefix of ``text`` that fits.

    The rendered length grows with the prefix, so a binary search over the cut point finds it.
    """
    whole = build(highlight(text, spans))
    if fits(whole):
        return whole
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if fits(build(highlight(*cut(text, spans, middle)))):
            low = middle
        else:
            high = middle - 1
    return build(highlight(*cut(text, spans, low)))


def format_date(date: datetime | None) -> str:
    """``7 Apr 2022``, spelled the same whatever the machine's locale; or "date unknown"."""
    if date is None:
        return "date unknown"
    return f"{date.day} {MONTHS[date.month - 1]} {date.year}"


def short(text: str, limit: int) -> str:
    """Escaped ``text`` cut to ``limit`` characters."""
    return esc(cut(text, (), limit)[0])


def title_link(article: ArticleInfo, *, linked: bool = True) -> str:
    """The title, as a link to the article when it has a web address of sane length."""
    title = short(article.title.strip() or "Untitled", TITLE_CHARS)
    url = article.url or ""
    if linked and url.startswith(("http://", "https://")) and len(url) <= URL_CHARS:
        return f'<a href="{html.escape(url, quote=True)}">{title}</a>'
    return title


def citation(article: ArticleInfo, *, linked: bool = True) -> str:
    """``Title · Source · 7 Apr 2022`` with the title linked."""
    parts = [title_link(article, linked=linked)]
    if article.source:
        parts.append(short(article.source, SOURCE_CHARS))
    parts.append(format_date(article.date))
    return " · ".join(parts)


def format_seconds(seconds: float) -> str:
    """``8 ms`` below a second, ``1.4 s`` above."""
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def counted(count: int, noun: str, plural: str = "") -> str:
    """``1 briefing``, ``0 briefings``, ``2 passages``: a count with its noun in agreement."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


def latest_page(articles: Sequence[ArticleInfo], first: int, total: int) -> str:
    """Newest briefings as a numbered list; ``first`` is the 0-based number of the first one."""
    if not articles:
        return "No briefings are loaded yet."
    last = first + len(articles)
    head = f"🗞 <b>Newest briefings</b> ({first + 1}–{last} of {total})"
    lines = [f"{first + n}. {citation(article)}" for n, article in enumerate(articles, 1)]
    text = "\n\n".join([head, *lines])
    if fits(text):
        return text
    return "\n\n".join(
        [head] + [f"{first + n}. {citation(a, linked=False)}" for n, a in enumerate(articles, 1)]
    )


def welcome(example: str | None) -> str:
    """What /start says: what the bot is for and one question that will find something."""
    text = (
        "👋 I answer questions about the news briefings I have read, with cited excerpts.\n"
        "Just send me a question."
    )
    if example:
        text += f"\n\nFor example: <i>{short(example, QUERY_CHARS)}</i>"
    return text + "\n\n/help lists everything I can do."


def help_text(commands: Iterable[tuple[str, str]]) -> str:
    """``/command args — what it does`` for each ``(usage, description)``."""
    lines = [f"{esc(usage)} — {esc(description)}" for usage, description in commands]
    return "\n".join(
        ["<b>What I can do</b>", "Send a question as a message, or use a command:", "", *lines]
    )


def usage(text: str) -> str:
    """A short usage hint, escaped (it may quote ``<query>``)."""
    return esc(text)


def retry_later(seconds: float, limit: int, window: float) -> str:
    """What a user over their own quota (``limit`` questions per ``window`` s) is told, once.

    It is a per-person limit, not the bot being busy: the message says so, and when to retry.
    """
    span = f"{window / 60:g} min" if window >= 60 else f"{window:g} s"
    return (
        f"You have asked {counted(limit, 'question')} in {span}, the most I answer for one "
        f"person. Try again in {max(1, round(seconds))} s."
    )


def format_duration(seconds: float) -> str:
    """``3 d 4 h``, ``2 h 5 min``, ``42 s``: two units are enough for an uptime."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def stats_text(articles: int, passages: int, snapshot: StatsSnapshot, unsearchable: int = 0) -> str:
    """The operator's /stats: corpus size, questions answered, answer times, uptime, and
    stored passages not searchable yet (another process stored them since the last look)."""

    def ms(value: float | None) -> str:
        return "n/a" if value is None else format_seconds(value)

    lines = ["<b>Briefbot stats</b>", f"Articles: {articles}", f"Passages: {passages}"]
    if unsearchable:
        lines.append(
            f"Not searchable yet: {counted(unsearchable, 'stored passage')} (another process "
            "stored them; the bot indexes them within a minute)"
        )
    lines += [
        f"Questions answered: {snapshot.answered}",
        f"Answer time p50 / p95: {ms(snapshot.p50)} / {ms(snapshot.p95)}",
        f"Uptime: {format_duration(snapshot.uptime)}",
    ]
    return "\n".join(lines)
