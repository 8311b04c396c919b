"""Plain-text and JSON output of the ``briefbot`` command: what a terminal or a script reads."""

from __future__ import annotations

from datetime import datetime
from typing import TextIO

from bot.render import format_date
from retrieval.models import ArticleInfo, Hit, IngestSummary
from retrieval.sources import SourceStatus, ago_words, every_words


def size_words(count: int) -> str:
    """Bytes in the largest unit that keeps the number at or above 1."""
    if count < 1000:
        return f"{count} B"
    value = float(count)
    for unit in ("kB", "MB", "GB"):
        value /= 1000
        if value < 1000 or unit == "GB":
            break
    return f"{value:,.1f} {unit}"


def describe(summary: IngestSummary) -> str:
    """A short, plain summary of an ingest for people and logs."""
    lines = [
        f"Added {len(summary.added)} articles ({summary.passages} passages), "
        f"{summary.duplicates} already stored, {len(summary.skipped)} skipped."
    ]
    lines += [f"  skipped {item}" for item in summary.skipped]
    return "\n".join(lines)


def print_hit(hit: Hit, out: TextIO, *, bold: bool) -> None:
    """Print one cited excerpt with query words marked (and "…" where cut), then its source."""
    on, off = ("\033[1m", "\033[0m") if bold else ("**", "**")
    text, parts, cursor = hit.excerpt, [], 0
    for span in hit.highlights:
        parts += [text[cursor : span.start], on, span.slice(text), off]
        cursor = span.end
    parts.append(text[cursor:])
    if hit.cut_start:
        parts.insert(0, "…")
    if hit.cut_end:
        parts.append("…")
    a = hit.article
    cite = " · ".join(x for x in (a.title, a.source, format_date(a.date)) if x)
    print(f"[{hit.rank}] {''.join(parts)}\n    {cite}", file=out)
    if a.url:
        print(f"    {a.url}", file=out)


def hit_json(hit: Hit) -> dict[str, object]:
    """One hit as the JSON object ``search --json`` prints."""
    a = hit.article
    return {
        "rank": hit.rank,
        "article_id": a.id,
        "title": a.title,
        "date": a.date.isoformat() if a.date else None,
        "url": a.url,
        "source": a.source,
        "passage_id": hit.passage.id,
        "ranked_passage_id": (hit.ranked or hit.passage).id,
        "score": hit.score,
        "excerpt": hit.excerpt,
        "excerpt_span": [hit.excerpt_span.start, hit.excerpt_span.end],
        "highlights": [[s.start, s.end] for s in hit.highlights],
        "cut_start": hit.cut_start,
        "cut_end": hit.cut_end,
    }


def info_json(info: ArticleInfo) -> dict[str, object]:
    """One article as the JSON object ``latest --json`` prints."""
    date = info.date.isoformat() if info.date else None
    return {"id": info.id, "title": info.title, "date": date, "url": info.url,
            "source": info.source, "passages": info.passages}  # fmt: skip


def source_line(row: SourceStatus, every: float | None, now: datetime) -> str:
    """One source's health in plain words; ``every`` is None for a source not configured."""
    how_often = "not in config.toml" if every is None else every_words(every)
    health = {0: "ok", 1: "failed"}.get(row.failures, f"failed {row.failures} times in a row")
    if row.last_error:
        health += f": {row.last_error}"
    elif row.last_poll is None:
        health = "not polled yet"
    return (
        f"{row.location}\n    {how_often} · last poll {ago_words(row.last_poll, now)} · "
        f"added {row.added_last} (total {row.added_total}) · {health}"
    )


def source_json(row: SourceStatus, every: float | None) -> dict[str, object]:
    """One source as the JSON object ``sources --json`` prints."""
    stamps = {"last_poll": row.last_poll, "last_success": row.last_success,
              "next_poll": row.next_poll}  # fmt: skip
    return {
        "location": row.location,
        "configured": every is not None,
        "every": every,
        "added_last": row.added_last,
        "added_total": row.added_total,
        "failures": row.failures,
        "last_error": row.last_error,
        **{name: stamp.isoformat() if stamp else None for name, stamp in stamps.items()},
    }
