"""Inline mode: ``@bot <question>`` in any chat offers cited excerpts to send there.

Each result is one hit: its title line is the citation (title · source · date), its
description the excerpt, and the message it sends the same cited excerpt a chat reply shows
(HTML, linked title, date). Results come ten at a time: Telegram asks for the next ten with the
``next_offset`` given, as the reader scrolls. The answers are personal (``is_personal``) and
cached briefly: briefings arrive all day, and the allowlist decides per user.

The same rules as chat replies apply: the access gate (``bot.handlers.gate``) stops users off
the allowlist before this handler, each query counts against the user's rate limit, and a
question no briefing answers offers no excerpts, only a button that opens the bot. Sent
inline messages carry no buttons: Telegram names no chat for them, so no stored query could be
owned by the presser (see ``bot.buttons.owner_of``).
"""

from __future__ import annotations

import asyncio
import logging
import time

from telegram import (
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Update,
)

from bot import render, render_search
from bot.context import BriefContext, Services
from bot.handlers import log_answer
from retrieval import (
    Hit,
    QueryError,
    SearchResult,
    describe_range,
)

log = logging.getLogger(__name__)

PAGE = 10  # results per answer: what Telegram shows before asking for more
DEPTH = 50  # results one question pages through inline, at most
CACHE_SECONDS = 30
DESCRIPTION_CHARS = 200
BUTTON_CHARS = 60
DECLINED = "No briefing answers that: open the bot"
WIDENED = "Nothing {}: showing any date"
EMPTY = "Type a question, or open the bot"
SLOW_DOWN = "Too many questions: try again in {} s"
# What the bot's /start receives from the buttons below (Telegram allows [A-Za-z0-9_-]).
START_PARAMETER = "inline"


def inline_message(hit: Hit) -> str:
    """The message an inline result sends: the cited excerpt exactly as a chat reply shows it
    (query words in bold, "…" where cut, linked title, source, date), without its [n]."""
    return render_search.hit_block(hit, render.EXCERPT_CHARS, linked=True).removeprefix(
        f"[{hit.rank}] "
    )


def title_line(hit: Hit) -> str:
    """``Title · Source · 7 Apr 2022`` as plain text (Telegram shows titles unformatted)."""
    article = hit.article
    parts = [render.cut(article.title.strip() or "Untitled", (), render.TITLE_CHARS)[0]]
    if article.source:
        parts.append(render.cut(article.source, (), render.SOURCE_CHARS)[0])
    parts.append(render.format_date(article.date))
    return " · ".join(parts)


def article_result(hit: Hit) -> InlineQueryResultArticle:
    """One hit as an inline article; its id is the passage's, unique within an answer."""
    description = render.cut(hit.excerpt, (), DESCRIPTION_CHARS)[0]
    url = hit.article.url if (hit.article.url or "").startswith(("http://", "https://")) else None
    return InlineQueryResultArticle(
        id=str(hit.passage.id),
        title=title_line(hit),
        description=description,
        input_message_content=InputTextMessageContent(inline_message(hit)),
        url=url if url and len(url) <= render.URL_CHARS else None,
    )


def parse_offset(offset: str) -> int:
    """The offset Telegram sends back (one we gave as ``next_offset``); 0 for anything else."""
    if offset.isascii() and offset.isdigit() and len(offset) <= 4:
        return min(int(offset), DEPTH)
    return 0


def inline_search(services: Services, query: str, offset: int) -> SearchResult:
    """Rank ``DEPTH`` results and cite the ``PAGE`` from ``offset`` (in a thread)."""
    return services.engine.search(
        query, DEPTH, offset=offset, limit=PAGE, min_share=services.settings.min_share
    )


def widened_notice(result: SearchResult) -> InlineQueryResultsButton | None:
    """Above results from any date because the question's range matched nothing, the line
    that says so (inline results have no header to say it in, as a chat reply does)."""
    if not result.widened or result.date_range is None:
        return None
    return open_bot(WIDENED.format(describe_range(result.date_range)))


def open_bot(text: str) -> InlineQueryResultsButton:
    """The button above the results that opens a private chat with the bot."""
    return InlineQueryResultsButton(
        render.cut(text, (), BUTTON_CHARS)[0], start_parameter=START_PARAMETER
    )


async def on_inline(update: Update, context: BriefContext) -> None:
    """Answer an inline query with up to ten cited excerpts, or say why there are none."""
    started = time.perf_counter()
    inline = update.inline_query
    if inline is None:
        return
    services = context.services
    query = inline.query.strip()
    if not query:
        await inline.answer([], CACHE_SECONDS, True, button=open_bot(EMPTY))
        return
    verdict = services.guard.question(inline.from_user.id)
    if not verdict.allowed:
        wait = SLOW_DOWN.format(max(1, round(verdict.retry_after)))
        # Not cached: the limit lifts long before a cached refusal would expire.
        await inline.answer([], button=open_bot(wait), cache_time=0, is_personal=True)
        return
    offset = parse_offset(inline.offset)
    try:
        result = await asyncio.to_thread(inline_search, services, query, offset)
    except QueryError as error:
        await inline.answer([], CACHE_SECONDS, True, button=open_bot(str(error)))
        log_answer(update, services, "unsearchable inline query", started, 0)
        return
    if not result.hits or result.abstained:
        await inline.answer([], CACHE_SECONDS, True, button=open_bot(DECLINED))
        log_answer(update, services, "declined inline query", started, 0)
        return
    shown = offset + len(result.hits)
    await inline.answer(
        [article_result(hit) for hit in result.hits],
        cache_time=CACHE_SECONDS,
        is_personal=True,
        next_offset=str(shown) if shown < result.total else None,  # None: no more results
        button=widened_notice(result),
    )
    services.stats.record(time.perf_counter() - started)
    log_answer(update, services, "inline query", started, len(result.hits))
