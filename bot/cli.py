"""The ``briefbot`` command: ingest, search, list and run the bot, all from one entry point.

Typed errors from ``retrieval`` and settings become one line on stderr and exit code 2; nothing
here prints a traceback for a mistake an operator can fix.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from tqdm import tqdm

from bot.render import format_date, result_count
from bot.settings import BOTFATHER_HELP, Settings, Source, check_token, load_settings
from bot.terminal import (
    describe,
    eval_lines,
    hit_json,
    index_lines,
    info_json,
    print_declined,
    print_hit,
    size_words,
    source_json,
    source_line,
)
from retrieval import Engine, IngestSummary, LoadReport, load_location
from retrieval.errors import BriefbotError, SourceError
from retrieval.evaluation import evaluate, read_set, report_dict
from retrieval.models import ArticleInfo, Skipped
from retrieval.source_state import SourceState
from retrieval.sources import SourceStatus, SourceTracker

BATCH_ARTICLES = 2000
"""Articles per store transaction: big enough to be fast, small enough to show progress."""


def open_engine(settings: Settings, *, read_only: bool = False) -> Engine:
    """Open the store named by the settings with the configured analysis and scorer.

    A read-only engine (a bot worker's) analyses in its own process: it only ever indexes the
    few passages another process just ingested, and a worker may not start processes.
    """
    return Engine.open(
        settings.db_path,
        language=settings.language,
        scorer=settings.scorer,
        max_query_chars=settings.max_query_chars,
        workers=1 if read_only else 2,
        title_weight=settings.title_weight,
        read_only=read_only,
    )


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
    duplicates = passages = 0
    first: int | None = None
    with tqdm(total=len(articles), unit="article", disable=not show_progress, leave=False) as bar:
        for start in range(0, len(articles), BATCH_ARTICLES):
            batch = articles[start : start + BATCH_ARTICLES]
            last = start + BATCH_ARTICLES >= len(articles)
            summary = engine.ingest(batch, persist=last)
            first = summary.first_passage if first is None else first
            added.extend(summary.added)
            duplicates += summary.duplicates
            passages += summary.passages
            report += LoadReport(skipped=summary.skipped)
            bar.update(len(batch))
    return IngestSummary(tuple(added), duplicates, report.skipped, passages, first or 0)


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    engine = open_engine(settings)
    summary = ingest_sources(engine, args.locations, show_progress=sys.stderr.isatty())
    print(describe(summary))
    return 0 if summary.added or summary.duplicates or not summary.skipped else 1


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    query = " ".join(args.query)
    engine = open_engine(settings)
    # A text over the question limit is a paste: search for briefings related to it.
    related = engine.too_long(query)
    result = engine.search(query, args.k, related=related, min_share=settings.min_share)
    if args.json:
        for hit in result.hits:
            line = {**hit_json(hit), "abstained": result.abstained}
            print(json.dumps(line, ensure_ascii=False))
        return 0
    if result.related:
        words = len(result.terms)
        print(f"Briefings related to the text you gave (by its {words} most telling words)")
    if not result.hits:
        print("No results. Try other or fewer words, or see `briefbot latest`.")
        return 0
    if result.abstained:
        print_declined(result, sys.stdout)
        return 0
    print(f"{result_count(result)} in {result.seconds * 1000:.1f} ms\n")
    for hit in result.hits:
        print_hit(hit, sys.stdout, bold=sys.stdout.isatty())
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
            title_weight=settings.title_weight,
            progress=bar if sys.stderr.isatty() else iter,
        )
        if args.json:
            print(json.dumps(report_dict(report), ensure_ascii=False))
        else:
            print("\n".join(eval_lines(report)) + "\n")
    return 0


def cmd_latest(args: argparse.Namespace, settings: Settings) -> int:
    for info in open_engine(settings).latest(args.n):
        if args.json:
            print(json.dumps(info_json(info), ensure_ascii=False))
        else:
            cite = " · ".join(x for x in (info.source, format_date(info.date)) if x)
            print(f"{info.title}\n    {cite}" + (f"\n    {info.url}" if info.url else ""))
    return 0


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    # Opening repairs the saved index (see Engine); the check then says what it found.
    engine = open_engine(settings)
    stats, check = engine.stats(), engine.check()
    print(f"store       {settings.db_path}")
    print(f"articles    {stats.articles:,}")
    print(f"passages    {stats.passages:,}")
    print("\n".join(index_lines(check, engine.index_dir)))
    print(f"vocabulary  {stats.vocabulary:,} terms")
    print(f"store size  {size_words(stats.store_bytes)}")
    print(f"index size  {size_words(stats.index_bytes)} in memory")
    return 0


def cmd_sources(args: argparse.Namespace, settings: Settings) -> int:
    state = SourceState(str(settings.db_path))  # the status alone: no need to load the index
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


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    problem = check_token(settings.token)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    # The Telegram stack loads only for the bot itself.
    from telegram.error import InvalidToken, NetworkError

    from bot.app import run_bot
    from bot.logs import configure_logging, redact_output
    from bot.pool import Pool, processes, share
    from bot.worker import serve

    redact_output(settings.token)  # every line from here on, logged or printed, masks the token
    configure_logging(settings)
    size = processes(settings)
    if size > 1:
        settings = share(settings, size)
    engine = open_engine(settings)
    try:
        for line in poll_sources(engine, settings.sources):
            print(line, file=sys.stderr)
        run_bot(settings, engine, Pool(settings, size, serve) if size > 1 else None)
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
    and the first scheduled poll can be a cheap conditional request."""
    tracker = SourceTracker(engine)
    lines = []
    try:
        for source in sources:
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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; one sub-parser per command, each with its own --help."""
    parser = argparse.ArgumentParser(
        prog="briefbot",
        description="Search news briefings with cited excerpts, from the terminal or Telegram.",
    )
    parser.add_argument("--config", type=Path, help="config file (default: ./config.toml)")
    parser.add_argument("--db", type=Path, help="store path (overrides [store] path)")
    parser.add_argument("--scorer", choices=["lucene", "okapi"], help="BM25 variant")
    parser.add_argument("--language", help="Snowball language for stemming and stopwords")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ingest = commands.add_parser(
        "ingest", help="load briefings from files, folders or feed URLs",
        description="Load text, JSON Lines and RSS/Atom files, folders or http(s) feed URLs "
        "into the store. Articles already stored are counted, not added twice. Safe while "
        "the bot runs on the same store: it finds what you add within a minute.",
    )  # fmt: skip
    ingest.add_argument("locations", nargs="+", metavar="PATH_OR_URL")
    ingest.set_defaults(run=cmd_ingest)

    search = commands.add_parser(
        "search", help="search the briefings",
        description="Print the best passages for QUERY as cited excerpts.",
    )  # fmt: skip
    search.add_argument("query", nargs="+", metavar="QUERY")
    search.add_argument("-k", type=int, default=10, help="how many results (default 10)")
    search.add_argument("--json", action="store_true", help="one JSON object per hit")
    search.set_defaults(run=cmd_search)

    latest = commands.add_parser(
        "latest", help="list the newest briefings", description="List the newest briefings."
    )
    latest.add_argument("-n", type=int, default=10, help="how many (default 10)")
    latest.add_argument("--json", action="store_true", help="one JSON object per article")
    latest.set_defaults(run=cmd_latest)

    stats = commands.add_parser(
        "stats", help="show store and index sizes; check every stored passage is searchable",
        description="Show store and index sizes, and whether every stored passage is "
        "searchable. Opening the store indexes what the saved index lacks (after a stopped "
        "ingest, or another process's) and says so.",
    )  # fmt: skip
    stats.set_defaults(run=cmd_stats)

    sources = commands.add_parser(
        "sources", help="show how each live source is doing",
        description="For each configured source (and any other polled before): how often it "
        "is polled, when it was last polled, how many articles it added, and its last error.",
    )  # fmt: skip
    sources.add_argument("--json", action="store_true", help="one JSON object per source")
    sources.set_defaults(run=cmd_sources)

    evaluation = commands.add_parser(
        "eval", help="measure search quality on eval sets",
        description="Run BEIR-style eval sets (folders with corpus.jsonl[.gz], queries.jsonl, "
        "qrels.tsv) through a fresh in-memory engine with the current settings, and print "
        "Recall@1/@5, MRR@10, nDCG@10 where judged and AnsHit@1/@5 of passage and excerpt "
        "where queries have answers, each with its 95%% interval. The store is not touched.",
    )  # fmt: skip
    evaluation.add_argument("sets", nargs="+", metavar="PATH", help="eval set folder")
    evaluation.add_argument("--json", action="store_true", help="one JSON object per set")
    evaluation.add_argument(
        "--limit", type=int, default=0, help="only the first N queries of each set"
    )
    evaluation.set_defaults(run=cmd_eval)

    run = commands.add_parser(
        "run", help="run the Telegram bot",
        description="Ingest the configured sources, then answer Telegram messages until "
        "stopped with Ctrl-C. The token comes from BRIEFBOT_TOKEN or [telegram] token.",
    )  # fmt: skip
    run.set_defaults(run=cmd_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``briefbot`` command."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(
            args.config, db_path=args.db, scorer=args.scorer, language=args.language
        )
        code: int = args.run(args, settings)
    except BriefbotError as error:
        print(f"briefbot: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader left early (`briefbot search … | head`): that is not an error worth a
        # traceback. Point stdout at /dev/null so the interpreter's final flush cannot fail.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
