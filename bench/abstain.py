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

Five rules side by side on the same searches: "never" (the engine before declining existed),
"share rule" (three rounds ago: the best passage holds under 0.17 of the question's idf²
weight), "two rounds ago" (the share a question needs grows with its unknown words and shrinks
with the spread of the top 10 scores), "last round" (also grows with how scattered the
question's words are over the best passage's sentences) and "now" (``retrieval.answerable``:
the same form, the spread measured over the top ``SPREAD_DEPTH`` scores; the earlier rules
are judged with the spread over the top 10, as they were). A question whose date range
matches nothing that answers is asked again without it, as the bot offers. The rule's constants
were fitted on the even-numbered questions of the calibration pairs (rtqa_evidence_dev against
its notes and against the BBC articles, bbc_title against the BBC articles), so those pairs are
also shown by half: the odd half is held out, like every other pair. The ``min_share`` sweep
and the trade-off table (declines on held-out unanswerable questions at 2%, 5%, 10% of held-out
answerable ones declined) show what each rule buys. Rates carry Wilson 95% intervals. The cost
section times the ranking step at 1M synthetic passages (5 passages per article), the top-k
alone (one per article) beside the engine's (a deeper top-k to count articles, plus the
evidence, the passage's text read where its scatter could tip the decision) with the spread
over the top 10 (last round) and over the top ``SPREAD_DEPTH`` (now), and the worst case
(scatter read on every search).

    python -m bench.abstain [--quick] [--min-share 0.17] [--cost-passages 1000000] [--cost-only]
                            [--title-weight 0] [--fit]

