"""Retrieval quality of the engine on the eval sets, for each scorer, beside the README's figures.

Each set is ingested through ``Engine.ingest`` exactly as the bot would, then
every query runs through ``Engine.search(query, k=10)``. Hits are already one
per article first (the engine diversifies); ranks are still collapsed to the
first occurrence of each article so the metrics are article-level. The store
drops exact duplicates (BBC has 137 duplicate groups), so a judgement on a
dropped copy is credited to the copy that was kept: same text, same answer.

    python -m bench.quality [--sets bbc_title,bbc_lead,rtqa_evidence_dev] [--quick]
"""

from __future__ import annotations

import argparse
import math
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from bench.corpus import read_jsonl
from bench.machine import machine_report, markdown_table, need_eval

SETS = ("bbc_title", "bbc_lead", "rtqa_evidence_dev")
SCORERS = ("lucene", "okapi")
METRICS = ("R@1", "R@5", "MRR@10", "nDCG@10", "AnsHit@1", "AnsHit@1 excerpt")
REFERENCE = {  # README figures: rank_bm25.BM25Okapi, passages with the title prepended.
    "bbc_title": (0.671, 0.886, 0.766, 0.811),
    "bbc_lead": (0.621, 0.882, 0.735, 0.787),
}


@dataclass(frozen=True, slots=True)
class EvalSet:
    """One eval set: its articles, queries, judgements and (rtqa only) answer strings."""

    name: str
    articles: tuple[object, ...]
    queries: tuple[tuple[str, str], ...]
    qrels: dict[str, set[str]]
    answers: dict[str, list[str]]


def load_set(name: str, *, title_in_text: bool = False, limit: int = 0) -> EvalSet:
    """Read one eval set as ``Article`` records; URLs shared by several notes are dropped.

    rtqa notes from one quiz share its URL, and the store dedups by URL, so a
    URL is kept only when it identifies one article.
    """
    from retrieval.models import Article

    folder = need_eval() / name
    records = list(read_jsonl(folder / "corpus.jsonl.gz"))
    url_count = Counter(str(r.get("url") or "") for r in records)
    articles = []
    for r in records:
        url = str(r.get("url") or "")
        date = datetime.fromisoformat(str(r["date"])) if r.get("date") else None
        title, text = str(r.get("title") or ""), str(r["text"])
        if title_in_text and title:
            text = f"{title}\n\n{text}"
        kept_url = url if url and url_count[url] == 1 else None
        articles.append(Article(title, text, date=date, url=kept_url, id=str(r["id"])))
    qrels: dict[str, set[str]] = {}
    for line in (folder / "qrels.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        query_id, doc_id, score = line.split("\t")
        if float(score) > 0:
            qrels.setdefault(query_id, set()).add(doc_id)
    queries, answers = [], {}
    for q in read_jsonl(folder / "queries.jsonl"):
        if str(q["id"]) in qrels:
            queries.append((str(q["id"]), str(q["text"])))
            if isinstance(q.get("answers"), list):
                answers[str(q["id"])] = [str(a) for a in q["answers"]]
    if limit:
        queries = queries[:limit]
    return EvalSet(name, tuple(articles), tuple(queries), qrels, answers)


def canonical_ids(articles: Sequence[object]) -> dict[str, str]:
    """Map every article id to the id of the first article with the same dedup key."""
    from retrieval.store import dedup_key

    first: dict[str, str] = {}
    mapping = {}
    for article in articles:
        key = dedup_key(article)  # type: ignore[arg-type]
        mapping[article.id] = first.setdefault(key, article.id)  # type: ignore[attr-defined]
    return mapping


def answer_hit(answers: Sequence[str], text: str) -> float:
    """Return 1.0 if any answer occurs word-bounded and case-insensitively in ``text``."""
    for answer in answers:
        if re.search(rf"(?<!\w){re.escape(answer.strip())}(?!\w)", text, re.IGNORECASE):
            return 1.0
    return 0.0


def ranking_metrics(ranked: Sequence[str], relevant: set[str]) -> list[float]:
    """Return Recall@1, Recall@5, MRR@10 and binary nDCG@10 of an article-level ranking."""
    gains = [1.0 if doc in relevant else 0.0 for doc in ranked[:10]]
    first = next((i for i, g in enumerate(gains) if g), None)
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), 10)))
    return [
        sum(gains[:1]) / len(relevant),
        sum(gains[:5]) / len(relevant),
        0.0 if first is None else 1 / (first + 1),
        dcg / ideal,
    ]


