"""Which evidence tells an answerable question from one nothing in the corpus answers: the
candidates measured for ``retrieval.answerable`` and what each buys held out.

Every question of ``bench.abstain``'s pairs is searched as the engine searches it; beside the
engine's own evidence (share, unknown, spread, scatter) the candidates from the
query-performance-prediction literature and from the answer's type are worked out from what the
engine has at hand, each a ratio within one collection:

- ``spread@d``: standard deviation over mean of the ``d`` best passage scores (the engine's
  ``spread`` is ``spread@SPREAD_DEPTH``; last round read ``spread@10``);
- ``nqc@d`` (normalised query commitment): standard deviation of the ``d`` best scores over
  the collection's own score for the question, here the sum of the known terms' idf (the
  collection read as one long passage scores about that, times a constant);
- ``wig`` (weighted information gain): the mean of the 10 best scores over the sum of every
  term's idf (unknown terms too), which also divides out the question's length;
- ``clarity``: the KL divergence of the 10 best passages' term distribution from the
  collection's, over the question's terms (``p_top(t) log(p_top(t) / p_coll(t))`` with
  ``p_top`` the share of those passages holding ``t``, ``p_coll`` its document frequency over
  the collection), per term, over the highest idf there is;
- ``idf max/mean/min``: of the question's terms, over the highest idf there is; ``scope``:
  ``log`` of the summed document frequencies of its known terms over the collection size;
- ``no answer in sentence / passage``: for a who / where / when / how-many question (a name,
  date or number asked for; ``retrieval.answers``), whether the best passage's best sentence
  (the one holding most of the question's weight), or the passage, lacks a candidate of that
  kind that the question does not already name;
- what citing shows and the top hits agree on (``bench.abstain_candidates``): the excerpt's
  share, answer candidates in it, agreement of the top five hits, the rarest words' places.

Each feature set is fitted as ``retrieval.answerable`` is (logistic regression on the even
questions of rtqa_evidence_dev against its notes and against the BBC articles and of bbc_title
against BBC, the bar set so that ``FIT_DECLINES`` of the even rtqa_evidence_dev questions are
declined) and judged on the odd questions and the other pairs; "at 5%" moves the bar to
decline 5% of the odd answerable rtqa_evidence_dev questions (the frontier). The answerable
questions the fit never sees on the BBC's long passages (bbc_lead, and rtqa_news_2024 against
its own articles where an answer is in the top 5) expose features that separate the fitted
pairs by their collections instead: the notes are shorter than an excerpt, so the last row,
a control that holds no answer signal at all (whether the excerpt is its whole passage),
"declines" most unanswerable questions and many answerable ones on long passages.

    python -m bench.abstain_features [--quick] [--title-weight 0]
"""

from __future__ import annotations

import argparse
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench.abstain import CALIBRATION, FITTED, answer_in, cut_query, logistic, quality, weigh
from bench.abstain_candidates import (
    ARTICLES,
    RARITY,
    WINDOW,
    artefact,
    article_features,
    excerpt_features,
    top_decile,
)
from bench.machine import machine_report, markdown_table
from retrieval.answerable import _SENTENCE_END, FIT_DECLINES, SPREAD_DEPTH
from retrieval.answers import Kind, asked_words, candidates, question_kind
from retrieval.engine import Engine
from retrieval.errors import QueryError
from retrieval.search_dates import any_date

DEEPEST = 100
ANSWERABLE = (CALIBRATION, "bbc_title @ BBC")
UNANSWERABLE = FITTED[2]
OWN, SHOWN = "rtqa_news_2024 @ own articles", "rtqa_news_2024 @ own, answer in top 5"
LEAD, NEWS, NOTES = (
    "bbc_lead @ BBC (headline kept)",
    "rtqa_news_2024 @ BBC",
    "bbc_title @ rtqa notes",
)
BASE = ("share", "unknown", "scatter")
CANDIDATES = ("nqc@10", "nqc@50", "wig", "clarity", "idf max", "idf mean", "idf min", "scope",
              "no answer in sentence", "no answer in passage")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Probe:
    """One question's candidate features, or ``None`` where the search found nothing."""

    features: dict[str, float] | None
    shown: bool = False  # an answer string is in the top-5 passages


