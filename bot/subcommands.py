"""What each ``briefbot`` subcommand does: ``bot.cli`` parses the command line and calls one.

Each ``cmd_*`` takes the parsed arguments and the settings and returns the exit code; typed
errors from ``retrieval`` reach ``bot.cli.main``, which prints them as one line. This module
holds the commands that write articles (ingest, remove) and ``run``, which starts the bot;
the ones that only read articles are :mod:`bot.read_commands`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from tqdm import tqdm

from bot.settings import Settings, Source
from bot.settings_loader import BOTFATHER_HELP, check_token
from bot.store import open_engine
from bot.terminal import describe, ingest_items, nothing_removed, removed_line
from bot.watches import WatchStore
from retrieval import (
    ArticleInfo,
    Engine,
    IngestSummary,
    LoadReport,
    Skipped,
    SourceError,
    SourceTracker,
    load_location,
)

BATCH_ARTICLES = 2000
"""Articles per store transaction: big enough to be fast, small enough to show progress."""


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
