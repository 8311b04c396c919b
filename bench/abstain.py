"""How often the engine declines ("no stored briefing answers that"), on questions it can and
cannot answer, and what counting and declining cost per search at a million passages.

Pairs of question set and corpus, through ``Engine.search`` exactly as the bot runs it:

- answerable: rtqa_evidence_dev questions against their own notes (the calibration set),
  bbc_title headlines and bbc_lead first paragraphs (cut to the engine's 500 characters)
  against their BBC articles;
- unanswerable: the 2020-22 rtqa_evidence_dev and 2024 rtqa_news_2024 questions against the
  2004-05 BBC articles, and BBC headlines against the 2020-22 notes;
- rtqa_news_2024 questions against their own 2024 articles, split by whether an answer string
  is in the top-5 passages: declining where the answer is shown is the cost; likewise the
  answerable questions whose judged article the engine ranks first.

"Before" is today's engine, which never declines. The threshold sweep shows the trade-off;
the calibrated threshold is the one that declines 5% of the calibration set. Rates carry
Wilson 95% intervals. The cost section times the ranking step at 1M synthetic passages
(5 passages per article), today's (top-k, one per article) beside the new one (a deeper
top-k to count articles, plus the share of the best passage), on the same queries.

    python -m bench.abstain [--quick] [--min-share 0.17] [--cost-passages 1000000] [--cost-only]
"""

from __future__ import annotations

import argparse
import math
import re
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from bench.corpus import queries as speed_queries
from bench.corpus import read_jsonl, synthetic
from bench.machine import fmt, latency, machine_report, markdown_table, need_eval
from retrieval.evaluation import EvalSet, canonical_ids, read_set

CALIBRATION = "rtqa_evidence_dev @ own notes"
SWEEP = (0.0, 0.05, 0.1, 0.15, 0.17, 0.2, 0.25, 0.3, 0.4, 0.5)
QUOTES = re.compile("['\"‘’“”`]")


@dataclass(frozen=True, slots=True)
class Outcome:
    """One question's search: the best passage's share; an answer in the top 5; a right top hit."""

    share: float
    found: bool
    shown: bool
    first: bool = False


def wilson(hits: int, n: int) -> tuple[float, float]:
    """The Wilson 95% interval of a rate ``hits / n``."""
    if n == 0:
        return float("nan"), float("nan")
    z, p = 1.96, hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def rate(flags: Sequence[bool]) -> str:
    """``0.123 [0.110, 0.137] (n=2531)``."""
    hits, n = sum(flags), len(flags)
    low, high = wilson(hits, n)
    return f"{hits / n:.3f} [{low:.3f}, {high:.3f}] (n={n})" if n else "–"


def folded(text: str) -> str:
    """NFKC, case-folded, quote characters removed, whitespace collapsed (the AnsHit rules)."""
    text = QUOTES.sub("", unicodedata.normalize("NFKC", text).casefold())
    return re.sub(r"\s+", " ", text)


def answer_in(answers: Sequence[str], text: str) -> bool:
    """Whether an answer occurs in ``text``, word-bounded where it starts or ends with a word."""
    haystack = folded(text)
    for answer in answers:
        needle = folded(answer).strip()
        if not needle:
            continue
        left = r"(?<!\w)" if re.match(r"\w", needle[0]) else ""
        right = r"(?!\w)" if re.match(r"\w", needle[-1]) else ""
        if re.search(left + re.escape(needle) + right, haystack):
            return True
    return False


def load_set(name: str) -> EvalSet:
    """One eval set as ``retrieval.evaluation`` reads it."""
    return read_set(need_eval() / name)


def questions(name: str, limit: int) -> list[tuple[str, str, list[str]]]:
    """``(id, text, answers)`` of every question of a set, the answers for scoring only."""
    rows = []
    for record in read_jsonl(need_eval() / name / "queries.jsonl"):
        answers = record.get("answers")
        kept = [str(a) for a in answers] if isinstance(answers, list) else []
        rows.append((str(record["id"]), str(record["text"]), kept))
    return rows[:limit] if limit else rows


def news_articles() -> list[object]:
    """The rtqa_news_2024 articles (load_set skips this set: its qrels are empty)."""
    from retrieval.models import Article

    articles = []
    for r in read_jsonl(need_eval() / "rtqa_news_2024" / "corpus.jsonl.gz"):
        date = datetime.fromisoformat(str(r["date"])) if r.get("date") else None
        title = str(r.get("title") or "")
        articles.append(Article(title, str(r["text"]), date=date, id=str(r["id"])))
    return articles


def cut_query(text: str, limit: int = 500) -> str:
    """``text`` cut at a word to the engine's query limit (bbc_lead paragraphs run longer)."""
    text = text.strip()
    if len(text) <= limit:
        return text
    space = text.rfind(" ", 0, limit)
    return text[: space if space > 0 else limit]