def probe(
    engine: Engine, asked: Sequence[tuple[str, str, list[str]]], _: Any = None
) -> list[Probe]:
    """Search every question as ``bench.abstain.run`` does and work out every candidate."""
    out = []
    decile = top_decile(engine)
    for _id, text, answers in asked:
        try:
            result = engine.search(cut_query(text), k=10, limit=5)
            if result.date_range is not None and (not result.hits or result.abstained):
                result = engine.search(result.undated, k=10, limit=5)
        except QueryError:
            out.append(Probe(None))
            continue
        if not result.hits:
            out.append(Probe(None))
            continue
        found, _spread10 = weigh(engine, result)
        snapshot, terms = engine._snapshot, list(result.terms)
        read = engine._reading(snapshot, result.query, result.as_of, False)
        dates = read.dated.window
        if result.widened:
            dates = any_date(snapshot, read.today, engine.recency)
        bonus = snapshot.title_bonus(terms, engine.title_weight)
        ids, scores = snapshot.ranked().top_k(terms, DEEPEST, dates, bonus)
        index = snapshot.index
        distinct = list(dict.fromkeys(terms))
        df = np.array([index.document_frequency(t) for t in distinct], dtype=np.float64)
        held = index.holding(distinct, np.asarray(ids[:10], dtype=np.int64))
        best = (result.hits[0].ranked or result.hits[0].passage).id
        rows = list(engine._store.passage_texts(best, best + 1, batch=1))
        passage = rows[0][2] if rows else ""
        features = {"share": found.share, "unknown": found.unknown, "scatter": found.scatter}
        features |= score_features(np.asarray(scores, dtype=np.float64), df, index.n_docs, held)
        features |= answer_features(engine, text, distinct, df, index.n_docs, passage)
        hits = result.hits
        features |= excerpt_features(engine, text, distinct, df, found.share, hits, decile)
        features |= article_features(np.asarray(ids), np.asarray(scores), snapshot.owners)
        shown = bool(answers) and any(answer_in(answers, h.passage.text) for h in hits)
        out.append(Probe(features, shown))
    return out


def score_features(top: np.ndarray, df: np.ndarray, n: int, held: np.ndarray) -> dict[str, float]:
    """The score and rarity candidates of one question (``held``: terms x 10 best passages)."""
    idf = np.log1p((n - df + 0.5) / (df + 0.5))
    highest = math.log1p((n + 0.5) / 0.5)
    known = df > 0
    out = {}
    for depth in (10, 20, 30, 50, 100):
        part = top[:depth]
        out[f"spread@{depth}"] = float(part.std() / part.mean()) if part.mean() > 0 else 0.0
    corpus = float(idf[known].sum()) or 1.0
    out["nqc@10"] = float(top[:10].std()) / corpus
    out["nqc@50"] = float(top[:50].std()) / corpus
    out["wig"] = float(top[:10].mean()) / (float(idf.sum()) or 1.0)
    p_top = held.mean(axis=1) if held.shape[1] else np.zeros(len(df))
    p_coll = (df + 0.5) / (n + 1)
    on = p_top > 0
    clarity = float((p_top[on] * np.log(p_top[on] / p_coll[on])).sum())
    out["clarity"] = clarity / highest / max(len(df), 1)
    out["idf max"] = float(idf.max()) / highest if len(df) else 0.0
    out["idf mean"] = float(idf.mean()) / highest if len(df) else 0.0
    out["idf min"] = float(idf.min()) / highest if len(df) else 0.0
    out["scope"] = math.log((float(df[known].sum()) + 1) / (n + 1))
    return out


def answer_features(
    engine: Engine, question: str, distinct: list[str], df: np.ndarray, n: int, passage: str
) -> dict[str, float]:
    """Whether a who / where / when / how-many question's best sentence (or passage) lacks a
    candidate of the asked kind; 0 for any other question."""
    kind = question_kind(question)
    if kind not in (Kind.NAME, Kind.DATE, Kind.NUMBER):
        return {"no answer in sentence": 0.0, "no answer in passage": 0.0}
    analyzer = engine._analyzer
    asked = asked_words(question)
    weights = dict(
        zip(distinct, (np.log1p((n - df + 0.5) / (df + 0.5)) ** 2).tolist(), strict=True)
    )
    sentence = max(
        _SENTENCE_END.split(passage) or [""],
        key=lambda s: sum(weights.get(t, 0.0) for t in set(analyzer.terms(s))),
    )
    stop = analyzer.stopwords
    return {
        "no answer in sentence": float(not candidates(sentence, kind, asked, stop)),
        "no answer in passage": float(not candidates(passage, kind, asked, stop)),
    }


@dataclass(frozen=True, slots=True)
class Judged:
    """Declined shares held out at the fitted bar, and at the bar declining 5% (the frontier);
    ``last``: the standardised weight of the last feature (above 0: it says decline)."""

    fitted: dict[str, float]
    at5: dict[str, float]
    last: float = 0.0


def matrix(
    probes: Sequence[Probe], names: Sequence[str], pairs: Sequence[tuple[str, str]]
) -> list[np.ndarray | None]:
    """Each question's feature row (with the products ``pairs``), ``None`` where none."""
    rows: list[np.ndarray | None] = []
    for p in probes:
        f = p.features
        if f is None:
            rows.append(None)
            continue
        rows.append(np.array([f[n] for n in names] + [f[a] * f[b] for a, b in pairs]))
    return rows


def held_out(probes: dict[str, list[Probe]]) -> dict[str, list[Probe]]:
    """The parts judged: the odd halves of the fitted pairs, the other pairs whole, and the
    rtqa_news_2024 questions against their own articles whose answer is in the top 5 (answerable
    questions on long news passages, where window features cannot pass for free)."""
    parts = {label: probes[label][1::2] for label in (CALIBRATION, ANSWERABLE[1], UNANSWERABLE)}
    parts |= {label: probes[label] for label in (LEAD, NEWS, NOTES)}
    parts[SHOWN] = [p for p in probes[OWN] if p.shown]
    return parts