def evaluate(data: EvalSet, scorer: str) -> dict[str, object]:
    """Ingest ``data`` into a fresh in-memory engine and score every query."""
    from retrieval.engine import Engine
    from retrieval.errors import QueryError

    engine = Engine.open(":memory:", scorer=scorer)
    started = time.perf_counter()
    summary = engine.ingest(data.articles)  # type: ignore[arg-type]
    ingest_s = time.perf_counter() - started
    canon = canonical_ids(data.articles)
    rows: list[list[float]] = []
    refused, seconds = 0, []
    for query_id, text in data.queries:
        relevant = {canon.get(doc, doc) for doc in data.qrels[query_id]}
        tick = time.perf_counter()
        try:
            hits = engine.search(text, k=10).hits
        except QueryError:
            refused += 1
            hits = ()
        seconds.append(time.perf_counter() - tick)
        ranked = list(dict.fromkeys(hit.article.id for hit in hits))
        row = ranking_metrics(ranked, relevant)
        if query_id in data.answers:
            top = hits[0] if hits else None
            row.append(answer_hit(data.answers[query_id], top.passage.text) if top else 0.0)
            row.append(answer_hit(data.answers[query_id], top.excerpt) if top else 0.0)
        rows.append(row)
    engine.close()
    values = np.array(rows, dtype=np.float64)
    n = values.shape[0]
    means = values.mean(axis=0)
    half = 1.96 * values.std(axis=0, ddof=1) / math.sqrt(n) if n > 1 else np.zeros_like(means)
    return {
        "set": data.name,
        "scorer": scorer,
        "n": n,
        "refused": refused,
        "cells": [f"{m:.3f} ± {h:.3f}" for m, h in zip(means, half, strict=True)],
        "passages": summary.passages,
        "duplicates": summary.duplicates,
        "ingest_s": ingest_s,
        "search_ms": 1e3 * float(np.mean(seconds)) if seconds else float("nan"),
    }


def sanity_rows() -> list[list[str]]:
    """On 1-, 2- and 3-passage corpora, is a passage holding the query term returned?"""
    from retrieval.engine import Engine
    from retrieval.models import Article

    texts = [
        "Ukraine asks its allies for more air defence systems before winter.",
        "Farmers in France block roads to protest against fuel taxes.",
        "The central bank held interest rates steady for a third month.",
    ]
    rows = []
    for n in (1, 2, 3):
        for where in ("every passage", "one passage")[: 1 if n == 1 else 2]:
            corpus = [
                t if i == 0 or where == "one passage" else f"Ukraine: {t}"
                for i, t in enumerate(texts[:n])
            ]
            cells = [f"{n}", where]
            for scorer in SCORERS:
                engine = Engine.open(":memory:", scorer=scorer)
                engine.ingest(Article(f"t{i}", t, id=f"a{i}") for i, t in enumerate(corpus))
                hits = engine.search("Ukraine", k=10).hits
                engine.close()
                holding = sum("ukraine" in t.lower() for t in corpus)
                cells.append(f"{'yes' if hits else 'NO'} ({len(hits)}/{holding})")
            rows.append(cells)
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    """Parse flags, evaluate every set with every scorer and print the Markdown report."""
    parser = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__)
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated eval sets")
    parser.add_argument("--scorers", default=",".join(SCORERS), help="comma-separated scorers")
    parser.add_argument("--quick", action="store_true", help="smoke run: 200 queries per set")
    parser.add_argument(
        "--title-in-text", action="store_true", help="prepend each title to its text (experiment)"
    )
    args = parser.parse_args(argv)
    print("## Retrieval quality (article level, k=10, 95% intervals)\n")
    print(machine_report() + "\n")
    results = []
    for name in args.sets.split(","):
        data = load_set(name, title_in_text=args.title_in_text, limit=200 if args.quick else 0)
        for scorer in args.scorers.split(","):
            results.append(evaluate(data, scorer))
    headers = ("set", "scorer", "queries", *METRICS)
    body = [[r["set"], r["scorer"], r["n"], *r["cells"]] for r in results]  # type: ignore[list-item]
    for name, figures in REFERENCE.items():
        if name in args.sets.split(","):
            body.append([name, "README reference", "", *(f"{f:.3f}" for f in figures)])
    print(markdown_table(headers, [row + [""] * (len(headers) - len(row)) for row in body]))
    print()
    detail = [
        [
            r["set"],
            r["scorer"],
            r["passages"],
            r["duplicates"],
            r["refused"],
            f"{r['ingest_s']:.1f}",
            f"{r['search_ms']:.2f}",
        ]
        for r in results
    ]
    print(
        markdown_table(
            ("set", "scorer", "passages", "dup dropped", "refused q", "ingest s", "search ms"),
            detail,
        )
    )
    titles = (
        "titles prepended to text" if args.title_in_text else "titles passed only as Article.title"
    )
    print(f"\nCorpus variant: {titles}. Refused queries count as misses.\n")
    print("Sanity: does a passage holding the query term come back? (hits/passages holding it)\n")
    print(markdown_table(("passages", "term in", *SCORERS), sanity_rows()))


if __name__ == "__main__":
    main()
