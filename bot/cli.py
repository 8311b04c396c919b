"""The ``briefbot`` command: ingest, search, list and run the bot, all from one entry point.

Typed errors from ``retrieval`` and settings become one line on stderr and exit code 2; nothing
here prints a traceback for a mistake an operator can fix.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.read_commands import (
    as_of_date,
    cmd_eval,
    cmd_feedback,
    cmd_health,
    cmd_latest,
    cmd_search,
    cmd_sources,
    cmd_stats,
)
from bot.settings_loader import load_settings
from bot.subcommands import cmd_ingest, cmd_remove, cmd_run
from retrieval import SCORERS, BriefbotError


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
