"""The title field's weight, measured: tuned on half of each set's questions, checked on the rest.

For each eval set, one engine indexes titles as words of every passage (today's way, weight
0) and one scores them as a field of their own (``retrieval.titles``); the field engine is
searched at every weight of ``--weights``. Questions are split in two by a hash of their id:
the weight is chosen on the "tune" half (mean of the sets' main metric) and the "check" half
says whether the choice holds. Main metric: Recall@1 where qrels judge, else AnsHit@1 of the
passage. Each figure is ±1.96·sd/√n, as ``briefbot eval`` reports it.

    python -m bench.titles [--sets bbc_lead,rtqa_evidence_dev] [--weights 0.25,0.5,1] [--limit N]
"""

from __future__ import annotations

import argparse
import time
import zlib
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from bench.machine import machine_report, markdown_table, need_eval

SETS = ("rtqa_evidence_dev", "bbc_lead", "bbc_title", "rtqa_news_2024")
WEIGHTS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0)
HALVES = ("tune", "check")


def half_of(query_id: str) -> str:
    """Which half a question belongs to: a stable hash of its id, not its position."""
    return HALVES[zlib.crc32(query_id.encode()) % 2]


def main_metric(data: Any) -> str:
    """Recall@1 where the set judges articles, else AnsHit@1 of the passage."""
    return "Recall@1" if data.qrels else "AnsHit@1 passage"


def run(evaluation: Any, engine: Any, data: Any) -> dict[str, Any]:
    """Every query through ``engine``; the main metric per half and over all questions."""
    from retrieval.errors import QueryError
    from retrieval.eval_metrics import Outcome, score

    outcomes = []
    for query in data.queries:
        try:
            outcomes.append(evaluation.outcome_of(evaluation.ask(engine, query, evaluation.K)))
        except QueryError:
            outcomes.append(Outcome((), (), (), refused=True))
    metric = main_metric(data)
    out: dict[str, Any] = {}
    for half in (*HALVES, "all"):
        keep = [i for i, q in enumerate(data.queries) if half in ("all", half_of(q.id))]
        part = replace(data, queries=tuple(data.queries[i] for i in keep))
        out[half] = score(part, [outcomes[i] for i in keep]).get(metric)
    return out


def cell(found: Any) -> str:
    """``0.617 ± 0.020``."""
    return "–" if found is None else f"{found.mean:.3f} ± {found.half_width:.3f}"


def main(argv: Sequence[str] | None = None) -> None:
    """Sweep the weights on every set and print the table and the weight the tune half picks."""
    parser = argparse.ArgumentParser(prog="python -m bench.titles", description=__doc__)
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--weights", default=",".join(map(str, WEIGHTS)))
    parser.add_argument("--limit", type=int, default=0, help="only the first N queries per set")
    args = parser.parse_args(argv)
    import retrieval.evaluation as evaluation
    from retrieval.engine import Engine
    from retrieval.eval_sets import read_set

    weights = [float(w) for w in args.weights.split(",") if w]
    started = time.perf_counter()
    body: list[list[object]] = []
    tune: dict[float, list[float]] = {w: [] for w in (0.0, *weights)}
    for name in (n for n in args.sets.split(",") if n):
        data = read_set(need_eval() / name, limit=args.limit)
        metric = main_metric(data)
        inline = Engine.open(":memory:")
        field = Engine.open(":memory:", title_weight=1.0)
        try:
            inline.ingest(data.articles)
            field.ingest(data.articles)
            results = {0.0: run(evaluation, inline, data)}
            for weight in weights:
                field.title_weight = weight
                results[weight] = run(evaluation, field, data)
        finally:
            inline.close()
            field.close()
        for weight, found in results.items():
            label = "0 (title in passages)" if weight == 0 else f"{weight:g}"
            body.append([name, metric, label, *(cell(found[h]) for h in (*HALVES, "all"))])
            tune[weight].append(found["tune"].mean)
        took = time.perf_counter() - started
        print(f"{name}: done after {took:.0f} s", *map(str, body[-len(results) :]), sep="\n  ")
    print("## Title field weight (tune on one half of the questions, check on the other)\n")
    print(machine_report() + "\n")
    print(markdown_table(("set", "metric", "title weight", *HALVES, "all"), body))
    mean_tune = {w: sum(v) / len(v) for w, v in tune.items() if v}
    best = max(mean_tune, key=lambda w: (mean_tune[w], -w))
    print(f"\nBest mean over sets on the tune half: weight {best:g} ({mean_tune[best]:.4f}).")
    print(f"Wall time {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
