"""Whether declining ("no stored briefing answers that") holds in small stores.

``retrieval.answerable`` was fitted on dev collections of 2-8k articles, but a new bot starts
with a handful. Small stores are simulated from the dev sets, each question searched through
``Engine.search`` against a fresh in-memory store of ``n`` articles:

- answerable: an rtqa_evidence_dev question against its own note(s) plus random other notes
  up to ``n``; a bbc_title headline against its article plus ``n - 1`` other BBC articles;
- unanswerable: an rtqa_evidence_dev question against ``n`` random other notes (same domain
  and weeks: realistic near misses) and against ``n`` random BBC articles (2004-05).

Up to ``n // 10`` questions share one store (each one's own notes in it), so a size costs
about ten articles ingested per question. Rates carry Wilson 95% intervals and are shown by
half: the rule's constants were fitted on the even-numbered questions at full size, and any
choice made here on the even half is checked on the odd one.

Four rules judge the same searches: "before" (the store's own rarity alone, the engine with
``rarity_prior`` 0), "prior, no floor" (each word's idf drawn towards its rarity in English at
large, and a common word the store lacks counting as unknown only as far as the store is large:
``retrieval.rarity_prior``), "now" (``retrieval.answerable`` as the engine runs it: the same and
a floor raised in small stores), and "now + neutral spread" (a candidate not adopted: the spread
drawn towards a neutral value under 30 passages, as measured before the prior existed).
``--full`` adds ``bench.abstain``'s full-size pairs judged by all three.

    python -m bench.abstain_sizes [--store-sizes 1,3,10,30,100,300] [--questions 200]
                                  [--seed 0] [--full]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from bench.abstain import CALIBRATION, FITTED, KIND, load_set, quality, rate
from bench.machine import machine_report, markdown_table
from retrieval.answerable import Evidence, declines
from retrieval.engine import COUNT_DEPTH, Engine
from retrieval.errors import QueryError
from retrieval.models import Article, SearchResult
from retrieval.ranking import diversify
from retrieval.rarity_prior import RarityPrior
from retrieval.search_dates import any_date
from retrieval.search_evidence import passage_evidence, stored_scatter


@dataclass(frozen=True, slots=True)
class Asked:
    """One question's search: the best passage's evidence (``scatter`` read), or None."""

    number: int  # the question's position in its set (even: fitted half)
    evidence: Evidence | None  # as the engine weighs it (with its rarity prior)
    before: Evidence | None = None  # the store's own rarity alone
    scores: int = 0  # how many top scores the spread was measured over (at most SPREAD_DEPTH)
    passages: int = 0  # how many passages the store held


SMALL_STORE = 30
"""Candidate "neutral spread": under this many passages the spread is drawn towards
``NEUTRAL_SPREAD`` in proportion (``trust = passages / SMALL_STORE``)."""
NEUTRAL_SPREAD = 0.4
"""Between the spreads of answered questions (about 0.5-0.6 at 300 articles) and of near
misses (0.3-0.4): a store too small to measure one neither excuses nor condemns."""


def before(asked: Asked) -> bool:
    """``retrieval.answerable`` on the store's own rarity (``rarity_prior`` 0)."""
    assert asked.before is not None
    return declines(asked.before)


def no_floor(asked: Asked) -> bool:
    """The rarity prior without the small store's floor."""
    assert asked.evidence is not None
    return declines(replace(asked.evidence, small=0.0))


def now(asked: Asked) -> bool:
    """``retrieval.answerable`` as the engine runs it."""
    assert asked.evidence is not None
    return declines(asked.evidence)


def neutral(asked: Asked) -> bool:
    """Candidate: ``now`` with the spread of a store under ``SMALL_STORE`` passages drawn
    towards ``NEUTRAL_SPREAD`` (unchanged from ``SMALL_STORE`` passages on)."""
    found = asked.evidence
    assert found is not None
    trust = min(1.0, asked.passages / SMALL_STORE)
    spread = trust * found.spread + (1.0 - trust) * NEUTRAL_SPREAD
    return declines(replace(found, spread=spread))