def run(
    engine: object,
    asked: Sequence[tuple[str, str, list[str]]],
    relevant: dict[str, set[str]] | None = None,
) -> list[Outcome]:
    """Search every question with declining off; keep the share the rule would judge.

    ``relevant`` maps a question id to its judged articles (canonical ids), where known.
    """
    from retrieval.engine import Engine
    from retrieval.errors import QueryError

    assert isinstance(engine, Engine)
    out = []
    for query_id, text, answers in asked:
        try:
            result = engine.search(cut_query(text), k=10, limit=5, min_share=0.0)
        except QueryError:
            out.append(Outcome(0.0, False, False))
            continue
        shown = bool(answers) and any(answer_in(answers, h.passage.text) for h in result.hits)
        judged = (relevant or {}).get(query_id, set())
        first = bool(result.hits) and result.hits[0].article.id in judged
        out.append(Outcome(result.share, bool(result.hits), shown, first))
    return out


def relevant(data: EvalSet) -> dict[str, set[str]]:
    """Judged articles per question, as the ids the store kept (it drops exact duplicates)."""
    canon = canonical_ids(data.articles)
    return {q: {canon.get(doc, doc) for doc in docs} for q, docs in data.qrels.items()}


def quality(quick: bool) -> dict[str, list[Outcome]]:
    """Every (question set, corpus) pair's outcomes."""
    from retrieval.engine import Engine

    limit = 300 if quick else 0
    bbc, lead, notes = load_set("bbc_title"), load_set("bbc_lead"), load_set("rtqa_evidence_dev")
    engines = {}
    for name, articles in (
        ("bbc", bbc.articles),
        ("bbc_lead", lead.articles),
        ("notes", notes.articles),
        ("news", news_articles()),
    ):
        engine = Engine.open(":memory:")
        engine.ingest(articles)  # type: ignore[arg-type]
        engines[name] = engine
    asked = {
        "rtqa_evidence_dev": questions("rtqa_evidence_dev", limit),
        "rtqa_news_2024": questions("rtqa_news_2024", limit),
        "bbc_title": [(q.id, q.text, []) for q in bbc.queries][: limit or None],
        "bbc_lead": [(q.id, q.text, []) for q in lead.queries][: limit or None],
    }
    pairs = {
        CALIBRATION: ("rtqa_evidence_dev", "notes"),
        "bbc_title @ BBC": ("bbc_title", "bbc"),
        "bbc_lead @ BBC (headline kept)": ("bbc_lead", "bbc_lead"),
        "rtqa_evidence_dev @ BBC": ("rtqa_evidence_dev", "bbc"),
        "rtqa_news_2024 @ BBC": ("rtqa_news_2024", "bbc"),
        "bbc_title @ rtqa notes": ("bbc_title", "notes"),
        "rtqa_news_2024 @ own articles": ("rtqa_news_2024", "news"),
    }
    judged = {
        ("rtqa_evidence_dev", "notes"): relevant(notes),
        ("bbc_title", "bbc"): relevant(bbc),
        ("bbc_lead", "bbc_lead"): relevant(lead),
    }
    outcomes = {
        label: run(engines[corpus], asked[qs], judged.get((qs, corpus)))
        for label, (qs, corpus) in pairs.items()
    }
    for engine in engines.values():
        engine.close()
    return outcomes


KIND = {
    CALIBRATION: "answerable (calibration)",
    "bbc_title @ BBC": "answerable",
    "bbc_lead @ BBC (headline kept)": "answerable",
    "rtqa_evidence_dev @ BBC": "unanswerable",
    "rtqa_news_2024 @ BBC": "unanswerable",
    "bbc_title @ rtqa notes": "unanswerable",
}


def declined(outcomes: Sequence[Outcome], min_share: float) -> list[bool]:
    """The engine's rule: decline when nothing was found or the share is below the threshold."""
    return [not o.found or o.share < min_share for o in outcomes]


