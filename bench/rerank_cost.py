"""What the proximity rerank costs to rank with: diversify with the second stage off and on.

    python -m bench.rerank_cost [--passages 1000000] [--queries 300] [--depths 20,50] [--quick]

The index, articles and dates of ``bench.coverage``: synthetic passages (``bench.corpus``) in
articles of 1-15 passages, with the default recency prior, and real news questions, each
ranked as ``Engine.search`` ranks it (``diversify``, ``k`` = 20, ``COUNT_DEPTH``). The
second stage (:mod:`retrieval.rerank`) reads its passages from a SQLite store (in memory)
that holds every synthetic passage's terms as its text, one article per synthetic article,
and analyses them as a search does. Columns, question by question in turn so each shares the
machine's load, each first in turn: off; on with nothing remembered (every passage read and
analysed afresh: a question nobody asked lately); on again at once (the passages' term
positions remembered: a popular question, or a second page). The stored texts are already
stems, which the analyzer stems again, so a few pairs match less than in real text; what is
timed (reads, analysis, pair counts) is the same.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from bench.corpus import queries, synthetic, synthetic_articles
from bench.machine import fmt, latency, machine_report, markdown_table
from bench.support import NOW

if TYPE_CHECKING:
    from retrieval.store import Store

K = 20
WEIGHT = 0.1


def filled_store(tokens: list[list[str]], counts: np.ndarray) -> Store:
    """An in-memory store whose passage ``i`` is synthetic passage ``i``'s terms as text."""
    from retrieval.store import Store

    store = Store(":memory:")
    db = store._db
    db.execute("BEGIN")
    first = 0
    for seq, count in enumerate(counts.tolist(), 1):
        texts = [" ".join(t) for t in tokens[first : first + count]]
        starts = np.cumsum([0, *(len(t) + 2 for t in texts)]).tolist()
        db.execute(
            "INSERT INTO articles (seq, id, key, title, text, added_at, first_passage, passages)"
            " VALUES (?, ?, ?, '', ?, '', ?, ?)",
            (seq, f"synthetic-{seq}", f"synthetic:{seq}", "\n\n".join(texts), first, count),
        )
        db.executemany(
            "INSERT INTO passages (id, article_seq, start, end) VALUES (?, ?, ?, ?)",
            [(first + j, seq, starts[j], starts[j] + len(texts[j])) for j in range(count)],
        )
        first += count
    db.execute("COMMIT")
    return store


def rows(n_passages: int, n_queries: int, depths: Sequence[int]) -> list[list[str]]:
    """p50 / p99 / mean ms per column."""
    from retrieval.bm25 import Index
    from retrieval.engine import COUNT_DEPTH
    from retrieval.proximity import positions_of
    from retrieval.ranking import diversify
    from retrieval.recency import RECENCY, UNDATED, window
    from retrieval.rerank import second_stage
    from retrieval.text import Analyzer

    tokens = synthetic(n_passages).token_lists()
    index = Index.build(tokens)
    counts, _ = synthetic_articles(n_passages)
    store = filled_store(tokens, counts)
    del tokens
    owners = np.repeat(np.arange(counts.shape[0]), counts).astype(np.int32)
    rng = np.random.default_rng(3)
    ages = rng.uniform(0, 3 * 365 * 86_400, size=counts.shape[0]).astype(np.int64)
    days = np.where(rng.random(counts.shape[0]) < 0.1, UNDATED, int(NOW.timestamp()) - ages)
    prior = window(np.repeat(days, counts), NOW, RECENCY)
    analyzer = Analyzer("english")
    columns = [("off", 0)] + [(f"{how}, depth {d}", d) for d in depths for how in ("cold", "warm")]
    times: list[list[float]] = [[] for _ in columns]
    for number, query in enumerate(queries(n_queries)):
        for step in range(len(columns)):
            column = (number + step) % len(columns)
            label, depth = columns[column]
            if label.startswith("cold"):
                positions_of.cache_clear()
            elif label.startswith("warm"):  # remembered: the same question asked just before
                stage = second_stage(store, analyzer, index, query, WEIGHT, titled=True,
                                     depth=depth)  # fmt: skip
                diversify(index, owners, query, K, COUNT_DEPTH, prior, rerank=stage)
            started = time.perf_counter()
            stage = None
            if depth:
                stage = second_stage(store, analyzer, index, query, WEIGHT, titled=True,
                                     depth=depth)  # fmt: skip
            diversify(index, owners, query, K, COUNT_DEPTH, prior, rerank=stage)
            times[column].append(time.perf_counter() - started)
    out = []
    for (label, _), seconds in zip(columns, times, strict=True):
        found = latency(seconds)
        figures = (found.p50_ms, found.p99_ms, found.mean_ms)
        out.append([label, f"{found.n}", *(fmt(x) for x in figures)])
    return out


def main(argv: Sequence[str] | None = None) -> None:
    """Print the machine, then the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.rerank_cost", description=__doc__)
    parser.add_argument("--passages", type=int, default=1_000_000, help="index size")
    parser.add_argument("--queries", type=int, default=300, help="questions per column")
    parser.add_argument("--depths", default="20,50", help="passages the second stage rescores")
    parser.add_argument("--quick", action="store_true", help="smoke run: 20k passages")
    args = parser.parse_args(argv)
    if args.quick:
        args.passages, args.queries = 20_000, 100
    depths = [int(d) for d in args.depths.split(",") if d]
    print(machine_report() + "\n")
    table = rows(args.passages, args.queries, depths)
    print(f"Ranking a question (diversify, k={K}, recency prior) at {args.passages:,} passages, "
          f"second stage off and on (weight {WEIGHT:g}):\n")  # fmt: skip
    print(markdown_table(("rerank", "queries", "p50 ms", "p99 ms", "mean ms"), table))


if __name__ == "__main__":
    main()