``--fit`` prints the constants of ``retrieval.answerable`` fitted again on the even questions
(for after a change to ranking); nothing else is measured then.
"""

from __future__ import annotations

import argparse
import math
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np

from bench.corpus import queries as speed_queries
from bench.corpus import read_jsonl, synthetic
from bench.machine import fmt, latency, machine_report, markdown_table, need_eval
from retrieval.answerable import MIN_SHARE, SPREAD_DEPTH, Evidence, declines, evidence
from retrieval.engine import COUNT_DEPTH, Engine
from retrieval.eval_metrics import canonical_ids
from retrieval.eval_sets import EvalSet, read_set
from retrieval.models import SearchResult
from retrieval.ranking import diversify
from retrieval.search_dates import any_date
from retrieval.search_evidence import passage_evidence, stored_scatter

CALIBRATION = "rtqa_evidence_dev @ own notes"
FITTED = (CALIBRATION, "bbc_title @ BBC", "rtqa_evidence_dev @ BBC")
OLD_SHARE = 0.17
SWEEP = (0.0, 0.05, 0.1, 0.15, 0.17, 0.2, 0.25, 0.3, 0.4)
QUOTES = re.compile("['\"‘’“”`]")


@dataclass(frozen=True, slots=True)
class Outcome:
    """One question's search: the best passage's share; an answer in the top 5; a right top hit."""

    share: float
    found: bool
    shown: bool
    first: bool = False
    evidence: object = None  # retrieval.answerable.Evidence of the best passage, if found
    spread10: float = 0.0  # the spread of the top 10 scores, as the earlier rules read it


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
    """One eval set as ``retrieval.eval_sets`` reads it."""
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
    """Search every question as the bot does; keep the evidence every rule judges.

    A question whose date range ("this week") matches nothing, or nothing that answers, is
    asked again without it, as the bot offers and ``retrieval.evaluation.ask`` does: these
    questions' "this week" is their quiz's, not today's. The evidence is worked out again from
    the engine's own ranking, its ``scatter`` always read (the engine reads it only where it
    could tip the decision), and checked against what the engine decided at the default
    setting. ``relevant`` maps a question id to its judged articles (canonical ids), where
    known.
    """
    from retrieval.errors import QueryError

    assert isinstance(engine, Engine)
    out = []
    for query_id, text, answers in asked:
        try:
            result = engine.search(cut_query(text), k=10, limit=5)
            if result.date_range is not None and (not result.hits or result.abstained):
                result = engine.search(result.undated, k=10, limit=5)
        except QueryError:
            out.append(Outcome(0.0, False, False))
            continue
        found, spread10 = weigh(engine, result) if result.hits else (None, 0.0)
        if found is not None and declines(found) != result.abstained:
            raise SystemExit(f"bench: the engine and the rule disagree on {text!r}")
        shown = bool(answers) and any(answer_in(answers, h.passage.text) for h in result.hits)
        judged = (relevant or {}).get(query_id, set())
        first = bool(result.hits) and result.hits[0].article.id in judged
        out.append(Outcome(result.share, bool(result.hits), shown, first, found, spread10))
    return out


def weigh(engine: Engine, result: SearchResult) -> tuple[Evidence, float]:
    """The engine's evidence for the best passage of ``result``, ``scatter`` always read, and
    the spread of the top 10 scores (what the earlier rules read).

    The top scores are ranked again as ``Engine.search`` ranks them (its date window, widened
    to any date where the engine widened it, and title field), for the one best passage the
    engine cited first.
    """
    snapshot, terms = engine._snapshot, list(result.terms)
    read = engine._reading(snapshot, result.query, result.as_of, False)
    dates = read.dated.window
    if result.widened:  # its range matched nothing: the engine searched any date
        dates = any_date(snapshot, read.today, engine.recency)
    bonus = snapshot.title_bonus(terms, engine.title_weight)
    ranking = diversify(snapshot.ranked(), snapshot.owners, terms, 10, COUNT_DEPTH, dates, bonus)
    first = result.hits[0]
    best = (first.ranked or first.passage).id
    found = passage_evidence(snapshot, terms, best, ranking.top, engine._prior)
    spread10 = evidence(snapshot.index, terms, best, ranking.top[:10]).spread
    prior = engine._prior
    read = stored_scatter(engine._store, engine._analyzer, snapshot, terms, best, prior)
    return replace(found, scatter=read), spread10


def relevant(data: EvalSet) -> dict[str, set[str]]:
    """Judged articles per question, as the ids the store kept (it drops exact duplicates)."""
    canon = canonical_ids(data.articles)
    return {q: {canon.get(doc, doc) for doc in docs} for q, docs in data.qrels.items()}


def quality(
    quick: bool, title_weight: float = 0.0, runner: Callable[..., list[Any]] | None = None
) -> dict[str, list[Any]]:
    """Every (question set, corpus) pair's outcomes, with the title field at ``title_weight``;
    ``runner`` (default ``run``) searches one pair's questions and says what to keep."""
    limit = 300 if quick else 0
    bbc, lead, notes = load_set("bbc_title"), load_set("bbc_lead"), load_set("rtqa_evidence_dev")
    engines = {}
    for name, articles in (
        ("bbc", bbc.articles),
        ("bbc_lead", lead.articles),
        ("notes", notes.articles),
        ("news", news_articles()),
    ):
        engine = Engine.open(":memory:", title_weight=title_weight)
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
        label: (runner or run)(engines[corpus], asked[qs], judged.get((qs, corpus)))
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
    """The engine's rule at ``min_share``: nothing found, or less share than the question needs."""
    flags = []
    for o in outcomes:
        assert o.evidence is None or isinstance(o.evidence, Evidence)
        flags.append(o.evidence is None or declines(o.evidence, min_share))
    return flags


def share_rule(outcomes: Sequence[Outcome], threshold: float = OLD_SHARE) -> list[bool]:
    """Last round's rule: nothing found, or the best passage's share under ``threshold``."""
    return [not o.found or o.share < threshold for o in outcomes]


TWO_ROUNDS_AGO = (0.18, 1.332, 2.265, 0.0)
"""The rule two rounds ago (BASE, UNKNOWN, SPREAD, SCATTER): no scatter, spread over the top
10 scores, fitted as today's was."""
LAST_ROUND = (0.05, 1.03, 1.461, 0.961)
"""Last round's rule: today's form, the spread over the top 10 scores."""