def report(outcomes: dict[str, list[Outcome]], min_share: float) -> None:
    """Print the rates at ``min_share``, the before column, the sweep and the calibration."""
    calibration = sorted(o.share for o in outcomes[CALIBRATION] if o.found)
    calibrated = float(np.quantile(calibration, 0.05)) if calibration else float("nan")
    print(f"Threshold in use: min_share = {min_share}. Calibrated on {CALIBRATION}: ")
    print(f"{calibrated:.3f} declines 5% of it (the 5% quantile of its shares).\n")
    rows = []
    news = outcomes.pop("rtqa_news_2024 @ own articles")
    for label, kind in KIND.items():
        before = [not o.found for o in outcomes[label]]
        rows.append([label, kind, rate(before), rate(declined(outcomes[label], min_share))])
    for label in (CALIBRATION, "bbc_title @ BBC"):
        part = [o for o in outcomes[label] if o.first]
        before = [not o.found for o in part]
        rows.append([f"{label}, judged article first", "answered", rate(before),
                     rate(declined(part, min_share))])  # fmt: skip
    for label, keep in (("answer in top 5", True), ("answer not in top 5", False)):
        part = [o for o in news if o.shown is keep]
        before = [not o.found for o in part]
        rows.append([f"rtqa_news_2024 @ own, {label}", "partly answerable", rate(before),
                     rate(declined(part, min_share))])  # fmt: skip
    print(markdown_table(("questions @ corpus", "kind", "declined before", "declined now"), rows))
    print(
        "\nDeclined share by threshold (before = never declines; 0 declines only empty results):\n"
    )
    sweep = []
    for label in KIND:
        sweep.append([label, *(f"{np.mean(declined(outcomes[label], t)):.3f}" for t in SWEEP)])
    for label in (CALIBRATION, "bbc_title @ BBC"):
        part = [o for o in outcomes[label] if o.first]
        sweep.append([f"{label.split(' @')[0]}, judged first",
                      *(f"{np.mean(declined(part, t)):.3f}" for t in SWEEP)])  # fmt: skip
    shown = [o for o in news if o.shown]
    sweep.append(
        ["news @ own, answer shown", *(f"{np.mean(declined(shown, t)):.3f}" for t in SWEEP)]
    )
    print(markdown_table(("questions @ corpus", *(f"{t:g}" for t in SWEEP)), sweep))
    outcomes["rtqa_news_2024 @ own articles"] = news


def cost(passages: int, n_queries: int, per_article: int = 5) -> None:
    """Time the ranking step before and after, on the same index and queries."""
    from retrieval.answerable import match_share
    from retrieval.bm25 import Index
    from retrieval.engine import COUNT_DEPTH
    from retrieval.ranking import diversify

    corpus = synthetic(passages)
    started = time.perf_counter()
    index = Index.build(corpus.token_lists())
    built = time.perf_counter() - started
    owners = (np.arange(index.n_docs) // per_article).astype(np.int32)
    asked = speed_queries(n_queries)

    def before(terms: list[str]) -> object:
        return diversify(index, owners, terms, 12)

    def after(terms: list[str]) -> object:
        ranking = diversify(index, owners, terms, 12, COUNT_DEPTH)
        if ranking.passages:
            match_share(index, terms, ranking.passages[0][0])
        return ranking

    for terms in asked[:20]:  # warm caches and the compiled kernel for both
        before(terms)
        after(terms)
    wall: dict[str, list[float]] = {"before": [], "after": []}
    cpu: dict[str, list[float]] = {"before": [], "after": []}
    steps = [("before", before), ("after", after)]
    for n, terms in enumerate(asked):  # interleaved, each first in turn: load hits both alike
        for name, step in steps if n % 2 else steps[::-1]:
            tick, tock = time.perf_counter(), time.thread_time()
            step(terms)
            cpu[name].append(time.thread_time() - tock)
            wall[name].append(time.perf_counter() - tick)
    rows = []
    for name, label in (("before", "top-12, one per article (today)"),
                        ("after", f"+ count to {COUNT_DEPTH} passages + share")):  # fmt: skip
        stats, own = latency(wall[name]), latency(cpu[name])
        rows.append([label, f"{index.n_docs:,}", stats.n, fmt(stats.p50_ms), fmt(stats.p99_ms),
                     fmt(own.p50_ms), fmt(own.mean_ms)])  # fmt: skip
    print(f"\nRanking cost at {index.n_docs:,} passages ({per_article} per article; index built")
    print(f"in {built:.0f} s), single thread, same queries. CPU time is the thread's own, which")
    print("waiting for a core on a shared machine does not inflate:\n")
    headers = ("step", "passages", "queries", "p50 ms", "p99 ms", "CPU p50 ms", "CPU mean ms")
    print(markdown_table(headers, rows))


def main(argv: Sequence[str] | None = None) -> None:
    """Parse flags, measure declining on every pair, then its cost."""
    from retrieval.answerable import MIN_SHARE

    parser = argparse.ArgumentParser(prog="python -m bench.abstain", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="300 questions per set, 20k passages")
    parser.add_argument("--min-share", type=float, default=MIN_SHARE, help="threshold to report")
    parser.add_argument("--cost-passages", type=int, default=1_000_000, help="0 skips the cost")
    parser.add_argument("--cost-queries", type=int, default=1000)
    parser.add_argument("--cost-only", action="store_true", help="skip the eval sets")
    args = parser.parse_args(argv)
    print("## Declining to answer (rates with Wilson 95% intervals)\n")
    print(machine_report() + "\n")
    if not args.cost_only:
        report(quality(args.quick), args.min_share)
    passages = min(args.cost_passages, 20_000) if args.quick else args.cost_passages
    if passages:
        cost(passages, 200 if args.quick else args.cost_queries)


if __name__ == "__main__":
    main()
