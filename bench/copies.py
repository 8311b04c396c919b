"""Copies folded: where to put the threshold, how well MinHash follows it, what folding costs.

1. Pairs of passages of different articles that rank together (the top 20 of each question,
   folding off) are compared by the exact Jaccard similarity of their 3-term shingle sets:
   the histogram shows whether copies and distinct passages separate, and where.
2. For each candidate threshold: how many pairs MinHash (``retrieval.copies``) folds, and how
   often its decision differs from the exact Jaccard's at the same threshold.
3. Quality with folding at the shipped threshold beside folding off, on every set, in one
   run (±1.96·sd/√n), so folding is seen not to cost answers.

    python -m bench.copies [--limit 400]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from itertools import combinations, pairwise
from typing import Any

import numpy as np

from bench.machine import machine_report, markdown_table, need_eval

SETS = ("rtqa_news_2024", "rtqa_evidence_dev", "bbc_lead", "bbc_title")
PAIR_SETS = ("rtqa_news_2024", "rtqa_evidence_dev", "bbc_lead")
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
BINS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0001)
DEPTH = 20


def shingles(terms: Sequence[str]) -> set[str]:
    """The 3-term shingles of a passage, as ``retrieval.copies.signature`` hashes them."""
    from retrieval.copies import SHINGLE

    return {" ".join(terms[i : i + SHINGLE]) for i in range(len(terms) - SHINGLE + 1)}


def pairs_of(name: str, limit: int) -> list[tuple[float, float]]:
    """(exact Jaccard, MinHash estimate) of every cross-article pair in each top ``DEPTH``."""
    from retrieval.copies import similarity
    from retrieval.engine import Engine
    from retrieval.errors import QueryError
    from retrieval.eval_sets import read_set

    data = read_set(need_eval() / name, limit=limit)
    engine = Engine.open(":memory:", copy_threshold=2.0)
    engine.ingest(data.articles)
    seen: set[tuple[int, int]] = set()
    out = []
    for query in data.queries:
        try:
            hits = engine.search(query.text, DEPTH, related=engine.too_long(query.text)).hits
        except QueryError:
            continue
        ranked = [hit.ranked or hit.passage for hit in hits]
        signatures = engine.store.signatures([p.id for p in ranked])
        for a, b in combinations(ranked, 2):
            key = (min(a.id, b.id), max(a.id, b.id))
            if a.article_id == b.article_id or key in seen:
                continue
            seen.add(key)
            left = shingles(engine.analyzer.terms(a.text))
            right = shingles(engine.analyzer.terms(b.text))
            exact = len(left & right) / max(len(left | right), 1)
            estimate = similarity(signatures.get(a.id, b""), signatures.get(b.id, b""))
            out.append((exact, estimate))
    engine.close()
    return out


def quality(name: str, limit: int, threshold: float) -> dict[str, Any]:
    """The set's figures with copies folded at ``threshold`` (above 1: never)."""
    import retrieval.evaluation as evaluation
    from retrieval.eval_sets import read_set

    data = read_set(need_eval() / name, limit=limit)

    def ask(engine: Any, query: Any, k: int) -> Any:
        engine.copy_threshold = threshold
        return evaluation.ask(engine, query, k)

    report = evaluation.evaluate(data, ask=ask)
    return dict(report.metrics)


def main(argv: Sequence[str] | None = None) -> None:
    """Print the pair histogram, the threshold table and quality with folding on and off."""
    from retrieval.copies import THRESHOLD

    parser = argparse.ArgumentParser(prog="python -m bench.copies", description=__doc__)
    parser.add_argument("--limit", type=int, default=0, help="only the first N queries per set")
    parser.add_argument("--sets", default=",".join(SETS))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print("## Copies: threshold and cost of folding\n")
    print(machine_report() + "\n")
    names = [n for n in args.sets.split(",") if n]
    hist_rows: list[list[object]] = []
    thresh_rows: list[list[object]] = []
    for name in (n for n in names if n in PAIR_SETS):
        pairs = np.array(pairs_of(name, args.limit))
        exact, estimate = pairs[:, 0], pairs[:, 1]
        counts = np.histogram(exact, bins=BINS)[0]
        hist_rows.append([name, len(pairs), *counts.tolist()])
        for t in THRESHOLDS:
            folds = int(np.count_nonzero(estimate >= t))
            wrong = int(np.count_nonzero((estimate >= t) != (exact >= t)))
            thresh_rows.append([name, f"{t:.1f}", int(np.count_nonzero(exact >= t)), folds, wrong])
        print(f"{name}: pairs done after {time.perf_counter() - started:.0f} s", file=sys.stderr)
    labels = [f"{lo:.1f}-{min(hi, 1.0):.1f}" for lo, hi in pairwise(BINS)]
    print(f"Cross-article pairs within each question's top {DEPTH}, by exact shingle Jaccard:\n")
    print(markdown_table(("set", "pairs", *labels), hist_rows))
    print(
        "\nPer threshold: pairs at or above it exactly, pairs MinHash folds, decisions that"
        " differ:\n"
    )
    print(
        markdown_table(("set", "threshold", "exact >= t", "MinHash folds", "differ"), thresh_rows)
    )
    q_rows: list[list[object]] = []
    for name in names:
        for label, threshold in ((f"folded at {THRESHOLD}", THRESHOLD), ("not folded", 2.0)):
            metrics = quality(name, args.limit, threshold)
            cells = []
            for metric in ("Recall@1", "Recall@5", "AnsHit@1 passage", "AnsHit@5 passage"):
                e = metrics.get(metric)
                cells.append("–" if e is None else f"{e.mean:.3f} ± {e.half_width:.3f}")
            q_rows.append([name, label, *cells])
        print(f"{name}: quality done after {time.perf_counter() - started:.0f} s", file=sys.stderr)
    print("\nQuality with and without folding (engine defaults otherwise):\n")
    print(markdown_table(("set", "copies", "R@1", "R@5", "AnsHit@1 p", "AnsHit@5 p"), q_rows))
    print(f"\nWall time {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