def earlier(
    outcomes: Sequence[Outcome], min_share: float, rule: tuple[float, float, float, float]
) -> list[bool]:
    """An earlier round's ``rule`` at ``min_share``: today's form, the spread over the top 10;
    nothing found is always declined."""
    from retrieval.answerable import FLOOR

    base, unknown, spread, scattered = rule
    flags = []
    for o in outcomes:
        e = o.evidence
        if not isinstance(e, Evidence):
            flags.append(True)
            continue
        needed = min_share + base + unknown * e.unknown - spread * o.spread10
        needed = max(FLOOR, needed + scattered * e.scatter)
        flags.append(min_share > 0 and e.share < needed)
    return flags


def halves(label: str, outcomes: Sequence[Outcome]) -> list[tuple[str, Sequence[Outcome]]]:
    """A calibration pair's even (fitted) and odd (held-out) questions; any other pair whole."""
    if label not in FITTED:
        return [(label, outcomes)]
    return [
        (f"{label}, even (fitted)", outcomes[0::2]),
        (f"{label}, odd (held out)", outcomes[1::2]),
    ]


def report(outcomes: dict[str, list[Outcome]], min_share: float) -> None:
    """Print the five rules side by side, by half where the rule was fitted, and the sweep."""
    print(f"Setting in use: min_share = {min_share} (the calibrated default is {MIN_SHARE}).\n")
    rows = []
    news = outcomes.pop("rtqa_news_2024 @ own articles")

    def rules(part: Sequence[Outcome]) -> list[str]:
        return [rate([not o.found for o in part]), rate(share_rule(part)),
                rate(earlier(part, min_share, TWO_ROUNDS_AGO)),
                rate(earlier(part, min_share, LAST_ROUND)),
                rate(declined(part, min_share))]  # fmt: skip

    for label, kind in KIND.items():
        for name, part in halves(label, outcomes[label]):
            rows.append([name, kind, *rules(part)])
    for label in (CALIBRATION, "bbc_title @ BBC"):
        part = [o for o in outcomes[label] if o.first]
        rows.append([f"{label}, judged article first", "answered", *rules(part)])
    for label, keep in (("answer in top 5", True), ("answer not in top 5", False)):
        part = [o for o in news if o.shown is keep]
        rows.append([f"rtqa_news_2024 @ own, {label}", "partly answerable", *rules(part)])
    headers = (
        "questions @ corpus",
        "kind",
        "declined: never",
        f"share rule {OLD_SHARE}",
        "two rounds ago",
        "last round",
        f"now (spread over {SPREAD_DEPTH})",
    )
    print(markdown_table(headers, rows))
    print("\nDeclined share by min_share (0 declines only empty results):\n")
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


FEATURES = ("share", "unknown", "spread", "scatter")


def logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-3) -> np.ndarray:
    """Weights (the intercept last) of a logistic regression by Newton's method, lightly L2."""
    xb = np.hstack([x, np.ones((x.shape[0], 1))])
    w = np.zeros(xb.shape[1])
    ridge = l2 * np.eye(w.shape[0])
    ridge[-1, -1] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(xb @ w)))
        gradient = xb.T @ (p - y) + ridge @ w
        hessian = (xb * (p * (1.0 - p))[:, None]).T @ xb + ridge
        w -= np.linalg.solve(hessian, gradient)
    return w


def features(outcomes: Sequence[Outcome]) -> np.ndarray:
    """One row of ``FEATURES`` per question that found something."""
    rows = [o.evidence for o in outcomes if isinstance(o.evidence, Evidence)]
    return np.array([[getattr(e, name) for name in FEATURES] for e in rows], dtype=np.float64)


