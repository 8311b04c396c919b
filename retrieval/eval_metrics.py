"""Eval metrics: how one set's outcomes are scored, pure functions over ranked article ids.

Every metric is article level: ranked passages collapse to the first occurrence of each
article. Recall@k divides by ``min(relevant, k)`` (the standard form, so one relevant article
found at rank 1 scores 1). AnsHit@k asks whether an answer string occurs in one of the top-k
passages (or in the excerpts the bot shows), matched as the sets' README says: NFKC, case
folding, quote characters removed, whitespace collapsed, word-bounded where the answer begins
or ends with a letter or digit. A question the engine refuses or finds nothing for is a miss.
Each figure comes with a 95% interval, ``±1.96·sd/√n`` (sample sd).

Kept apart from :mod:`retrieval.evaluation` (which runs the engine) so the scoring can be
checked, and reused by benchmarks, without an engine.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from retrieval.eval_sets import EvalSet
from retrieval.models import Article
from retrieval.store_records import dedup_key

RANKING = ("Recall@1", "Recall@5", "MRR@10", "nDCG@10")
ANSWERS = ("AnsHit@1 passage", "AnsHit@5 passage", "AnsHit@1 excerpt", "AnsHit@5 excerpt")
DECLINED = "Declined"
"""The share of queries the search declined to answer (``SearchResult.abstained``)."""
METRICS = (*RANKING, *ANSWERS, DECLINED)

QUOTES = str.maketrans("", "", "'\"‘’“”`")


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one query brought back: article ids (first occurrence each) and shown texts.

    ``excerpts`` are what a reader is shown: none when the search ``declined``, since the
    bot then lists titles only. Ranking metrics and passages still count the ranked hits.
    """

    articles: tuple[str, ...]
    passages: tuple[str, ...]
    excerpts: tuple[str, ...]
    refused: bool = False
    declined: bool = False


@dataclass(frozen=True, slots=True)
class Estimate:
    """A mean over ``n`` queries and the half width of its 95% interval (NaN below n=2)."""

    mean: float
    half_width: float
    n: int


def recall_at(ranked: Sequence[str], relevant: frozenset[str], k: int) -> float:
    """Relevant articles in the top ``k`` over ``min(len(relevant), k)``."""
    found = sum(1 for doc in ranked[:k] if doc in relevant)
    return found / min(len(relevant), k)


def reciprocal_rank(ranked: Sequence[str], relevant: frozenset[str], k: int) -> float:
    """1/rank of the first relevant article within the top ``k``, else 0."""
    for rank, doc in enumerate(ranked[:k], 1):
        if doc in relevant:
            return 1 / rank
    return 0.0


def ndcg_at(ranked: Sequence[str], relevant: frozenset[str], k: int) -> float:
    """Binary-gain nDCG@k: DCG of the ranking over the DCG of a perfect one."""
    dcg = sum(1 / math.log2(rank + 1) for rank, doc in enumerate(ranked[:k], 1) if doc in relevant)
    ideal = sum(1 / math.log2(rank + 1) for rank in range(1, min(len(relevant), k) + 1))
    return dcg / ideal


def normalise_answer(text: str) -> str:
    """NFKC, case folding, no quote characters, single spaces: how answers and texts compare."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(QUOTES)
    return " ".join(folded.split())


def answer_pattern(answer: str) -> re.Pattern[str] | None:
    """A regex finding ``answer`` in normalised text, word-bounded at a letter or digit end."""
    norm = normalise_answer(answer)
    if not norm:
        return None
    before = r"(?<![^\W_])" if norm[0].isalnum() else ""
    after = r"(?![^\W_])" if norm[-1].isalnum() else ""
    return re.compile(before + re.escape(norm) + after)


def answer_hit(answers: Iterable[str], texts: Iterable[str]) -> bool:
    """Whether any answer occurs in any of ``texts`` (README matching rules)."""
    patterns = [p for p in map(answer_pattern, answers) if p is not None]
    return any(p.search(normalise_answer(text)) for text in texts for p in patterns)


def estimate(values: Sequence[float]) -> Estimate:
    """Mean of ``values`` and ``1.96·sd/√n`` with the sample sd (n-1); NaN where undefined."""
    n = len(values)
    if n == 0:
        return Estimate(math.nan, math.nan, 0)
    mean = math.fsum(values) / n
    if n == 1:
        return Estimate(mean, math.nan, 1)
    variance = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    return Estimate(mean, 1.96 * math.sqrt(variance) / math.sqrt(n), n)


def canonical_ids(articles: Iterable[Article]) -> dict[str, str]:
    """Map every article id to the id of the first article with the same dedup key.

    The store keeps one copy of duplicates; a judgement on a dropped copy is credited to the
    copy that was kept: same text, same answer.
    """
    first: dict[str, str] = {}
    return {article.id: first.setdefault(dedup_key(article), article.id) for article in articles}


def score(data: EvalSet, outcomes: Sequence[Outcome]) -> dict[str, Estimate]:
    """Every metric that applies: ranking ones over judged queries, AnsHit over answered ones."""
    canon = canonical_ids(data.articles)
    values: dict[str, list[float]] = {name: [] for name in METRICS}
    for query, outcome in zip(data.queries, outcomes, strict=True):
        values[DECLINED].append(float(outcome.declined))
        judged = data.qrels.get(query.id)
        if judged:
            relevant = frozenset(canon.get(doc, doc) for doc in judged)
            ranked = outcome.articles
            values["Recall@1"].append(recall_at(ranked, relevant, 1))
            values["Recall@5"].append(recall_at(ranked, relevant, 5))
            values["MRR@10"].append(reciprocal_rank(ranked, relevant, 10))
            values["nDCG@10"].append(ndcg_at(ranked, relevant, 10))
        if query.answers:
            for shown, texts in (("passage", outcome.passages), ("excerpt", outcome.excerpts)):
                for k in (1, 5):
                    hit = answer_hit(query.answers, texts[:k])
                    values[f"AnsHit@{k} {shown}"].append(float(hit))
    return {name: estimate(found) for name, found in values.items() if found}
