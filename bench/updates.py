"""Updates and removals: search with retired passages beside none, and an updated feed's ingest.

    python -m bench.updates [--passages 1000000] [--queries 1000] [--quick]

1. Search. One index over synthetic passages (``bench.corpus``), four passages per article.
   The same questions are ranked as ``Engine.search`` ranks them (``diversify``, k=10, with
   ``COUNT_DEPTH``) with no passage retired, and with 1% and 10% of the articles retired
   (whole articles, drawn at random), question by question in turn so every column shares the
   machine's load, each column first in turn. Checked on the first 200 questions: no retired
   passage is returned, and each live top-10 equals the exhaustive ranking of live passages.
2. Ingest of a feed. A store of ``--articles`` articles; a 50-entry feed is ingested as it is
   (all stored already), with 10 entries corrected (10 updates), and as 50 new entries, each
   ``--rounds`` times in turn; median milliseconds per ingest.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench.corpus import queries, synthetic
from bench.ingest import article_stream
from bench.machine import fmt, latency, machine_report, markdown_table

PER_ARTICLE = 4
SHARES = (0.0, 0.01, 0.10)
FEED = 50
CHANGED = 10
CHECKED = 200
"""Questions whose live rankings are checked against exhaustive scoring (a full scoring pass
over the index each)."""


def search_rows(n_passages: int, n_queries: int) -> tuple[list[list[str]], int]:
    """p50 / p99 / mean ms of ranking per share of retired articles, and the mismatches."""
    from retrieval.bm25 import Index
    from retrieval.engine import COUNT_DEPTH
    from retrieval.ranking import diversify
    from retrieval.retired import LiveIndex

    index = Index.build(synthetic(n_passages).token_lists())
    owners = (np.arange(index.n_docs) // PER_ARTICLE).astype(np.int32)
    articles = int(owners[-1]) + 1
    rng = np.random.default_rng(7)
    views: list[Index | LiveIndex] = []
    for share in SHARES:
        if share == 0:
            views.append(index)
            continue
        gone = rng.choice(articles, size=int(articles * share), replace=False)
        dead = np.zeros(index.n_docs, dtype=bool)
        dead[np.isin(owners, gone)] = True
        views.append(LiveIndex(index, dead))
    sample = queries(n_queries)
    times: list[list[float]] = [[] for _ in SHARES]
    bad = 0
    for number, query in enumerate(sample):
        # Each column goes first in turn: the first to rank a question pays for its postings
        # leaving memory for the cache, and must not always be the same column.
        for step in range(len(views)):
            column = (number + step) % len(views)
            view = views[column]
            started = time.perf_counter()
            ranking = diversify(view, owners, query, 10, COUNT_DEPTH)
            times[column].append(time.perf_counter() - started)
            if isinstance(view, LiveIndex) and number < CHECKED:
                ids, _ = view.top_k(query, 10)
                scores = index.scores(query)
                scores[view.dead] = 0
                live = np.lexsort((np.arange(scores.size), -scores))[:10].tolist()
                want = [i for i in live if scores[i] > 0]
                returned = [pid for pid, _ in ranking.passages]
                if ids.tolist() != want or view.dead[returned].any():
                    bad += 1
    rows = []
    for share, seconds in zip(SHARES, times, strict=True):
        found = latency(seconds)
        retired = f"{share:.0%} of articles"
        figures = (found.p50_ms, found.p99_ms, found.mean_ms)
        rows.append([retired, f"{found.n}", *(fmt(x) for x in figures)])
    return rows, bad


def ingest_rows(n_articles: int, rounds: int) -> list[list[str]]:
    """Median and worst ms of ingesting a 50-entry feed: unchanged, 10 corrected, 50 new."""
    from retrieval.engine import Engine
    from retrieval.models import Article

    wanted = n_articles + FEED * rounds
    pool = [
        replace(a, url=f"https://feed.test/{n}")  # type: ignore[type-var]
        for n, a in enumerate(itertools.islice(article_stream(), wanted))
    ]
    stored, fresh = pool[:n_articles], pool[n_articles:]
    feed: Sequence[Article] = stored[-FEED:]  # type: ignore[assignment]
    times: dict[str, list[float]] = {"unchanged": [], "10 updated": [], "50 new": []}
    with tempfile.TemporaryDirectory() as folder:
        engine = Engine.open(Path(folder) / "bench.sqlite3")
        engine.ingest(stored)  # type: ignore[arg-type]
        for round_ in range(rounds):
            corrected = [
                replace(a, text=f"{a.text} Correction {round_}: figures revised.")
                if i < CHANGED
                else a
                for i, a in enumerate(feed)
            ]
            new = fresh[round_ * FEED : (round_ + 1) * FEED]
            for label, batch, want in (
                ("unchanged", feed, (0, 0)),
                ("10 updated", corrected, (0, CHANGED)),
                ("50 new", new, (len(new), 0)),
            ):
                started = time.perf_counter()
                summary = engine.ingest(batch)  # type: ignore[arg-type]
                times[label].append(time.perf_counter() - started)
                got = (len(summary.added), len(summary.updated))
                if got != want:
                    raise SystemExit(f"{label}: expected (added, updated) {want}, got {got}")
            feed = corrected
        stats = engine.stats()
        engine.close()
    rows = [
        [label, f"{len(found)}", fmt(statistics.median(found) * 1e3), fmt(max(found) * 1e3)]
        for label, found in times.items()
    ]
    rows.append([f"(store at the end: {stats.articles:,} articles, {stats.retired:,} retired "
                 "passages)", "", "", ""])  # fmt: skip
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    """Print the machine, then both tables."""
    parser = argparse.ArgumentParser(prog="python -m bench.updates", description=__doc__)
    parser.add_argument("--passages", type=int, default=1_000_000, help="index size")
    parser.add_argument("--queries", type=int, default=1000, help="questions per column")
    parser.add_argument("--articles", type=int, default=2000, help="store size for ingest")
    parser.add_argument("--rounds", type=int, default=10, help="ingests per kind")
    parser.add_argument("--quick", action="store_true", help="smoke run: 20k passages")
    args = parser.parse_args(argv)
    if args.quick:
        args.passages, args.queries, args.articles, args.rounds = 20_000, 100, 300, 3
    print(machine_report() + "\n")
    rows, bad = search_rows(args.passages, args.queries)
    print(f"Ranking (diversify, k=10) at {args.passages:,} passages, retired vs none:\n")
    print(markdown_table(("retired", "queries", "p50 ms", "p99 ms", "mean ms"), rows))
    checked = min(CHECKED, args.queries) * (len(SHARES) - 1)
    print(f"\nlive top-10 against exhaustive live scores: {bad} mismatches in {checked}\n")
    print(f"Ingest of a {FEED}-entry feed into a store of {args.articles:,} articles:\n")
    headers = ("feed", "ingests", "median ms", "max ms")
    print(markdown_table(headers, ingest_rows(args.articles, args.rounds)))


if __name__ == "__main__":
    main()
