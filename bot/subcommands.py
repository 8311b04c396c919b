"""What each ``briefbot`` subcommand does: ``bot.cli`` parses the command line and calls one.

Each ``cmd_*`` takes the parsed arguments and the settings and returns the exit code; typed
errors from ``retrieval`` reach ``bot.cli.main``, which prints them as one line.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from tqdm import tqdm

from bot.health import check_health, health_lines
from bot.render import format_date, result_count
from bot.settings import (
    BOTFATHER_HELP,
    ConfigError,
    Settings,
    Source,
    check_token,
)
from bot.store import open_engine
from bot.terminal import (
    describe,
    eval_lines,
    hit_json,
    index_lines,
    info_json,
    ingest_items,
    nothing_removed,
    print_declined,
    print_hit,
    removed_line,
    size_words,
    source_json,
    source_line,
    stats_json,
)
from bot.watches import WatchStore
from bot.why import explain_hit, explanation_json, print_explanation
from retrieval import (
    ArticleInfo,
    DateRange,
    Engine,
    IndexLanguageError,
    IngestSummary,
    LoadReport,
    Recency,
    Skipped,
    SourceError,
    SourceState,
    SourceStatus,
    SourceTracker,
    ask,
    ask_dated,
    describe_range,
    evaluate,
    load_location,
    read_set,
    report_dict,
)

BATCH_ARTICLES = 2000
"""Articles per store transaction: big enough to be fast, small enough to show progress."""


def open_reader(settings: Settings) -> Engine:
    """An engine for a read-only command (search, latest, stats): it never writes the store's
    saved index. A store indexed in another language is refused with what to run instead:
    re-indexing it is a writer's job. A store not created yet reads as an empty one, and
    reading it creates nothing."""
    if not settings.db_path.exists():
        return Engine.open(
            language=settings.language,
            scorer=settings.scorer,
            workers=1,
            title_weight=settings.title_weight,
            article_support=settings.article_support,
        )
    try:
        return open_engine(settings, read_only=True)
    except IndexLanguageError as error:
        raise ConfigError(
            f"{error}. Read it with --language {error.stored} (or [index] language = "
            f'"{error.stored}"); to re-index it in {error.wanted}, run a command that writes '
            f"the store, e.g. `briefbot --language {error.wanted} ingest PATH_OR_URL`"
        ) from None


def ingest_sources(
    engine: Engine, locations: Sequence[str], *, show_progress: bool = False
) -> IngestSummary:
    """Load every location and store it in batches; an unreadable source is reported, not fatal."""
    reports = []
    for location in locations:
        try:
            reports.append(load_location(location))
        except SourceError as error:
            reports.append(LoadReport(skipped=(Skipped(location, "", str(error)),)))
    report = sum(reports, LoadReport())
    articles = report.articles
    added: list[ArticleInfo] = []
    updated: list[ArticleInfo] = []
    unchanged: list[ArticleInfo] = []
    duplicates = passages = 0
    first: int | None = None
    with tqdm(total=len(articles), unit="article", disable=not show_progress, leave=False) as bar:
        for start in range(0, len(articles), BATCH_ARTICLES):
            batch = articles[start : start + BATCH_ARTICLES]
            last = start + BATCH_ARTICLES >= len(articles)
            summary = engine.ingest(batch, persist=last)
            first = summary.first_passage if first is None else first
            added.extend(summary.added)
            updated.extend(summary.updated)
            unchanged.extend(summary.unchanged)
            duplicates += summary.duplicates
            passages += summary.passages
            report += LoadReport(skipped=summary.skipped)
            bar.update(len(batch))
    return IngestSummary(tuple(added), duplicates, report.skipped, passages, first or 0,
                         tuple(updated), tuple(unchanged))  # fmt: skip


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    engine = open_engine(settings)
    summary = ingest_sources(engine, args.locations, show_progress=sys.stderr.isatty())
    if args.json:
        for item in ingest_items(summary):
            print(json.dumps(item, ensure_ascii=False))
    else:
        print(describe(summary))
    stored = summary.added or summary.updated or summary.duplicates
    return 0 if stored or not summary.skipped else 1


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    if not args.targets and args.source is None:
        print("briefbot remove: name articles by id or URL, or a source with --source NAME",
              file=sys.stderr)  # fmt: skip
        return 2
    engine = open_engine(settings)
    try:
        removed = engine.remove(args.targets, source=args.source)
    finally:
        engine.close()
    if not removed.articles:
        print(f"briefbot remove: {nothing_removed(args.targets, args.source)}", file=sys.stderr)
        return 1
    # Alerts queued for a running bot but not sent yet would still quote them: drop those.
    watches = WatchStore(settings.db_path)
    try:
        watches.alerts.drop_pending([info.id for info in removed.articles])
    finally:
        watches.close()
    print(removed_line(removed))
    for info in removed.articles:
        print(f"  {info.id}  {info.title}" + (f"  {info.url}" if info.url else ""))
    return 0


def as_of_date(value: str) -> datetime:
    """``--as-of``: an ISO date (its last second) or date-time; UTC unless it names a zone."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date: write it like 2024-05-01 or 2024-05-01T18:00+02:00"
        ) from None
    if len(value.strip()) <= 10:  # a day: the whole of it has happened
        moment = moment.replace(hour=23, minute=59, second=59)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def range_json(dates: DateRange | None) -> dict[str, str | None] | None:
    """A date range as ISO strings (``until`` exclusive), or None."""
    if dates is None:
        return None
    since, until = dates.since, dates.until
    return {
        "since": None if since is None else since.isoformat(),
        "until": None if until is None else until.isoformat(),
        "text": describe_range(dates),
    }


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    query = " ".join(args.query)
    engine = open_reader(settings)
    # A text over the question limit is a paste: search for briefings related to it.
    related = engine.too_long(query)
    result = engine.search(
        query, args.k, as_of=args.as_of, related=related, min_share=settings.min_share
    )
    dates = range_json(result.date_range)
    why = partial(explain_hit, engine, query, related, as_of=args.as_of) if args.explain else None
    if args.json:
        for hit in result.hits:
            line = {
                **hit_json(hit),
                "abstained": result.abstained,
                "date_range": dates,
                "widened": result.widened,
            }
            if why is not None:
                line["explanation"] = explanation_json(why(hit))
            print(json.dumps(line, ensure_ascii=False))
        if not result.hits and result.date_range is not None:
            summary = {"date_range": dates, "undated": result.undated, "widened": result.widened}
            print(json.dumps(summary))
        return 0
    if result.related:
        words = len(result.terms)
        print(f"Briefings related to the text you gave (by its {words} most telling words)")
    if result.widened and result.date_range is not None:
        # Nothing in the range matched: the engine searched the same words at any date.
        print(f"Nothing {describe_range(result.date_range)}; showing briefings from any date")
    elif result.date_range is not None:
        print(f"Dated {describe_range(result.date_range)}")
    if not result.hits:
        print("No results. Try other or fewer words, or see `briefbot latest`.")
        return 0
    if result.abstained:
        print_declined(result, sys.stdout)
        return 0
    print(f"{result_count(result)} in {result.seconds * 1000:.1f} ms\n")
    for hit in result.hits:
        print_hit(hit, sys.stdout, bold=sys.stdout.isatty())
        if why is not None:
            print_explanation(why(hit), sys.stdout)
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    # Every set is read first: a malformed one fails before minutes of work on the others.
    sets = [read_set(Path(path), limit=args.limit) for path in args.sets]
    for data in sets:
        bar = partial(tqdm, desc=data.name, unit="query", leave=False)
        report = evaluate(
            data,
            language=settings.language,
            scorer=settings.scorer,
            max_query_chars=settings.max_query_chars,
            recency=Recency(settings.recency_half_life_days, settings.recency_weight),
            ask=ask_dated if args.as_of == "question" else ask,
            title_weight=settings.title_weight,
            progress=bar if sys.stderr.isatty() else iter,
        )
        if args.json:
            print(json.dumps(report_dict(report), ensure_ascii=False))
        else:
            print("\n".join(eval_lines(report)) + "\n")
    return 0


