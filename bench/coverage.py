"""What the coverage factor costs to rank with: diversify with questions' coverage off and on.

    python -m bench.coverage [--passages 1000000] [--queries 1000] [--coverage 0.5] [--quick]

The index, articles, dates and questions of ``bench.support``: synthetic passages
(``bench.corpus``) in articles of 1-15 passages, real news questions. Each question is
ranked as ``Engine.search`` ranks a question (``diversify``, ``k`` = 20, ``COUNT_DEPTH``)
with coverage off and at ``--coverage`` (:mod:`retrieval.coverage`), each with no dates and
with the default recency prior, question by question in turn so every column shares the
machine's load, each column first in turn. ``sweeps`` is the mean number of index sweeps
per question (coverage may need a deeper plain list to prove its top exact). Checked on the
first ``CHECKED`` questions: the covered order equals exhaustive scoring.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from bench.corpus import queries, synthetic, synthetic_articles
from bench.machine import fmt, latency, machine_report, markdown_table
from bench.support import NOW

K = 20
CHECKED = 100


class Counting:
    """An index that counts its ``top_k`` sweeps; everything else passes through."""

    def __init__(self, index: Any) -> None:
        self.index = index
        self.sweeps = 0

    def top_k_covered(self, *args: Any) -> Any:
        """The index's ``top_k_covered``, counted."""
        self.sweeps += 1
        return self.index.top_k_covered(*args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.index, name)


def rows(n_passages: int, n_queries: int, coverage: float) -> tuple[list[list[str]], int, int]:
    """p50 / p99 / mean ms and sweeps per column; mismatches and questions checked."""
    from retrieval.bm25 import Index
    from retrieval.coverage import covered_scores
    from retrieval.engine import COUNT_DEPTH
    from retrieval.ranking import diversify
    from retrieval.recency import RECENCY, UNDATED, window

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
    for number, query in enumerate(queries(n_queries)):
        for step in range(len(columns)):
            column = (number + step) % len(columns)
            label, dates = columns[column]
            on = coverage if label.startswith("on") else 0.0
            counting.sweeps = 0
            started = time.perf_counter()
            ranking = diversify(counting, owners, query, K, COUNT_DEPTH, dates, None, 0.0, on)  # type: ignore[arg-type]
            times[column].append(time.perf_counter() - started)
            sweeps[column] += counting.sweeps
            if on and number < CHECKED:
                checked += 1
                scores = covered_scores(index, query, on, dates)
                firsts: dict[int, int] = {}
                for pid in np.lexsort((np.arange(scores.size), -scores)).tolist():
                    if scores[pid] <= 0 or len(firsts) == K:
                        break
                    firsts.setdefault(int(owners[pid]), pid)
                bad += [pid for pid, _ in ranking.passages][: len(firsts)] != list(firsts.values())
    out = []
    for (label, _), seconds, swept in zip(columns, times, sweeps, strict=True):
        found = latency(seconds)
        figures = (found.p50_ms, found.p99_ms, found.mean_ms)
        out.append([label, f"{found.n}", *(fmt(x) for x in figures), fmt(swept / found.n)])
    return out, bad, checked


def main(argv: Sequence[str] | None = None) -> None:
    """Print the machine, then the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.coverage", description=__doc__)
    parser.add_argument("--passages", type=int, default=1_000_000, help="index size")
    parser.add_argument("--queries", type=int, default=1000, help="questions per column")
    parser.add_argument("--quick", action="store_true", help="smoke run: 20k passages")
    parser.add_argument("--coverage", type=float, default=0.5, help="the 'on' columns' weight")
    args = parser.parse_args(argv)
    if args.quick:
        args.passages, args.queries = 20_000, 100
    print(machine_report() + "\n")
    table, bad, checked = rows(args.passages, args.queries, args.coverage)
    print(f"Ranking a question (diversify, k={K}) at {args.passages:,} passages, coverage off "
          f"and {args.coverage:g}:\n")  # fmt: skip
    print(markdown_table(("coverage", "queries", "p50 ms", "p99 ms", "mean ms", "sweeps"), table))
    print(f"\ncovered order against exhaustive scoring: {bad} mismatches in {checked}")


if __name__ == "__main__":
    main()
