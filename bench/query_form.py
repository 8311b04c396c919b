"""How each eval set's queries read (questions or statements) and what reading them costs.

    python -m bench.query_form [--sets bbc_lead,rtqa_news_2024] [--repeat 20] [--show 5]

Every query of each set, as the engine sees it (markup dropped, ``plain_query``), goes through
``retrieval.query_form.query_form``: the table counts statements and questions per set, and
the classifier's time per query (each query read ``--repeat`` times in a row, the mean of
those its time, the least of three such runs; p50 and p99 over the set's queries, in
microseconds). The engine reads the
form only when ``statement_support`` differs from ``article_support`` (by default it does).
Two synthetic rows bound the cost of a paste: 2,000 and 200,000 characters of prose. ``--show``
prints that many of the minority form of each set: the statements among quiz questions, the
questions among headlines and leads.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import numpy as np

from bench.machine import machine_report, markdown_table, need_eval

SETS = ("rtqa_news_2024", "rtqa_evidence_dev", "bbc_title", "bbc_lead")
QUESTION_SETS = ("rtqa_news_2024", "rtqa_evidence_dev")
BLOCKS = 3
PROSE = "The council met on Monday to discuss the budget for next year, officials said. "


def timed(texts: Sequence[str], repeat: int) -> np.ndarray:
    """Microseconds per ``query_form`` call for each text: the mean of ``repeat`` calls in a
    row, the least of ``BLOCKS`` such runs (one preemption by another process would otherwise
    add ~200 µs to 1% of the queries on a shared machine)."""
    from retrieval.query_form import query_form

    out = np.full(len(texts), np.inf)
    for _ in range(BLOCKS):
        for i, text in enumerate(texts):
            started = time.perf_counter_ns()
            for _ in range(repeat):
                query_form(text)
            out[i] = min(out[i], (time.perf_counter_ns() - started) / repeat / 1e3)
    return out


def row(name: str, texts: Sequence[str], repeat: int) -> tuple[list[object], list[str]]:
    """One table row, and the texts of the set's minority form (for ``--show``)."""
    from retrieval.query_form import is_statement

    statements = [text for text in texts if is_statement(text)]
    questions = [text for text in texts if not is_statement(text)]
    micros = timed(texts, repeat)
    cells: list[object] = [
        name, len(texts), len(statements), len(questions),
        f"{np.percentile(micros, 50):.1f}", f"{np.percentile(micros, 99):.1f}",
    ]  # fmt: skip
    return cells, statements if name in QUESTION_SETS else questions


def main(argv: Sequence[str] | None = None) -> None:
    """Print the machine, then one row per set and the two paste rows."""
    from retrieval.eval_sets import read_queries
    from retrieval.queries import plain_query

    parser = argparse.ArgumentParser(prog="python -m bench.query_form", description=__doc__)
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated eval sets")
    parser.add_argument("--repeat", type=int, default=20, help="calls per query timed")
    parser.add_argument("--show", type=int, default=0, help="print N of each set's minority")
    args = parser.parse_args(argv)
    print("## Query forms: questions and statements (retrieval.query_form)\n")
    print(machine_report() + "\n")
    table, shown = [], []
    for name in (n for n in args.sets.split(",") if n):
        texts = [plain_query(q.text) for q in read_queries(need_eval() / name / "queries.jsonl")]
        cells, minority = row(name, texts, args.repeat)
        table.append(cells)
        shown += [f"- {name}: {text[:160]!r}" for text in minority[: args.show]]
    for size in (2_000, 200_000):
        paste = (PROSE * (size // len(PROSE) + 1))[:size]
        cells, _ = row(f"a paste of {size:,} characters", [paste], args.repeat)
        table.append(cells)
    headers = ("set", "queries", "statements", "questions", "p50 µs", "p99 µs")
    print(markdown_table(headers, table))
    if shown:
        print("\nThe minority form of each set (statements among questions, or the reverse):\n")
        print("\n".join(shown))


if __name__ == "__main__":
    main()
