"""Date expressions in questions: the range each gives, and how often dev questions trip them.

Three tables, one run:

1. Every kind of expression ``retrieval.query_dates`` reads, with the range it gives on a
   fixed "today", the reply header's words, and whether the range filters or is only
   preferred (``retrieval.date_intent``) in a question with enough other words.
2. Over every dev question (all sets' ``queries.jsonl``): how many get a range, and by
   which expression; ``--show`` lists each such question, to judge false positives (a date
   word that is part of a name) by eye. On ``rtqa_evidence_dev``, whose notes are dated with
   their question's quiz date, a range read as of that date that leaves out every relevant
   note is counted as *harmful*: mostly a weekday or a past year that names when the event
   happened, while the note is dated days or years later.
3. ``dateparser.search.search_dates`` on the same questions, when it is installed (it is not
   a dependency): how many questions it finds a "date" in, and its time beside ours.

    python -m bench.query_dates [--show]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.machine import machine_report, markdown_table, need_eval
from retrieval.date_intent import PREFER_TERMS, prefers
from retrieval.eval_sets import read_corpus, read_qrels
from retrieval.query_dates import describe, find_dates

TODAY = datetime(2024, 6, 15, 12, tzinfo=UTC)  # a Saturday
EXAMPLES = (
    "floods today", "floods yesterday", "floods this week", "floods last week",
    "floods this month", "floods last month", "floods this year", "floods in March",
    "floods in March 2023", "floods on 7 April", "floods on April 7, 2023", "floods in 2022",
    "floods since 1 May", "floods since May", "floods after 1 May", "floods before June",
    "floods until 7 June", "floods between 1 May and 7 June", "floods in the past 3 days",
    "floods on Tuesday", "floods last Tuesday", "debt relief since:2024-05-01",
    "debt relief until:2024-06-01", "March of the Penguins", "What did Theresa May say?",
    "USA Today poll", "Super Tuesday results", "the January 6 insurrection",
    "Xbox 2 may be unveiled", "according to The Mail on Sunday",
)  # fmt: skip
SETS = ("rtqa_news_2024", "rtqa_evidence_dev", "bbc_title", "bbc_lead")


ENOUGH = [f"w{n}" for n in range(PREFER_TERMS)]  # stands for enough other search words


def expression_rows() -> list[list[str]]:
    """Each example question, the words left to search, the range, the header's words, and
    the range's kind and use when the question has enough other words to search."""
    rows = []
    for question in EXAMPLES:
        found = find_dates(question, TODAY)
        kinds = ", ".join(found.kinds) or "–"
        if found.range is None:
            said = "no range: recent first (the prior)" if found.phrases else "no range"
            rows.append([question, found.rest, "–", said, kinds])
            continue
        since, until = found.range.since, found.range.until
        bounds = f"[{since.date() if since else '…'}, {until.date() if until else '…'})"
        use = "prefer" if prefers(found, ENOUGH) else "filter"
        rows.append([question, found.rest, bounds, describe(found.range), f"{kinds}: {use}"])
    return rows


def harmful(set_name: str, queries: list[dict[str, Any]]) -> tuple[int, int]:
    """On rtqa_evidence_dev: ranges (as of the quiz date) that leave out every relevant note."""
    folder = need_eval() / set_name
    dates = {a.id: a.date for a in read_corpus(folder / "corpus.jsonl.gz")}
    qrels = read_qrels(folder / "qrels.tsv")
    ranged = bad = 0
    for query in queries:
        if not query.get("date"):
            continue
        day = datetime.fromisoformat(query["date"]).replace(tzinfo=UTC)
        found = find_dates(query["text"], day + timedelta(days=1, seconds=-1))
        if found.range is None:
            continue
        ranged += 1
        since, until = found.range.since, found.range.until
        kept = [
            d
            for d in (dates.get(doc) for doc in qrels.get(query["id"], ()))
            if d is not None
            and (since is None or d.replace(tzinfo=UTC) >= since)
            and (until is None or d.replace(tzinfo=UTC) < until)
        ]
        bad += not kept
    return ranged, bad


def dateparser_rows(questions: Sequence[str]) -> list[list[str]] | None:
    """``search_dates`` over the questions beside ours: questions with a date, and time."""
    try:
        from dateparser.search import search_dates
    except ImportError:
        return None
    settings = {"RELATIVE_BASE": TODAY.replace(tzinfo=None), "PREFER_DATES_FROM": "past"}
    started = time.perf_counter()
    found = 0
    for question in questions:
        found += bool(search_dates(question, languages=["en"], settings=settings))
    theirs = time.perf_counter() - started
    started = time.perf_counter()
    ours = sum(find_dates(question, TODAY).range is not None for question in questions)
    mine = time.perf_counter() - started
    n = len(questions)
    return [
        ["dateparser search_dates", f"{found:,}", f"{1e3 * theirs / n:.3f}"],
        ["retrieval.query_dates", f"{ours:,}", f"{1e3 * mine / n:.3f}"],
    ]


def main(argv: Sequence[str] | None = None) -> None:
    """Print the three tables."""
    parser = argparse.ArgumentParser(prog="python -m bench.query_dates", description=__doc__)
    parser.add_argument("--show", action="store_true", help="list every question with a range")
    args = parser.parse_args(argv)
    print("## Date expressions in questions\n")
    print(machine_report() + "\n")
    print(f"Read as of {TODAY:%A %d %B %Y %H:%M} UTC; ranges are [since, until). The last")
    print(f"column: the expression's kind, and the range's use with {PREFER_TERMS}+ other words.\n")
    headers = ("question", "searched words", "range", "header", "kind: filter or prefer")
    print(markdown_table(headers, expression_rows()))
    rows, questions = [], []
    kinds: Counter[str] = Counter()
    for name in SETS:
        path = need_eval() / name / "queries.jsonl"
        queries = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        ranged = 0
        for query in queries:
            questions.append(query["text"])
            found = find_dates(query["text"], TODAY)
            if found.range is None:
                continue
            ranged += 1
            kinds.update(re.sub(r"\d", "9", p.lower().rstrip(".")) for p in found.phrases)
            if args.show:
                print(f"{name}\t{found.phrases}\t{query['text'][:160]}")
        harm = harmful(name, queries) if name == "rtqa_evidence_dev" else None
        mark = "–" if harm is None else f"{harm[1]} of {harm[0]}"
        rows.append([name, f"{len(queries):,}", f"{ranged:,}", mark])
    print(f"\nOver all {len(questions):,} dev questions:\n")
    headers = ("set", "questions", "with a range", "harmful (as of quiz date)")
    print(markdown_table(headers, rows))
    print("\nMost common expressions (digits as 9):\n")
    print(markdown_table(("expression", "questions"), [[k, n] for k, n in kinds.most_common(25)]))
    compared = dateparser_rows(questions)
    if compared is None:
        print("\ndateparser is not installed: no comparison.")
    else:
        print(f"\nOn the same {len(questions):,} questions:\n")
        print(markdown_table(("parser", "questions with a date", "ms per question"), compared))


if __name__ == "__main__":
    main()