def cmd_latest(args: argparse.Namespace, settings: Settings) -> int:
    for info in open_reader(settings).latest(args.n):
        if args.json:
            print(json.dumps(info_json(info), ensure_ascii=False))
        else:
            cite = " · ".join(x for x in (info.source, format_date(info.date)) if x)
            print(f"{info.title}\n    {cite}" + (f"\n    {info.url}" if info.url else ""))
    return 0


def cmd_feedback(args: argparse.Namespace, settings: Settings) -> int:
    # Imported here: it loads the Telegram library, which no other read-only command needs.
    from bot.feedback import anonymised
    from bot.votes import Votes

    engine = open_reader(settings)
    votes = Votes(settings.db_path)
    try:
        exported = [anonymised(engine, vote) for vote in votes.export()]
        week = votes.last_week()
    finally:
        votes.close()
    if args.json:
        for vote in exported:
            line = {**asdict(vote), "terms": list(vote.terms)}
            line["created"] = datetime.fromtimestamp(vote.created, UTC).isoformat()
            print(json.dumps(line, ensure_ascii=False))
        return 0
    if not exported:
        print("No votes yet. Readers vote with the 👍 / 👎 buttons under each answer.")
        return 0
    helpful = sum(vote.helpful for vote in exported)
    print(f"{len(exported)} votes, {helpful} helpful; last 7 days: "
          f"{week.helpful} of {week.votes} helpful\n")  # fmt: skip
    for vote in exported:
        when = datetime.fromtimestamp(vote.created, UTC).strftime("%Y-%m-%d %H:%M")
        verdict = "helpful    " if vote.helpful else "not helpful"
        terms = " ".join(vote.terms) or "(question forgotten)"
        how = " (related to a message)" if vote.related else ""
        print(f"{when}  {verdict}  rank {vote.rank:<3} voter {vote.voter}  terms: {terms}{how}")
        if vote.question is not None:
            print(f"    asked: {vote.question}")
    return 0


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    # Opening indexes, in memory, what the saved index lacks (see Engine); the check says what.
    engine = open_reader(settings)
    stats, check = engine.stats(), engine.check()
    if args.json:
        print(json.dumps(stats_json(settings.db_path, stats, check), ensure_ascii=False))
        return 0
    print(f"store       {settings.db_path}")
    print(f"articles    {stats.articles:,}")
    print(f"passages    {stats.passages:,}")
    if stats.retired:
        print(f"retired     {stats.retired:,} of them (replaced or removed articles): never shown")
    print("\n".join(index_lines(check, engine.index_dir, saved=False)))
    print(f"vocabulary  {stats.vocabulary:,} terms")
    print(f"store size  {size_words(stats.store_bytes)}")
    print(f"index size  {size_words(stats.index_bytes)} in memory")
    return 0


