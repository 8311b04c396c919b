"""Do long, many-story articles (digests, "5 things to know") crowd out the story? A prior, tried.

The prior tried is ``score * passages ** -alpha``: an article's best passage counts for less
the more passages the article has (a digest restating many stories is long). It is applied
to each question's top ``DEPTH`` results (one per article) as the engine ranks them, which
is what an exact prior would reorder at the top. Questions are split in two by a hash of
their id: alpha is chosen on the "tune" half, the "check" half says whether it holds.
Shipped only if it helps on the check half of every set beyond its interval. Questions are
asked as ``bench.quality`` asks them (rtqa_news_2024 as of each question's date).

    python -m bench.digests [--sets rtqa_news_2024,rtqa_evidence_dev,bbc_lead] [--limit N]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from bench.machine import machine_report, markdown_table, need_eval
from bench.quality import DATED_SETS
from bench.titles import HALVES, half_of, main_metric

ALPHAS = (0.0, 0.05, 0.1, 0.2, 0.4)
DEPTH = 30
SETS = ("rtqa_news_2024", "rtqa_evidence_dev", "bbc_lead")


def main(argv: Sequence[str] | None = None) -> None:
    """Rank once per question, re-order the top by each alpha, print main metric per half."""
    parser = argparse.ArgumentParser(prog="python -m bench.digests", description=__doc__)
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--title-weight", type=float, default=None)
    args = parser.parse_args(argv)
    import retrieval.evaluation as evaluation
    from retrieval.engine import Engine
    from retrieval.errors import QueryError
    from retrieval.eval_metrics import Outcome, score
    from retrieval.eval_sets import read_set
    from retrieval.titles import TITLE_WEIGHT

    weight = TITLE_WEIGHT if args.title_weight is None else args.title_weight
    started = time.perf_counter()
    body: list[list[object]] = []
    for name in (n for n in args.sets.split(",") if n):
        data = read_set(need_eval() / name, limit=args.limit)
        # As bench.quality asks: rtqa_news_2024 as of each question's date, the rest as of now.
        ask = evaluation.ask_dated if name in DATED_SETS else evaluation.ask
        engine = Engine.open(":memory:", title_weight=weight)
        engine.ingest(data.articles)
        results: list[Any] = []
        for query in data.queries:
            try:
                results.append(ask(engine, query, DEPTH))
            except QueryError:
                results.append(None)
        engine.close()
        metric = main_metric(data)
        for alpha in ALPHAS:
            outcomes = []
            for result in results:
                if result is None:
                    outcomes.append(Outcome((), (), (), refused=True))
                    continue
                hits = sorted(
                    result.hits,
                    key=lambda h: (-h.score * max(h.article.passages, 1) ** -alpha, h.rank),
                )
                outcomes.append(evaluation.outcome_of(replace(result, hits=tuple(hits))))
            cells = []
            for half in (*HALVES, "all"):
                keep = [i for i, q in enumerate(data.queries) if half in ("all", half_of(q.id))]
                part = replace(data, queries=tuple(data.queries[i] for i in keep))
                found = score(part, [outcomes[i] for i in keep]).get(metric)
                cells.append(f"{found.mean:.3f} ± {found.half_width:.3f}")
            body.append([name, metric, f"{alpha:g}", *cells])
        took = time.perf_counter() - started
        print(f"{name}: done after {took:.0f} s", *map(str, body[-len(ALPHAS) :]), sep="\n  ")
    print("## Digest prior: score x passages^-alpha on each question's top 30\n")
    print(machine_report() + "\n")
    print(markdown_table(("set", "metric", "alpha", *HALVES, "all"), body))
    print(f"\nWall time {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
