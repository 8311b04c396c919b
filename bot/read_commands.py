"""The ``briefbot`` subcommands that report: search, eval, latest, feedback, stats, sources, health.

Kept apart from :mod:`bot.subcommands` (ingest and remove, which write articles, and run)
because these only read articles: the index is opened read-only (:func:`open_reader`), so they
may run beside a live bot. ``bot.cli`` parses the command line and calls one; each ``cmd_*``
takes the parsed arguments and the settings and returns the exit code.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from tqdm import tqdm

from bot.health import check_health, health_lines
from bot.render import format_date
from bot.render_search import result_count
from bot.settings import ConfigError, Settings
from bot.store import open_engine
from bot.terminal import (
    eval_lines,
    hit_json,
    index_lines,
    info_json,
    print_declined,
    print_hit,
    size_words,
    source_json,
    source_line,
    stats_json,
)
from bot.why import explain_hit, explanation_json, print_explanation
from retrieval import (
    DateRange,
    Engine,
    IndexLanguageError,
    Recency,
    SourceState,
    SourceStatus,
    ask,
    ask_dated,
    describe_range,
    evaluate,
    read_set,
    report_dict,
)


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
            statement_support=settings.statement_support,
            coverage=settings.coverage,
            asked_weight=settings.asked_weight,
            proximity=settings.proximity,
            date_preference=settings.date_preference,
            rarity_prior=settings.rarity_prior,
        )
    try:
        return open_engine(settings, read_only=True)
    except IndexLanguageError as error:
        raise ConfigError(
            f"{error}. Read it with --language {error.stored} (or [index] language = "
            f'"{error.stored}"); to re-index it in {error.wanted}, run a command that writes '
            f"the store, e.g. `briefbot --language {error.wanted} ingest PATH_OR_URL`"
        ) from None


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
                "preferred": result.preferred,
            }
            if why is not None:
                line["explanation"] = explanation_json(why(hit))
            print(json.dumps(line, ensure_ascii=False))
        if not result.hits and result.date_range is not None:
            summary = {"date_range": dates, "undated": result.undated, "widened": result.widened,
                       "preferred": result.preferred}  # fmt: skip
            print(json.dumps(summary))
        return 0
    if result.related:
        words = len(result.terms)
        print(f"Briefings related to the text you gave (by its {words} most telling words)")
    if result.widened and result.date_range is not None:
        # Nothing in the range matched: the engine searched the same words at any date.
        print(f"Nothing {describe_range(result.date_range)}; showing briefings from any date")
    elif result.preferred and result.date_range is not None:
        # A relative date only ranks its briefings first: the others are still shown.
        print(f"Preferring briefings dated {describe_range(result.date_range)}")
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
            article_support=settings.article_support,
            statement_support=settings.statement_support,
            coverage=settings.coverage,
            asked_weight=settings.asked_weight,
            proximity=settings.proximity,
            date_preference=settings.date_preference,
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
