"""What ranking articles by best plus second-best passage costs: diversify with support on/off.

    python -m bench.support [--passages 1000000] [--queries 1000] [--terms 3] [--quick]

One index over synthetic passages (``bench.corpus``) grouped into synthetic articles of 1-15
passages, each article with one date over three years (one in ten undated). The same
questions are ranked as ``Engine.search`` ranks them (``diversify`` with ``k`` = 20, i.e. 10
results plus folding depth, and ``COUNT_DEPTH``), with the article support off and at its
default (``retrieval.support``), each with no dates and with the default recency prior,
question by question in turn so every column shares the machine's load, each column first in
turn. ``--support`` sets the 'on' columns' weight (default 0.6: the shipped default is off).
``sweeps`` is the mean number of index sweeps per question (1 without support: the
support's bound may need a deeper list). Checked on the first ``CHECKED`` questions: the
supported order equals exhaustive scoring.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from bench.corpus import queries, synthetic, synthetic_articles
from bench.machine import fmt, latency, machine_report, markdown_table

K = 20
CHECKED = 100
NOW = datetime(2024, 6, 15, tzinfo=UTC)


class Counting:
    """An index that counts its ``top_k`` sweeps (everything else passes through)."""

    def __init__(self, index: Any) -> None:
        self.index = index
        self.sweeps = 0

    def top_k(self, *args: Any) -> Any:
        """The index's ``top_k``, counted."""
        self.sweeps += 1
        return self.index.top_k(*args)

    def top_k_covered(self, *args: Any) -> Any:
        """The index's ``top_k_covered``, counted."""
        self.sweeps += 1
        return self.index.top_k_covered(*args)

    def scores_in(self, *args: Any) -> Any:
        """The index's ``scores_in``."""
        return self.index.scores_in(*args)


def expected(
    index: Any, owners: np.ndarray, query: list[str], weight: float, dates: Any
) -> list[int]:
    """Best passage of the first ``K`` articles by best + weight x second, scored exhaustively."""
    from retrieval.recency import factors

    scores = index.scores(query)
    if dates is not None:
        scores = scores * factors(dates)
    order = np.lexsort((np.arange(scores.size), -scores))
    order = order[scores[order] > 0]
    best: dict[int, tuple[float, int]] = {}
    second: dict[int, float] = {}
    for pid in order.tolist():
        article = int(owners[pid])
        if article not in best:
            best[article] = (float(scores[pid]), pid)
        elif article not in second:
            second[article] = float(scores[pid])
    ranked = sorted((-(s + weight * second.get(a, 0.0)), -s, pid) for a, (s, pid) in best.items())
    return [pid for _, _, pid in ranked[:K]]


def rows(
    n_passages: int, n_queries: int, support: float, terms: int = 0
) -> tuple[list[list[str]], int, int]:
    """p50 / p99 / mean ms and sweeps per column; mismatches and questions checked."""
    from retrieval.bm25 import Index
    from retrieval.engine import COUNT_DEPTH
    from retrieval.ranking import diversify
    from retrieval.recency import RECENCY, UNDATED, window
    from retrieval.support import support_weight

    index = Index.build(synthetic(n_passages).token_lists())
    counts, _ = synthetic_articles(n_passages)
    owners = np.repeat(np.arange(counts.shape[0]), counts).astype(np.int32)
    rng = np.random.default_rng(3)
    ages = rng.uniform(0, 3 * 365 * 86_400, size=counts.shape[0]).astype(np.int64)
    days = np.where(rng.random(counts.shape[0]) < 0.1, UNDATED, int(NOW.timestamp()) - ages)
    prior = window(np.repeat(days, counts), NOW, RECENCY)
    columns = [("off", None), ("on", None), ("off, prior", prior), ("on, prior", prior)]
    counting = Counting(index)
    times: list[list[float]] = [[] for _ in columns]
    sweeps = [0] * len(columns)
    bad = checked = 0
    # --terms: each question's first words only, as a short keyword search reads.
    sample = [query[:terms] if terms else query for query in queries(n_queries)]
    for number, query in enumerate(sample):
        weight = support_weight(query, support)
        for step in range(len(columns)):
            column = (number + step) % len(columns)
            label, dates = columns[column]
            on = weight if label.startswith("on") else 0.0
            counting.sweeps = 0
            started = time.perf_counter()
            ranking = diversify(counting, owners, query, K, COUNT_DEPTH, dates, None, on)  # type: ignore[arg-type]
            times[column].append(time.perf_counter() - started)
            sweeps[column] += counting.sweeps
            if on and number < CHECKED:
                checked += 1
                got = [pid for pid, _ in ranking.passages][:K]
                want = expected(index, owners, query, on, dates)
                bad += got[: len(want)] != want
    out = []
    for (label, _), seconds, swept in zip(columns, times, sweeps, strict=True):
        found = latency(seconds)
        figures = (found.p50_ms, found.p99_ms, found.mean_ms)
        out.append([label, f"{found.n}", *(fmt(x) for x in figures), fmt(swept / found.n)])
    return out, bad, checked


def main(argv: Sequence[str] | None = None) -> None:
    """Print the machine, then the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.support", description=__doc__)
    parser.add_argument("--passages", type=int, default=1_000_000, help="index size")
    parser.add_argument("--queries", type=int, default=1000, help="questions per column")
    parser.add_argument("--quick", action="store_true", help="smoke run: 20k passages")
    parser.add_argument(
        "--support", type=float, default=0.6, help="article_support of the 'on' columns"
    )
    parser.add_argument(
        "--terms", type=int, default=0, help="keep each question's first N terms (0: all)"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.passages, args.queries = 20_000, 100
    print(machine_report() + "\n")
    table, bad, checked = rows(args.passages, args.queries, args.support, args.terms)
    print(f"Ranking (diversify, k={K}) at {args.passages:,} passages, article support off and "
          f"{args.support:g} (scaled by each question's length):\n")  # fmt: skip
    print(markdown_table(("support", "queries", "p50 ms", "p99 ms", "mean ms", "sweeps"), table))
    print(f"\nsupported order against exhaustive scoring: {bad} mismatches in {checked}")


if __name__ == "__main__":
    main()