Rule = Callable[[Asked], bool]
RULES: dict[str, Rule] = {
    "before": before,
    "prior, no floor": no_floor,
    "now": now,
    f"now + neutral spread under {SMALL_STORE} passages": neutral,
}


def weighed(
    engine: Engine, result: SearchResult, prior: RarityPrior | None
) -> tuple[Evidence, int]:
    """The evidence for the engine's first hit with ``prior``, ``scatter`` always read, and
    how many top scores there were (``bench.abstain.weigh``)."""
    snapshot, terms = engine._snapshot, list(result.terms)
    read = engine._reading(snapshot, result.query, result.as_of, False)
    dates = read.dated.window
    if result.widened:
        dates = any_date(snapshot, read.today, engine.recency)
    bonus = snapshot.title_bonus(terms, engine.title_weight)
    ranking = diversify(snapshot.ranked(), snapshot.owners, terms, 10, COUNT_DEPTH, dates, bonus)
    first = result.hits[0]
    best = (first.ranked or first.passage).id
    found = passage_evidence(snapshot, terms, best, ranking.top, prior)
    store, analyzer = engine._store, engine._analyzer
    read_scatter = stored_scatter(store, analyzer, snapshot, terms, best, prior)
    return replace(found, scatter=read_scatter), len(ranking.top)


def ask(engine: Engine, number: int, text: str) -> Asked:
    """Search ``text`` as ``bench.abstain.run`` does (an empty date range asked again)."""
    try:
        result = engine.search(text[:500], k=10, limit=5)
        if result.date_range is not None and (not result.hits or result.abstained):
            result = engine.search(result.undated, k=10, limit=5)
    except QueryError:
        return Asked(number, None)
    passages = engine._snapshot.index.n_docs
    if not result.hits:
        return Asked(number, None, 0, passages)
    found, scores = weighed(engine, result, engine._prior)
    if declines(found) != result.abstained:
        raise SystemExit(f"bench: the engine and the rule disagree on {text!r}")
    return Asked(number, found, weighed(engine, result, None)[0], scores, passages)


def searched(
    groups: Sequence[tuple[Sequence[tuple[int, str]], Sequence[Article]]],
) -> list[Asked]:
    """Each group's questions against a fresh store of the group's articles."""
    out = []
    for asked, articles in groups:
        engine = Engine.open(":memory:")
        engine.ingest(articles)
        out.extend(ask(engine, number, text) for number, text in asked)
        engine.close()
    return out


