"""Which date ranges filter and which are only preferred, and what that does to answers.

Two tables, one run:

1. Over every dev question (all sets' ``queries.jsonl``, each read as of its own date where
   it has one, else as of a fixed today): the date expressions of each kind
   (``retrieval.query_dates.KINDS``), and how many questions' ranges filter and how many are
   only preferred (``retrieval.date_intent``).
2. On the questions a preference changes (a relative range and ``PREFER_TERMS`` search terms
   or more), per set: R@1 (``rtqa_evidence_dev`` and the bbc sets, asked as of now as
   ``bench.quality`` asks them) or AnsHit@1 of the excerpt (``rtqa_news_2024``, asked as of
   its date), with the range
   as a filter (``date_preference`` 0, the engine before), preferred at each ``--weights``,
   and with no date (its words dropped, the recency prior alone). ``--yearless`` also
   measures months and days without a year ("in March") as if they were preferred.

    python -m bench.date_intent [--sets rtqa_evidence_dev] [--weights 0.1,0.25,0.5]
        [--half even|odd] [--yearless]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime

import retrieval.date_intent as date_intent
from bench.machine import machine_report, markdown_table, need_eval
from bench.quality import half_of
from retrieval.date_intent import PREFER_TERMS, PREFER_WEIGHT, prefers
from retrieval.engine import Engine
from retrieval.errors import QueryError
from retrieval.eval_metrics import Outcome, score
from retrieval.eval_sets import EvalQuery, EvalSet, read_set
from retrieval.evaluation import K, ask, ask_dated, outcome_of
from retrieval.query_dates import KINDS, Found, find_dates
from retrieval.titles import TITLE_WEIGHT

SETS = ("rtqa_news_2024", "rtqa_evidence_dev", "bbc_title", "bbc_lead")
MEASURED = {
    "rtqa_evidence_dev": "Recall@1",
    "rtqa_news_2024": "AnsHit@1 excerpt",
    "bbc_title": "Recall@1",
    "bbc_lead": "Recall@1",
}
DATED = ("rtqa_news_2024",)  # asked as of their date, as bench.quality asks them
TODAY = datetime(2024, 6, 15, 12, tzinfo=UTC)  # for questions without a date of their own

Ask = Callable[[Engine, EvalQuery, int], object]


def today_of(query: EvalQuery, dated: bool) -> datetime:
    """The "today" a question is read as of: its date's last second, or now."""
    if not dated or query.date is None:
        return datetime.now(UTC)
    day = query.date if query.date.tzinfo else query.date.replace(tzinfo=UTC)
    return day.replace(hour=23, minute=59, second=59)


@contextmanager
def soft(kinds: frozenset[str]) -> Iterator[None]:
    """Measure as if ``kinds`` were the kinds of expression a range may be preferred for."""
    kept = date_intent.SOFT_KINDS
    date_intent.SOFT_KINDS = kinds
    try:
        yield
    finally:
        date_intent.SOFT_KINDS = kept


def decided(engine: Engine, found: Found) -> str:
    """``filter``, ``prefer`` or ``none`` (no range) for a question read as ``found``."""
    if found.range is None:
        return "none"
    try:
        terms = engine.query_terms(found.rest)
    except QueryError:
        terms = []
    return "prefer" if prefers(found, terms, PREFER_WEIGHT) else "filter"


def count_rows(engine: Engine, names: Sequence[str]) -> tuple[list[list[object]], Counter[str]]:
    """Per set: questions, ranges, and how many filter or are preferred; kinds over all."""
    rows: list[list[object]] = []
    kinds: Counter[str] = Counter()
    for name in names:
        data = read_set(need_eval() / name)
        ways: Counter[str] = Counter()
        for query in data.queries:
            when = TODAY if query.date is None else today_of(query, True)
            found = find_dates(query.text, when)
            kinds.update(found.kinds)
            ways[decided(engine, found)] += 1
        ranged = ways["filter"] + ways["prefer"]
        rows.append([name, f"{len(data.queries):,}", f"{ranged:,}", ways["filter"], ways["prefer"]])
    return rows, kinds