def cmd_sources(args: argparse.Namespace, settings: Settings) -> int:
    known: dict[str, SourceStatus] = {}
    if settings.db_path.exists():  # the status alone, read-only: no need to load the index
        state = SourceState(str(settings.db_path), readonly=True)
        try:
            known = {row.location: row.status() for row in state.rows()}
        finally:
            state.close()
    every = {source.location: source.every for source in settings.sources}
    now = datetime.now(UTC)
    for location in [*every, *(other for other in known if other not in every)]:
        row = known.get(location, SourceStatus(location, None, None, 0, 0, 0, None, None))
        if args.json:
            print(json.dumps(source_json(row, every.get(location)), ensure_ascii=False))
        else:
            print(source_line(row, every.get(location), now))
    return 0


def cmd_health(args: argparse.Namespace, settings: Settings) -> int:
    health = check_health(settings)
    if args.json:
        print(json.dumps(health.as_json(), ensure_ascii=False))
    else:
        print("\n".join(health_lines(health)))
    return 0 if health.ok else 1


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    problem = check_token(settings.token)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    # The Telegram stack loads only for the bot itself.
    from telegram.error import InvalidToken, NetworkError

    from bot import runtime
    from bot.logs import configure_logging, redact_output

    # Every line from here on, logged or printed, masks the token and the webhook secret.
    redact_output(settings.token, settings.secret_token)
    configure_logging(settings)
    engine = open_engine(settings)
    try:
        for line in poll_sources(engine, settings.sources):
            print(line, file=sys.stderr)
        runtime.run(settings, engine)
    except InvalidToken:
        print(f"Telegram rejected the token. {BOTFATHER_HELP}", file=sys.stderr)
        return 2
    except NetworkError as error:
        where = settings.base_url or "Telegram's Bot API"
        print(f"briefbot: cannot reach {where}: {error.message}", file=sys.stderr)
        return 2
    finally:
        engine.close()
    return 0


def poll_sources(engine: Engine, sources: Sequence[Source]) -> list[str]:
    """Poll every configured source once through the tracker, so /sources shows this start
    and the first scheduled poll can be a cheap conditional request. A failing source is left
    alone until its back-off (kept in the store) ends."""
    tracker = SourceTracker(engine)
    lines = []
    try:
        for source in sources:
            wait = tracker.wait(source.location)
            if wait > 0:
                # Its back-off outlives a restart: a broken server is not asked again at once.
                until = datetime.fromtimestamp(tracker.clock() + wait, UTC)
                when = "polled then" if source.every > 0 else "polled at the first start after"
                lines.append(
                    f"{source.location}: failing, so backing off until {until:%Y-%m-%d %H:%M} "
                    f"UTC ({when}); `briefbot sources` says why"
                )
                continue
            result = tracker.poll(source.location, source.every)
            if result.error:
                lines.append(f"{source.location}: {result.error}")
            elif result.not_modified or result.summary is None:
                lines.append(f"{source.location}: unchanged")
            else:
                lines.append(f"{source.location}: {describe(result.summary)}")
    finally:
        tracker.close()
    return lines
