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
    load_settings,
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
    SCORERS,
    ArticleInfo,
    BriefbotError,
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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; one sub-parser per command, each with its own --help."""
    parser = argparse.ArgumentParser(
        prog="briefbot",
        description="Search news briefings with cited excerpts, from the terminal or Telegram.",
    )
    parser.add_argument("--config", type=Path, help="config file (default: ./config.toml)")
    parser.add_argument("--db", type=Path, help="store path (overrides [store] path)")
    parser.add_argument("--scorer", choices=SCORERS, help="BM25 variant")
    parser.add_argument("--language", help="Snowball language for stemming and stopwords")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ingest = commands.add_parser(
        "ingest", help="load briefings from files, folders or feed URLs",
        description="Load text, JSON Lines and RSS/Atom files, folders or http(s) feed URLs "
        "into the store. Articles already stored are counted, not added twice. Safe while "
        "the bot runs on the same store: it finds what you add within a minute.",
    )  # fmt: skip
    ingest.add_argument("locations", nargs="+", metavar="PATH_OR_URL")
    ingest.add_argument(
        "--json", action="store_true",
        help="one JSON object per item: added, updated, already stored or skipped (with why)",
    )  # fmt: skip
    ingest.set_defaults(run=cmd_ingest)

    remove = commands.add_parser(
        "remove", help="remove articles by id or URL, or every article of a source",
        description="Remove stored articles at once, in one transaction: they leave search "
        "results and watch alerts (a running bot's within a minute), and a feed offering the "
        "same URL again is refused. Ids are those `latest --json` and `search --json` print.",
    )  # fmt: skip
    remove.add_argument("targets", nargs="*", metavar="ID_OR_URL")
    remove.add_argument("--source", metavar="NAME", help="every article of this source")
    remove.set_defaults(run=cmd_remove)

    search = commands.add_parser(
        "search", help="search the briefings",
        description="Print the best passages for QUERY as cited excerpts.",
    )  # fmt: skip
    search.add_argument("query", nargs="+", metavar="QUERY")
    search.add_argument("-k", type=int, default=10, help="how many results (default 10)")
    search.add_argument("--json", action="store_true", help="one JSON object per hit")
    search.add_argument(
        "--explain", action="store_true",
        help="under each hit, each query word's part of its score, in plain words",
    )  # fmt: skip
    search.add_argument(
        "--as-of",
        type=as_of_date,
        metavar="DATE",
        help="search as on DATE (ISO; default now): "
        "nothing published later is found, and recent means recent then",
    )
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
        "searchable. Opening the store indexes, in memory, what the saved index lacks (after "
        "a stopped ingest, or another process's) and says so; like search and latest, stats "
        "never writes the store or its index.",
    )  # fmt: skip
    stats.add_argument("--json", action="store_true", help="one JSON object")
    stats.set_defaults(run=cmd_stats)

    sources = commands.add_parser(
        "sources", help="show how each live source is doing",
        description="For each configured source (and any other polled before): how often it "
        "is polled, when it was last polled, how many articles it added, and its last error.",
    )  # fmt: skip
    sources.add_argument("--json", action="store_true", help="one JSON object per source")
    sources.set_defaults(run=cmd_sources)

    health = commands.add_parser(
        "health", help="check the store, its index and the sources; exit 0 only if all pass",
        description="Exit 0 only when the store opens, its saved search index loads as the "
        "store's own, and no configured source has failed past its back-off cap; else exit "
        "1 and say which check failed and why. Reads only: made for a container HEALTHCHECK "
        "or a watchdog beside the running bot.",
    )  # fmt: skip
    health.add_argument(
        "--json", action="store_true", help="one JSON object: each check's ok and why"
    )
    health.set_defaults(run=cmd_health)

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
        "--as-of", choices=["now", "question"], default="now",
        help="each question's 'today': now (default) or the date in its 'date' field",
    )  # fmt: skip
    evaluation.add_argument(
        "--limit", type=int, default=0, help="only the first N queries of each set"
    )
    evaluation.set_defaults(run=cmd_eval)

    feedback = commands.add_parser(
        "feedback", help="export readers' votes on answers, anonymised",
        description="List every 👍 / 👎 readers gave answers: when, the rank voted on, a salted "
        "hash instead of the voter, and the question's analysed terms (stems without "
        "stopwords; its text only where [logging] log_questions was on when voting).",
    )  # fmt: skip
    feedback.add_argument("--json", action="store_true", help="one JSON object per vote")
    feedback.set_defaults(run=cmd_feedback)

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