def small_stores(size: int, n_questions: int, seed: int) -> dict[str, list[Asked]]:
    """Every pair's outcomes at store size ``size``."""
    rng = np.random.default_rng(seed + size)
    notes_set, bbc_set = load_set("rtqa_evidence_dev"), load_set("bbc_title")
    notes, bbc = list(notes_set.articles), list(bbc_set.articles)
    note_at = {a.id: i for i, a in enumerate(notes)}
    bbc_at = {a.id: i for i, a in enumerate(bbc)}
    rtqa = [(n, q) for n, q in enumerate(notes_set.queries) if notes_set.qrels.get(q.id)]
    titles = [(n, q) for n, q in enumerate(bbc_set.queries) if bbc_set.qrels.get(q.id)]
    share = max(1, size // 10)

    def pick(pool: Sequence[Article], k: int, without: set[int]) -> list[Article]:
        chosen: list[Article] = []
        for i in rng.permutation(len(pool)):
            if len(chosen) == k:
                break
            if int(i) not in without:
                chosen.append(pool[int(i)])
        return chosen

    def drawn(questions: Sequence[tuple[int, object]]) -> list[tuple[int, object]]:
        order = rng.permutation(len(questions))[:n_questions]
        return [questions[int(i)] for i in order]

    def grouped(questions: Sequence[tuple[int, object]]) -> list[list[tuple[int, object]]]:
        return [list(questions[i : i + share]) for i in range(0, len(questions), share)]

    out: dict[str, list[Asked]] = {}
    for label, qset, pool, at, own_kept in (
        ("rtqa_evidence_dev @ own note(s) + others", rtqa, notes, note_at, True),
        ("rtqa_evidence_dev @ other notes", rtqa, notes, note_at, False),
        ("rtqa_evidence_dev @ BBC", rtqa, bbc, bbc_at, False),
        ("bbc_title @ own article + others", titles, bbc, bbc_at, True),
        ("bbc_title @ others of its category", titles, bbc, bbc_at, False),
    ):
        qrels = notes_set.qrels if qset is rtqa else bbc_set.qrels
        same_kind = label.endswith("category")
        chosen = drawn(qset)
        if same_kind:  # a store's questions share its category
            chosen.sort(key=lambda nq: min(qrels[nq[1].id]))  # type: ignore[attr-defined]
        groups = []
        for group in grouped(chosen):
            own = {at[d] for _, q in group for d in qrels[q.id] if d in at}  # type: ignore[attr-defined]
            owned = [pool[i] for i in sorted(own)] if own_kept else []
            without = own if pool is notes or own_kept or same_kind else set()
            if same_kind:  # near misses: only the category of the group's first article
                kind = category(pool[min(own)].id)
                without = without | {i for i, a in enumerate(pool) if category(a.id) != kind}
            others = pick(pool, max(0, size - len(owned)), without)
            asked = [(n, str(q.text)) for n, q in group]  # type: ignore[attr-defined]
            groups.append((asked, owned + others))
        out[label] = searched(groups)
    return out


def category(article_id: str) -> str:
    """A BBC article's category, from its id (``bbc-business-001``)."""
    return article_id.split("-")[1]


def rates(outcomes: Sequence[Asked], rule: Rule) -> list[bool]:
    """Declined: nothing found, or the rule declines the best passage."""
    return [o.evidence is None or rule(o) for o in outcomes]


def table(by_size: dict[str, dict[str, list[Asked]]]) -> None:
    """One row per size, pair and half: declined by each rule."""
    rows = []
    for size, pairs in by_size.items():
        for label, outcomes in pairs.items():
            for half in ("even", "odd"):
                kept = [o for o in outcomes if o.number % 2 == (0 if half == "even" else 1)]
                rows.append([size, label, half, *(rate(rates(kept, r)) for r in RULES.values())])
    print(markdown_table(("store (articles)", "questions @ store", "half", *RULES), rows))


def full_size(quick: bool) -> dict[str, dict[str, list[Asked]]]:
    """``bench.abstain``'s full-size pairs, every question's evidence kept for every rule."""

    def runner(
        engine: object, asked: Sequence[tuple[str, str, list[str]]], _: object
    ) -> list[Asked]:
        assert isinstance(engine, Engine)
        return [ask(engine, n, text) for n, (_, text, _a) in enumerate(asked)]

    outcomes = quality(quick, runner=runner)
    kept = {label: outcomes[label] for label in KIND}
    return {"full": kept}


def main(argv: Sequence[str] | None = None) -> None:
    """Parse flags, then measure declining by store size."""
    parser = argparse.ArgumentParser(prog="python -m bench.abstain_sizes", description=__doc__)
    parser.add_argument("--store-sizes", default="1,3,10,30,100,300")
    parser.add_argument("--questions", type=int, default=200, help="per size and pair")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--full", action="store_true", help="also the full-size pairs")
    parser.add_argument("--quick", action="store_true", help="40 questions, sizes 1,10,100")
    args = parser.parse_args(argv)
    sizes = [1, 10, 100] if args.quick else [int(s) for s in args.store_sizes.split(",")]
    n_questions = 40 if args.quick else args.questions
    print("## Declining in small stores (rates with Wilson 95% intervals)\n")
    print(machine_report() + "\n")
    print(f"{n_questions} questions per size and pair, seed {args.seed}; calibration pairs at")
    print(f"full size: {', '.join(FITTED)} ({CALIBRATION} is the one the bar is set on).\n")
    by_size = {str(size): small_stores(size, n_questions, args.seed) for size in sizes}
    if args.full:
        by_size.update(full_size(args.quick))
    table(by_size)


if __name__ == "__main__":
    main()