def fit(outcomes: dict[str, list[Outcome]]) -> dict[str, float]:
    """The rule's constants, fitted on the even questions of the calibration pairs.

    Logistic regression of "unanswerable" on ``FEATURES`` (answerable: rtqa_evidence_dev
    against its notes, bbc_title against BBC; unanswerable: rtqa_evidence_dev against BBC),
    turned into the needed-share form of ``answerable.needed_share`` by dividing by the share's
    weight; the intercept is then set so that ``FIT_DECLINES`` of the even answerable
    rtqa_evidence_dev questions are declined (a question that found nothing always is).
    """
    from retrieval.answerable import FIT_DECLINES

    answerable = [features(outcomes[label][0::2]) for label in FITTED[:2]]
    unanswerable = features(outcomes[FITTED[2]][0::2])
    x = np.vstack([*answerable, unanswerable])
    y = np.r_[np.zeros(sum(len(a) for a in answerable)), np.ones(len(unanswerable))]
    w = logistic(x, y)
    per_share = -w[0]
    constants = {"UNKNOWN": w[1] / per_share, "SPREAD": -w[2] / per_share,
                 "SCATTER": w[3] / per_share}  # fmt: skip
    even = outcomes[CALIBRATION][0::2]
    rest = features(even)
    margin = rest[:, 0] - (constants["UNKNOWN"] * rest[:, 1] - constants["SPREAD"] * rest[:, 2]
                           + constants["SCATTER"] * rest[:, 3])  # fmt: skip
    allowed = max(int(FIT_DECLINES * len(even)) - (len(even) - len(rest)), 0)
    needed = float(np.sort(margin)[allowed])  # declined: margin under it
    constants["BASE"] = needed - MIN_SHARE
    return {name: round(float(value), 3) for name, value in constants.items()}


def margins(
    outcomes: Sequence[Outcome], rule: tuple[float, float, float, float], top10: bool
) -> np.ndarray:
    """Each question's share minus what ``rule`` needs at min_share 0 before the floor, the
    spread over the top 10 scores where ``top10`` (the earlier rules), else today's; -inf
    where nothing was found or the share is under the floor (declined at any setting)."""
    from retrieval.answerable import FLOOR

    base, unknown, spread, scattered = rule
    out = []
    for o in outcomes:
        e = o.evidence
        if not isinstance(e, Evidence) or e.share < FLOOR:
            out.append(-np.inf)
            continue
        spreading = o.spread10 if top10 else e.spread
        needed = base + unknown * e.unknown - spread * spreading + scattered * e.scatter
        out.append(e.share - needed)
    return np.array(out)


def tradeoff(outcomes: dict[str, list[Outcome]]) -> None:
    """Declines on held-out unanswerable questions where held-out answerable ones are declined
    2%, 5% and 10% (the bar moved as ``min_share`` moves it), the earlier rules and today's."""
    from retrieval.answerable import BASE, SCATTER, SPREAD, UNKNOWN

    rows = []
    now = (BASE, UNKNOWN, SPREAD, SCATTER)
    rules = (("two rounds ago: share, unknown, spread of 10", TWO_ROUNDS_AGO, True),
             ("last round: + scatter", LAST_ROUND, True),
             (f"now: spread of {SPREAD_DEPTH}", now, False))  # fmt: skip
    for name, rule, top10 in rules:
        good = np.sort(margins(outcomes[CALIBRATION][1::2], rule, top10))
        bad = margins(outcomes[FITTED[2]][1::2], rule, top10)
        cells = []
        for target in (0.02, 0.05, 0.10):
            bar = good[int(target * len(good))]  # declined: margin under it
            cells.append(rate(list(bad < bar)))
        rows.append([name, *cells])
    print("\nTrade-off on the odd (held-out) halves: declines of rtqa_evidence_dev @ BBC where")
    print("rtqa_evidence_dev @ own notes is declined 2%, 5%, 10% (each rule's min_share moved):\n")
    print(markdown_table(("rule", "2%", "5%", "10%"), rows))


def news_texts() -> list[tuple[str, str]]:
    """``(title, text)`` of every passage of the bbc_lead articles, as the store holds them:
    real news sentences for timing ``scatter`` (its cost is the passage's, not the index's)."""
    engine = Engine.open(":memory:")
    engine.ingest(load_set("bbc_lead").articles)
    texts = [(title, text) for _, title, text in engine._store.passage_texts()]
    engine.close()
    return texts