def run(engine: Engine, data: EvalSet, queries: Sequence[EvalQuery], how: Ask) -> list[Outcome]:
    """Every query through ``how``; a refused one is a miss, as in ``evaluate``."""
    outcomes = []
    for query in queries:
        try:
            outcomes.append(outcome_of(how(engine, query, K)))  # type: ignore[arg-type]
        except QueryError:
            outcomes.append(Outcome((), (), (), refused=True))
    return outcomes


def measured(data: EvalSet, queries: Sequence[EvalQuery], outcomes: list[Outcome]) -> str:
    """The set's metric over ``queries``, ``mean ± ci95``."""
    found = score(replace(data, queries=tuple(queries)), outcomes)[MEASURED[data.name]]
    return f"{found.mean:.3f} ± {found.half_width:.3f}"


def effect_rows(
    name: str, half: str | None, weights: Sequence[float], groups: dict[str, frozenset[str]]
) -> list[list[object]]:
    """For each group of kinds: the affected questions' metric filtered, preferred, undated."""
    data = half_of(read_set(need_eval() / name), half)
    dated = name in DATED
    how: Ask = ask_dated if dated else ask  # type: ignore[assignment]
    engine = Engine.open(":memory:", title_weight=TITLE_WEIGHT)
    rows: list[list[object]] = []
    try:
        engine.ingest(data.articles)
        for label, kinds in groups.items():
            with soft(kinds):
                found = {q.id: find_dates(q.text, today_of(q, dated)) for q in data.queries}
                affected = [q for q in data.queries if decided(engine, found[q.id]) == "prefer"]
                cells: list[object] = [name, label, len(affected)]
                if not affected:
                    rows.append(cells + ["–"] * (len(weights) + 2))
                    continue
                for weight in (0.0, *weights):
                    engine.date_preference = weight
                    cells.append(measured(data, affected, run(engine, data, affected, how)))
                plain = [replace(q, text=found[q.id].rest) for q in affected]
                cells.append(measured(data, affected, run(engine, data, plain, how)))
                rows.append(cells)
    finally:
        engine.close()
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    """Print the two tables."""
    parser = argparse.ArgumentParser(prog="python -m bench.date_intent", description=__doc__)
    sets = "rtqa_evidence_dev,rtqa_news_2024"
    parser.add_argument("--sets", default=sets, help="sets to measure answers on")
    parser.add_argument("--weights", default=str(PREFER_WEIGHT), help="preference weights")
    parser.add_argument("--half", choices=["even", "odd"], help="only that half of the questions")
    parser.add_argument("--yearless", action="store_true", help='also prefer "in March"')
    args = parser.parse_args(argv)
    weights = [float(w) for w in args.weights.split(",") if w]
    started = time.perf_counter()
    print("## Date ranges: filter or preference\n")
    print(machine_report() + "\n")
    engine = Engine.open(":memory:")
    rows, kinds = count_rows(engine, SETS)
    engine.close()
    print(f"A relative range is preferred when the question keeps {PREFER_TERMS}+ search terms.\n")
    print(markdown_table(("set", "questions", "with a range", "filter", "prefer"), rows))
    print("\nDate expressions by kind, all sets:\n")
    table = [[kind, kinds[kind], KINDS[kind]] for kind in KINDS]
    print(markdown_table(("kind", "expressions", "what it is"), table))
    groups = {"relative": date_intent.SOFT_KINDS}
    if args.yearless:
        groups["relative + yearless"] = date_intent.SOFT_KINDS | {"yearless"}
    body: list[list[object]] = []
    for name in (n for n in args.sets.split(",") if n):
        body += effect_rows(name, args.half, weights, groups)
        print(f"{name}: done after {time.perf_counter() - started:.0f} s", file=sys.stderr)
    half = f", {args.half} half" if args.half else ""
    print(f"\nOn the questions a preference changes{half} (R@1 or AnsHit@1 excerpt, ±95%):\n")
    headers = ("set", "kinds preferred", "questions", "filter",
               *(f"prefer {w:g}" for w in weights), "no date")  # fmt: skip
    print(markdown_table(headers, body))
    print(f"\nWall time {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
