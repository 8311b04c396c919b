"""Plain-text and JSON output of the ``briefbot`` command: what a terminal or a script reads."""

from __future__ import annotations

from datetime import datetime
from typing import TextIO

from bot.render import DECLINE, NEAREST, format_date
from retrieval.evaluation import Report
from retrieval.models import ArticleInfo, Hit, IndexCheck, IngestSummary, SearchResult
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


def index_lines(check: IndexCheck, index_dir: object) -> list[str]:
    """``stats`` lines on how the index agrees with the store, each with what to do about it."""
    lines = [f"searchable  {check.searchable:,} of {check.stored:,} stored passages"]
    if check.repaired:
        lines.append(f"repaired    {check.repaired}; nothing left to do")
    if check.unsearchable:
        lines.append(
            f"behind      {check.unsearchable:,} passages were stored while this ran (another "
            "process is writing); a running bot indexes them within a minute, and "
            "`briefbot stats` again shows them"
        )
    if check.save_error:
        lines.append(
            f"not saved   {check.save_error}; every start re-indexes what the saved index "
            f"lacks until {index_dir} can be written"
        )
    return lines


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
    if hit.also:
        names = dict.fromkeys((c.source or c.title).strip() or "Untitled" for c in hit.also)
        print(f"    also in: {' · '.join(names)}", file=out)  # every copy: a terminal has room


DECLINED = f"{DECLINE} Try other words, or see `briefbot latest`."


def print_declined(result: SearchResult, out: TextIO) -> None:
    """Say that no briefing answers the question, then list the nearest articles, no excerpts."""
    print(DECLINED, file=out)
    nearest = list(dict.fromkeys(hit.article for hit in result.hits))[:NEAREST]
    if nearest:
        print("\nNearest briefings:", file=out)
    for a in nearest:
        print(f"- {' · '.join(x for x in (a.title, a.source, format_date(a.date)) if x)}", file=out)
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
        "also": [also_json(info) for info in hit.also],
    }


def also_json(info: ArticleInfo) -> dict[str, object]:
    """An article holding a copy folded into a hit, as ``search --json`` lists it in ``also``."""
    return {
        "article_id": info.id,
        "title": info.title,
        "date": info.date.isoformat() if info.date else None,
        "url": info.url,
        "source": info.source,
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
    skipped = f"\n    skipped {row.last_skipped}" if row.last_skipped else ""
    return (
        f"{row.location}\n    {how_often} · last poll {ago_words(row.last_poll, now)} · "
        f"added {row.added_last} (total {row.added_total}) · {health}{skipped}"
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
        "last_skipped": row.last_skipped,
        **{name: stamp.isoformat() if stamp else None for name, stamp in stamps.items()},
    }


def eval_lines(report: Report) -> list[str]:
    """An eval report as aligned text: sizes, then one line per metric with its interval."""
    lines = [
        f"{report.name}: {report.articles:,} articles ({report.duplicates:,} duplicates "
        f"dropped, {report.passages:,} passages), {report.queries:,} queries, "
        f"{report.refused:,} refused",
        f"{'metric':<18} {'value':>6}  {'95% interval':>12}  {'queries':>7}",
    ]
    for name, found in report.metrics.items():
        half = "" if found.half_width != found.half_width else f"±{found.half_width:.3f}"
        lines.append(f"{name:<18} {found.mean:>6.3f}  {half:>12}  {found.n:>7,}")
    return lines