def judge(
    probes: dict[str, list[Probe]], names: Sequence[str], pairs: Sequence[tuple[str, str]] = ()
) -> Judged:
    """Fit ``names`` (and the products ``pairs``) on the even questions; judge the rest."""
    yes = [r for label in ANSWERABLE for r in matrix(probes[label][0::2], names, pairs)]
    no = matrix(probes[UNANSWERABLE][0::2], names, pairs)
    x = np.array([r for r in yes if r is not None] + [r for r in no if r is not None])
    y = np.r_[np.zeros(sum(r is not None for r in yes)), np.ones(sum(r is not None for r in no))]
    mean, sd = x.mean(axis=0), x.std(axis=0) + 1e-12
    w = logistic((x - mean) / sd, y)
    weights = np.r_[w[:-1] / sd, w[-1] - float((w[:-1] * mean / sd).sum())]

    def score(part: Sequence[Probe]) -> np.ndarray:
        return np.array([np.inf if r is None else float(np.r_[r, 1.0] @ weights)
                         for r in matrix(part, names, pairs)])  # fmt: skip

    even = np.sort(score(probes[CALIBRATION][0::2]))[::-1]
    bar = even[int(FIT_DECLINES * len(even))]
    odd = np.sort(score(probes[CALIBRATION][1::2]))[::-1]
    bar5 = odd[int(0.05 * len(odd))]
    parts = held_out(probes)
    fitted = {label: float((score(part) > bar).mean()) for label, part in parts.items()}
    at5 = {label: float((score(part) > bar5).mean()) for label, part in parts.items()}
    return Judged(fitted, at5, float(w[len(names) - 1]))


def feature_sets() -> list[tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]]]:
    """Last round's and today's features, each with every candidate added, and richer models."""
    last = (*BASE, "spread@10")
    now = (*BASE, f"spread@{SPREAD_DEPTH}")
    out: list[tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]]] = [
        ("last round: share, unknown, scatter, spread@10", last, ())
    ]
    out += [(f"last round + {c}", (*last, c), ()) for c in CANDIDATES]
    out += [(f"last round + spread@{d}", (*last, f"spread@{d}"), ()) for d in (20, 30, 50, 100)]
    out += [(f"now: spread@{SPREAD_DEPTH} for spread@10", now, ())]
    out += [(f"now + {c}", (*now, c), ()) for c in (*CANDIDATES, "spread@10", "spread@100")]
    out += [("now, every pairwise product", now, tuple(itertools.combinations(now, 2)))]
    out += [("now + every candidate", (*now, *CANDIDATES), ())]
    window = (*now[1:], "window share")
    out += [("now, window share for share", window, ())]
    out += [(f"now + {c}", (*now, c), ()) for c in (*WINDOW[1:], *RARITY, *ARTICLES)]
    out += [("now + window and rarity candidates", (*now, *WINDOW[1:], *RARITY), ())]
    out += [("control: now + excerpt is its whole passage", (*now, "window is passage"), ())]
    return out


def main(argv: Sequence[str] | None = None) -> None:
    """Search every pair once, then fit and judge every feature set."""
    parser = argparse.ArgumentParser(prog="python -m bench.abstain_features", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="300 questions per set")
    parser.add_argument("--title-weight", type=float, default=0.0, help="the title field's")
    args = parser.parse_args(argv)
    print("## Evidence for declining: candidate features held out\n")
    print(machine_report() + "\n")
    probes = quality(args.quick, args.title_weight, runner=probe)
    rows = []
    order = (CALIBRATION, ANSWERABLE[1], LEAD, SHOWN, UNANSWERABLE, NEWS, NOTES)
    for name, names, pairs in feature_sets():
        judged = judge(probes, names, pairs)
        f, a = judged.fitted, judged.at5
        cells = [f[k] for k in order] + [a[k] for k in (UNANSWERABLE, ANSWERABLE[1], LEAD, SHOWN)]
        rows.append([name, *(f"{v:.3f}" for v in cells), f"{judged.last:+.2f}"])
    print(f"Declined, fitted bar (FIT_DECLINES {FIT_DECLINES} of even evidence @ notes); then at")
    print("the bar declining 5% of odd evidence @ notes. Answerable: evidence @ notes (odd),")
    print("bbc_title @ BBC (odd), bbc_lead @ BBC, rtqa_news_2024 @ own articles with an answer")
    print("in the top 5; unanswerable: evidence @ BBC (odd), rtqa_news_2024 @ BBC, bbc_title @")
    print("rtqa notes. Last column: the last feature's standardised weight (+: says decline).\n")
    headers = ("features", "ev@notes", "title@BBC", "lead@BBC", "news@own", "ev@BBC",
               "news@BBC", "title@notes", "at 5%: ev@BBC", "title@BBC", "lead@BBC", "news@own",
               "weight")  # fmt: skip
    print(markdown_table(headers, rows))
    artefact({label: [p.features for p in part] for label, part in probes.items()})


if __name__ == "__main__":
    main()
