"""HTML for alerts, watch lists, /sources and /ingest: ``bot.render``'s rules, split off for size.

Same rules as ``bot.render``: escape every plain segment, then wrap highlights; cut text before
escaping; never exceed one message. Lists that could grow past a message end with "… and N
more" instead of being cut mid-tag.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.alert_queue import Alert
from bot.render import (
    ELLIPSIS,
    QUERY_CHARS,
    citation,
    counted,
    cut,
    fits,
    format_duration,
    highlight,
    short,
)
from bot.settings import Source
from bot.terminal import nothing_removed, removed_line
from bot.watches import Forgotten, Watch
from retrieval import (
    IngestSummary,
    Removed,
    SourceStatus,
)

ALERT_EXCERPT_CHARS = 300
ERROR_CHARS = 300
LOCATION_CHARS = 200
SKIP_LINES = 10


def _join_fitting(head: str, blocks: Sequence[str], more: str) -> tuple[str, int]:
    """``head`` plus as many ``blocks`` as fit in one message; ``more`` names the rest."""
    text, shown = head, 0
    for block in blocks:
        tail = more.format(len(blocks) - shown - 1) if shown + 1 < len(blocks) else ""
        if not fits(f"{text}\n\n{block}{tail}"):
            break
        text, shown = f"{text}\n\n{block}", shown + 1
    if shown < len(blocks):
        text += more.format(len(blocks) - shown)
    return text, shown


def alert_block(alert: Alert) -> str:
    """The watched query, the matching sentence with its words in bold, then the citation.

    An excerpt narrowed inside a long sentence gets "…" where the sentence goes on, as in a
    reply (``bot.render_search.hit_block``).
    """
    text, spans = cut(alert.excerpt, alert.highlights, ALERT_EXCERPT_CHARS)
    excerpt = highlight(text, spans)
    if alert.cut_start:
        excerpt = ELLIPSIS + excerpt
    if alert.cut_end and not text.endswith(ELLIPSIS):
        excerpt += ELLIPSIS
    query = short(alert.query, QUERY_CHARS)
    return f"🔔 <i>{query}</i>\n{excerpt}\n{citation(alert.article)}"


def alerts_message(alerts: Sequence[Alert]) -> tuple[str, int]:
    """One message for a batch of alerts, and how many of them it holds (the rest wait)."""
    noun = "briefing matches" if len(alerts) == 1 else "briefings match"
    head = f"<b>{len(alerts)} new {noun} your watches</b>"
    blocks = [alert_block(alert) for alert in alerts]
    text, shown = _join_fitting(head, blocks, "")
    if shown == 0:  # cannot happen with the caps above, but never send an empty batch
        text, shown = f"{head}\n\n{short(alerts[0].excerpt, 100)}", 1
    return text, shown


def watch_saved(watch: Watch, *, new: bool, related: bool = False) -> str:
    """Confirm /watch, with the id /unwatch needs; a long text is watched by its telling words."""
    query = short(watch.query, QUERY_CHARS)
    first = "Watching" if new else "Already watching"
    match = (
        "It is long, so I watch for briefings related to it, by its most telling words. "
        if related
        else ""
    )
    return (
        f"👀 {first} <i>{query}</i> (#{watch.id}).\n"
        f"{match}I will send new briefings that match. /watches lists your watches; "
        f"/unwatch {watch.id} stops this one."
    )


def watch_list(watches: Sequence[Watch]) -> str:
    """What /watches shows: every watch of the chat with its id."""
    if not watches:
        return "No watches here yet. Start one with /watch <i>words</i>, e.g. /watch grain exports."
    lines = [f"#{watch.id} <i>{short(watch.query, QUERY_CHARS)}</i>" for watch in watches]
    head = "<b>Watches in this chat</b>\nStop one with /unwatch <i>id</i>."
    return _join_fitting(head, lines, "\n\n… and {} more")[0]


def unwatched(watch_id: int, *, removed: bool) -> str:
    """Confirm /unwatch, or say politely that this chat has no such watch."""
    if removed:
        return f"Stopped watch #{watch_id}."
    return f"This chat has no watch #{watch_id}. /watches lists the ones it has."


def forgot(forgotten: Forgotten, questions: int) -> str:
    """What /forgetme says it deleted (``questions``: stored questions behind result buttons)."""
    watches = "watch" if forgotten.watches == 1 else "watches"
    alerts = "alert" if forgotten.alerts == 1 else "alerts"
    asked = "question" if questions == 1 else "questions"
    return (
        f"Done: I deleted your {forgotten.watches} {watches}, {forgotten.alerts} stored "
        f"{alerts} and {questions} stored {asked} (their result buttons now say expired), "
        "and forgot when I last sent you alerts."
    )


def _ago(moment: datetime | None, now: datetime) -> str:
    return "never" if moment is None else f"{format_duration((now - moment).total_seconds())} ago"


def _every(every: float | None) -> str:
    if every is None:
        return "not configured"
    return "at start only" if every <= 0 else f"every {format_duration(every)}"


def source_block(
    location: str, every: float | None, status: SourceStatus | None, now: datetime
) -> str:
    """One source: where, how often, last poll, items added, and how it is doing."""
    head = f"<b>{short(location, LOCATION_CHARS)}</b> ({_every(every)})"
    if status is None:
        return f"{head}\nnot polled yet"
    state = "ok" if status.last_error is None else f"⚠️ {short(status.last_error, ERROR_CHARS)}"
    if status.failures:
        state += f" ({counted(status.failures, 'failed poll')} in a row)"
    if status.last_skipped:
        state += f"\nskipped {short(status.last_skipped, ERROR_CHARS)}"
    updated = (
        f", updated {status.updated_last} (total {status.updated_total})"
        if status.updated_total
        else ""
    )
    return (
        f"{head}\nlast poll {_ago(status.last_poll, now)}, added {status.added_last} "
        f"(total {status.added_total}){updated}\n{state}"
    )


def sources_text(
    configured: Sequence[Source], statuses: Sequence[SourceStatus], now: datetime
) -> str:
    """What /sources shows: configured sources first, then any other source polled before."""
    by_location = {status.location: status for status in statuses}
    blocks = [
        source_block(s.location, s.every, by_location.pop(s.location, None), now)
        for s in configured
    ]
    blocks += [source_block(loc, None, status, now) for loc, status in by_location.items()]
    if not blocks:
        return "No sources are configured."
    return _join_fitting("<b>Sources</b>", blocks, "\n\n… and {} more")[0]


def ingest_result(location: str, summary: IngestSummary | None, error: str | None) -> str:
    """What /ingest answers: counts, every skip reason (the first few), or what went wrong."""
    where = short(location, LOCATION_CHARS)
    if error is not None:
        return f"Could not ingest {where}: {short(error, ERROR_CHARS)}"
    if summary is None:
        return f"{where} has not changed since the last poll: nothing to add."
    lines = [
        f"Ingested {where}: added {counted(len(summary.added), 'briefing')} "
        f"({counted(summary.passages, 'passage')}), "
        + (f"{len(summary.updated)} updated, " if summary.updated else "")
        + f"{summary.duplicates} already stored, {len(summary.skipped)} skipped."
    ]
    lines += [f"• skipped {short(str(item), ERROR_CHARS)}" for item in summary.skipped[:SKIP_LINES]]
    if len(summary.skipped) > SKIP_LINES:
        lines.append(f"… and {len(summary.skipped) - SKIP_LINES} more skipped")
    return "\n".join(lines)


def removed_text(removed: Removed, targets: Sequence[str], source: str | None) -> str:
    """What /remove answers: what went ("removed 1 article (7 passages)"), or that nothing
    matched what was asked for."""
    if not removed.articles:
        return short(_sentence(nothing_removed(targets, source)), ERROR_CHARS * 2)
    head = _sentence(removed_line(removed))
    lines = [f"• {short(info.title, LOCATION_CHARS)}" for info in removed.articles[:SKIP_LINES]]
    if len(removed.articles) > SKIP_LINES:
        lines.append(f"… and {len(removed.articles) - SKIP_LINES} more")
    return "\n".join([head, *lines])


def _sentence(text: str) -> str:
    """``text`` as a sentence: a capital first letter (the rest as it is) and a full stop."""
    return f"{text[:1].upper()}{text[1:]}."
