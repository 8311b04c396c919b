"""The proximity rerank's weight and depth: answer quality per setting, one ingest per set.

    python -m bench.proximity --half even [--weights 0,0.1,0.2] [--depths 20,50] [--sets ...]

Each eval set is ingested once into an in-memory engine (as ``briefbot eval`` does); then
every question is asked (``retrieval.evaluation.ask``, rtqa_news_2024 as of its date) at
each weight ``lambda`` and depth ``N`` of :mod:`retrieval.rerank` (weight 0: plain BM25, the
first row), and scored as ``bench.quality`` scores it: Recall@1 where ``qrels.tsv`` judges,
AnsHit@1 of passage and excerpt where questions have answers, ±95% intervals. ``--ordered``
sets the pair score's share from words side by side (:data:`retrieval.proximity.ORDERED`).
Tune on ``--half even``, check on ``--half odd``; ``bench.quality --proximity W --before REV``
then checks the chosen setting against the engine before it, beside BM25Okapi. The search
column is the mean ``Engine.search`` time per question, citing included.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from bench.machine import machine_report, markdown_table
from bench.quality import DATED_SETS, cell, read_data

SETS = ("rtqa_evidence_dev", "rtqa_news_2024", "bbc_title", "bbc_lead")
SHOWN = ("Recall@1", "AnsHit@1 passage", "AnsHit@1 excerpt", "Declined")


def sweep(
    name: str, half: str | None, limit: int, settings: Sequence[tuple[float, int]]
) -> list[list[object]]:
    """One row per ``(weight, depth)`` setting of set ``name``, its engine ingested once."""
    from retrieval import evaluation
    from retrieval.engine import Engine
    from retrieval.errors import QueryError
    from retrieval.eval_metrics import Outcome, score

    data = read_data(name, limit, False, half)
    ask = evaluation.ask_dated if name in DATED_SETS else evaluation.ask
    engine = Engine.open(":memory:")
    rows: list[list[object]] = []
    try:
        engine.ingest(data.articles)
        for weight, depth in settings:
            engine.proximity, engine.rerank_depth = weight, depth
            outcomes = []
            started = time.perf_counter()
            for query in data.queries:
                try:
                    outcomes.append(evaluation.outcome_of(ask(engine, query, evaluation.K)))
                except QueryError:
                    outcomes.append(Outcome((), (), (), refused=True))
            ms = 1e3 * (time.perf_counter() - started) / max(len(data.queries), 1)
            metrics = score(data, outcomes)
            found = {m: {"mean": e.mean, "ci95": e.half_width} for m, e in metrics.items()}
            row = {"metrics": found}
            figures = [cell(row, m) if m in metrics else "–" for m in SHOWN]
            rows.append([name, f"{weight:g}", depth, len(data.queries), *figures, f"{ms:.2f}"])
    finally:
        engine.close()
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    """Parse flags, sweep every set, print one table."""
    parser = argparse.ArgumentParser(prog="python -m bench.proximity", description=__doc__)
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--half", choices=["even", "odd"])
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="smoke run: --limit 100")
    parser.add_argument("--weights", default="0,0.05,0.1,0.2,0.4")
    parser.add_argument("--depths", default="50")
    parser.add_argument("--ordered", type=float, default=None, help="share of ordered pairs")
    args = parser.parse_args(argv)
    if args.quick and not args.limit:
        args.limit = 100
    if args.ordered is not None:
        import retrieval.proximity

        retrieval.proximity.ORDERED = args.ordered
    weights = [float(w) for w in args.weights.split(",")]
    depths = [int(d) for d in args.depths.split(",")]
    settings = [(0.0, depths[0])] + [(w, d) for w in weights if w > 0 for d in depths]
    print("## Proximity rerank: quality per weight and depth\n")
    print(machine_report() + "\n")
    rows: list[list[object]] = []
    for name in (n for n in args.sets.split(",") if n):
        rows += sweep(name, args.half, args.limit, settings)
    headers = ("set", "weight", "depth", "queries", "R@1", "AnsHit@1 passage",
               "AnsHit@1 excerpt", "declined", "search ms")  # fmt: skip
    print(markdown_table(headers, rows))
    half = f"the {args.half} half" if args.half else "every question"
    print(f"\nQuestions: {half}; ordered share {args.ordered or 'default'}.")


if __name__ == "__main__":
    main()