def cost(passages: int, n_queries: int, per_article: int = 5) -> None:
    """Time the ranking step before and after, on the same index and queries.

    "last round" is the deeper top-k and the evidence with the spread over the top 10 scores,
    ``scatter`` read where it could tip the decision; "now" is what the engine does: the same
    with the spread over the top ``SPREAD_DEPTH``; the last row reads scatter on every search
    (the worst case). The synthetic index has no text, so passage ``i``'s text is
    a real news passage (number ``i`` modulo how many there are); the store's read of it (one
    row by primary key) is not timed.
    """
    from retrieval.answerable import could_tip, evidence, scatter
    from retrieval.bm25 import Index
    from retrieval.text import Analyzer

    texts = news_texts()
    analyzer = Analyzer()
    corpus = synthetic(passages)
    started = time.perf_counter()
    index = Index.build(corpus.token_lists())
    built = time.perf_counter() - started
    owners = (np.arange(index.n_docs) // per_article).astype(np.int32)
    asked = speed_queries(n_queries)

    def before(terms: list[str]) -> object:
        return diversify(index, owners, terms, 12)

    def after(terms: list[str], always: bool = False, depth: int = SPREAD_DEPTH) -> object:
        ranking = diversify(index, owners, terms, 12, COUNT_DEPTH)
        if ranking.passages:
            best = ranking.passages[0][0]
            found = evidence(index, terms, best, ranking.top[:depth])
            if always or could_tip(found, len(set(terms))):
                title, text = texts[best % len(texts)]
                found = replace(found, scatter=scatter(index, analyzer, terms, title, text))
            declines(found)
        return ranking

    def worst(terms: list[str]) -> object:
        return after(terms, always=True)

    def last(terms: list[str]) -> object:
        return after(terms, depth=10)

    steps = [("before", before), ("last", last), ("after", after), ("worst", worst)]
    for terms in asked[:20]:  # warm caches and the compiled kernel for all
        for _, step in steps:
            step(terms)
    for title, text in texts[:2000]:  # the analyzer's stem cache, as a running bot has it
        analyzer.terms(title + " " + text)
    wall: dict[str, list[float]] = {name: [] for name, _ in steps}
    cpu: dict[str, list[float]] = {name: [] for name, _ in steps}
    for n, terms in enumerate(asked):  # interleaved, in turn first: load hits all alike
        for name, step in steps[n % 4 :] + steps[: n % 4]:
            tick, tock = time.perf_counter(), time.thread_time()
            step(terms)
            cpu[name].append(time.thread_time() - tock)
            wall[name].append(time.perf_counter() - tick)
    rows = []
    for name, label in (("before", "top-12, one per article alone"),
                        ("last", f"+ count to {COUNT_DEPTH} passages + evidence, spread of 10"),
                        ("after", f"the same, spread of {SPREAD_DEPTH} (now)"),
                        ("worst", "the same, scatter read on every search")):  # fmt: skip
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
    parser = argparse.ArgumentParser(prog="python -m bench.abstain", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="300 questions per set, 20k passages")
    parser.add_argument("--min-share", type=float, default=MIN_SHARE, help="threshold to report")
    parser.add_argument("--cost-passages", type=int, default=1_000_000, help="0 skips the cost")
    parser.add_argument("--cost-queries", type=int, default=1000)
    parser.add_argument("--cost-only", action="store_true", help="skip the eval sets")
    parser.add_argument("--title-weight", type=float, default=0.0, help="the title field's")
    parser.add_argument("--fit", action="store_true", help="print the rule's fitted constants")
    args = parser.parse_args(argv)
    print("## Declining to answer (rates with Wilson 95% intervals)\n")
    print(machine_report() + "\n")
    print(f"Title field weight: {args.title_weight:g} (``[search] title_weight``).\n")
    if args.fit:
        constants = fit(quality(args.quick, args.title_weight))
        print("Fitted on the even questions (paste into retrieval/answerable.py):\n")
        print("\n".join(f"{name} = {value}" for name, value in constants.items()))
        return
    if not args.cost_only:
        outcomes = quality(args.quick, args.title_weight)
        report(outcomes, args.min_share)
        tradeoff(outcomes)
    passages = min(args.cost_passages, 20_000) if args.quick else args.cost_passages
    if passages:
        cost(passages, 200 if args.quick else args.cost_queries)


if __name__ == "__main__":
    main()
