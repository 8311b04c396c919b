"""Candidate evidence for declining read from what citing shows and from the top hits:
measured by ``bench.abstain_features`` beside the score and rarity candidates.

Every value is a ratio within one collection, worked out from one search's result (its first
five hits as cited, with their excerpts) and ranking, for the best passage (hit 1's ranked
passage):

- ``window share``: the share of the question's idf² weight that hit 1's excerpt (the window
  shown) and title hold, in place of the passage's share; ``window loss``: the passage's share
  less the window's, times ``answerable.scatter_cap`` (a long question's words fill more than
  one window);
- ``no answer in window``: a question whose kind says what it asks for
  (``retrieval.answers.question_kind``) and whose window holds no candidate of that kind that
  the question does not already name;
- ``window agreement`` / ``passage agreement``: the mean over hits 2-5 of the weighted Jaccard
  overlap (idf² weights) between the question words hit 1's window (passage) holds and those
  theirs hold, titles counted: a stored answer tends to be told alike by several articles,
  near misses match other words in unrelated stories; ``candidate agreement``: the share of
  hits 2-5 whose window or title repeats one of hit 1's window's answer candidates;
- ``rarest two apart``: the question's two rarest known words are not both in one sentence of
  the best passage (with the title); ``rarest missing``: its rarest known word is not in the
  best passage; ``top-decile word missing``: a question word whose idf is in the collection's
  top tenth (of word occurrences, so it reads the same at any size) is not in it;
- ``article spread@20``: the spread of the 20 best articles' scores (their best passage each)
  rather than of passages; ``articles in top 20``: distinct articles among the 20 best
  passages over 20.

``window is passage`` (not a candidate) says whether the excerpt is the whole passage: the
artefact that decides what window features can be trusted for (see ``bench.abstain_features``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from bench.machine import markdown_table
from retrieval.answerable import _SENTENCE_END, scatter_cap
from retrieval.answers import asked_words, candidates, question_kind
from retrieval.engine import Engine
from retrieval.models import Hit

WINDOW = ("window share", "window loss", "no answer in window", "window agreement",
          "passage agreement", "candidate agreement")  # fmt: skip
RARITY = ("rarest two apart", "rarest missing", "top-decile word missing")
ARTICLES = ("article spread@20", "articles in top 20")


def top_decile(engine: Engine) -> float:
    """The idf above which the rarest tenth of the collection's word occurrences lie (as
    passages holding them: each word weighs its document frequency)."""
    index = engine._snapshot.index
    df = np.asarray(index._df, dtype=np.float64)
    if not df.size or df.sum() <= 0:
        return math.inf
    idf = np.log1p((index.n_docs - df + 0.5) / (df + 0.5))
    order = np.argsort(idf)
    reach = np.cumsum(df[order]) / df.sum()
    return float(idf[order][min(int(np.searchsorted(reach, 0.9)), len(order) - 1)])


def excerpt_features(
    engine: Engine,
    question: str,
    distinct: Sequence[str],
    df: np.ndarray,
    share: float,
    hits: Sequence[Hit],
    decile: float,
) -> dict[str, float]:
    """The window, agreement and rarity candidates of one search (see the module docstring)."""
    analyzer = engine._analyzer
    n = engine._snapshot.index.n_docs
    idf = np.log1p((n - df + 0.5) / (df + 0.5))
    weight = dict(zip(distinct, (idf**2).tolist(), strict=True))
    total = sum(weight.values()) or 1.0

    def held(text: str, title: str) -> set[str]:
        return {t for t in analyzer.terms(f"{title} {text}") if t in weight}

    def mass(terms: set[str]) -> float:
        return sum(weight[t] for t in terms)

    first = hits[0]
    ranked = (first.ranked or first.passage).text
    window, passage = held(first.excerpt, first.article.title), held(ranked, first.article.title)
    out = {"window share": mass(window) / total}
    out["window is passage"] = float(first.excerpt == ranked)
    out["window loss"] = (share - out["window share"]) * scatter_cap(len(distinct))
    kind = question_kind(question)
    asked, stop = asked_words(question), analyzer.stopwords
    found = candidates(first.excerpt, kind, asked, stop) if kind is not None else []
    out["no answer in window"] = float(kind is not None and not found)
    said = {s.slice(first.excerpt).casefold() for s in found}
    agree, agree_passage, repeated = [], [], []
    for hit in hits[1:5]:
        other = held(hit.excerpt, hit.article.title)
        agree.append(mass(other & window) / (mass(other | window) or 1.0))
        other = held((hit.ranked or hit.passage).text, hit.article.title)
        agree_passage.append(mass(other & passage) / (mass(other | passage) or 1.0))
        shown = f"{hit.excerpt} {hit.article.title}".casefold()
        repeated.append(float(any(s in shown for s in said)))
    out["window agreement"] = float(np.mean(agree)) if agree else 0.0
    out["passage agreement"] = float(np.mean(agree_passage)) if agree_passage else 0.0
    out["candidate agreement"] = float(np.mean(repeated)) if repeated else 0.0
    known = [t for t, d in zip(distinct, df, strict=True) if d > 0]
    known.sort(key=lambda t: -weight[t])
    title = held("", first.article.title)
    sentences = [held(s, "") | title for s in _SENTENCE_END.split(ranked)]
    out["rarest two apart"] = float(
        len(known) >= 2 and not any(set(known[:2]) <= s for s in sentences)
    )
    out["rarest missing"] = float(bool(known) and known[0] not in passage)
    rare = [t for t, i, d in zip(distinct, idf, df, strict=True) if d and i >= decile]
    out["top-decile word missing"] = float(any(t not in passage for t in rare))
    return out


def article_features(ids: np.ndarray, scores: np.ndarray, owners: np.ndarray) -> dict[str, float]:
    """``article spread@20`` and ``articles in top 20`` of a ranking's best passages."""
    seen: set[int] = set()
    best = []
    for score, owner in zip(scores.tolist(), owners[ids].tolist(), strict=True):
        if owner not in seen:
            seen.add(owner)
            best.append(score)
    top = np.asarray(best[:20], dtype=np.float64)
    spread = float(top.std() / top.mean()) if top.size and top.mean() > 0 else 0.0
    head = owners[ids[:20]]
    return {"article spread@20": spread, "articles in top 20": len(set(head.tolist())) / 20}


def artefact(features: dict[str, list[dict[str, float] | None]]) -> None:
    """Print how often hit 1's excerpt is its whole passage, per pair: where it nearly always
    is (the notes' short passages) a window feature has nothing to say, so it separates the
    pairs by their collections rather than by whether an answer is stored."""
    rows = []
    for label, part in features.items():
        found = [f for f in part if f is not None]
        whole = float(np.mean([f["window is passage"] for f in found])) if found else 0.0
        loss = float(np.mean([f["window loss"] for f in found])) if found else 0.0
        rows.append([label, f"{whole:.3f}", f"{loss:.3f}"])
    print("\nHit 1's excerpt is its whole passage (share of questions); mean window loss:\n")
    print(markdown_table(("questions @ corpus", "excerpt = passage", "window loss"), rows))
