"""Plain-text and JSON output of the ``briefbot`` command: what a terminal or a script reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TextIO

from bot.render import counted, format_date
from bot.render_search import DECLINE, NEAREST
from bot.wording import ago_words, every_words
from retrieval import (
    ArticleInfo,
    EngineStats,
    Hit,
    IndexCheck,
    IngestSummary,
    Removed,
    Report,
    SearchResult,
    SourceStatus,
)


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
        f"Added {counted(len(summary.added), 'article')} "
        f"({counted(summary.passages, 'passage')}), "
        + (f"{len(summary.updated)} updated, " if summary.updated else "")
        + f"{summary.duplicates} already stored, {len(summary.skipped)} skipped."
    ]
    lines += [f"  updated {info.title} ({info.url or info.id})" for info in summary.updated]
    lines += [f"  skipped {item}" for item in summary.skipped]
    return "\n".join(lines)


def ingest_items(summary: IngestSummary) -> list[dict[str, object]]:
    """Every item of an ingest and what happened to it, as ``ingest --json`` prints them."""
    items: list[dict[str, object]] = []
    for status, infos in (("added", summary.added), ("updated", summary.updated),
                          ("already stored", summary.unchanged)):  # fmt: skip
        items += [{"status": status, **info_json(info)} for info in infos]
    items += [
        {"status": "skipped", "where": f"{item.source}{f' ({item.where})' if item.where else ''}",
         "reason": item.reason}
        for item in summary.skipped
    ]  # fmt: skip
    return items


def removed_line(removed: Removed) -> str:
    """The confirmation of a removal: "removed 1 article (7 passages)"."""
    return (
        f"removed {counted(len(removed.articles), 'article')} "
        f"({counted(removed.passages, 'passage')})"
    )


def nothing_removed(targets: Sequence[str], source: str | None) -> str:
    """What to say when a removal matched nothing, naming what was asked for."""
    asked = [f"id or URL {target!r}" for target in targets]
    asked += [] if source is None else [f"source {source!r}"]
    return f"nothing removed: no stored article has {' or '.join(asked)}"


def index_lines(check: IndexCheck, index_dir: object, *, saved: bool = True) -> list[str]:
    """``stats`` lines on how the index agrees with the store, each with what to do about it.

    ``saved`` says whether a repair was written to ``index_dir`` (not by a read-only engine).
    """
    lines = [f"searchable  {check.searchable:,} of {check.stored:,} stored passages"]
    if check.repaired and saved:
        lines.append(f"repaired    {check.repaired}; nothing left to do")
    elif check.repaired:
        lines.append(
            f"repaired    {check.repaired}, in memory for this command only (it never writes); "
            "the next `briefbot ingest` or the bot's next ingest or start saves it"
        )
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


def stats_json(store: object, stats: EngineStats, check: IndexCheck) -> dict[str, object]:
    """The store and index figures as the JSON object ``stats --json`` prints."""
    return {
        "store": str(store),
        "articles": stats.articles,
        "passages": stats.passages,
        "stored_passages": check.stored,
        "searchable_passages": check.searchable,
        "saved_passages": check.saved,
        "repaired": check.repaired,
        "save_error": check.save_error,
        "vocabulary": stats.vocabulary,
        "store_bytes": stats.store_bytes,
        "index_bytes": stats.index_bytes,
    }


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
    updated = (
        f"updated {row.updated_last} (total {row.updated_total}) · " if row.updated_total else ""
    )
    return (
        f"{row.location}\n    {how_often} · last poll {ago_words(row.last_poll, now)} · "
        f"added {row.added_last} (total {row.added_total}) · {updated}{health}{skipped}"
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
        "updated_last": row.updated_last,
        "updated_total": row.updated_total,
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
