"""From index scores to what a reader sees: one passage per article first, then citations.

Both steps sit between the index (exact scores, ``retrieval.bm25``) and the reply: ranking
by article so one long article cannot fill a page, and citing each hit with the sentences of
its article that best answer the query and its highlighted words, so every excerpt is a
verbatim, checkable slice of a stored passage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from retrieval.answerable import SPREAD_DEPTH
from retrieval.bm25 import Index
from retrieval.bm25_terms import scale_of
from retrieval.models import Hit, Passage
from retrieval.recency import DateWindow
from retrieval.rerank import Rerank
from retrieval.retired import LiveIndex
from retrieval.store import Store
from retrieval.support import combined_scores
from retrieval.text import Analyzer
from retrieval.topk import Bonus
from retrieval.window_scores import WEIGHTS, Weights
from retrieval.windows import choose

CANDIDATES = 3
"""Passages of a hit's article whose windows compete for the excerpt: the ranked one and the
next best two, plus the article's opening passage when it holds a query term (five by score
did no better on rtqa_news_2024, and each costs citing time)."""


@dataclass(frozen=True, slots=True)
class Ranking:
    """The best ``k`` passages, one per article first, and how many articles matched at all.

    ``articles`` counts the distinct articles among the first ``depth`` matching passages;
    ``more`` says that further passages matched, so the true count may be higher.
    """

    passages: list[tuple[int, float]]
    articles: int
    more: bool
    top: tuple[float, ...] = ()  # the best SPREAD_DEPTH plain passage scores (no coverage)


SHALLOW_SUPPORT = 0.15
"""Support weight up to which ranking starts at the plain depth, not 4x deeper: a statement of
three words (0.6 scaled to 3 of 12 terms) needs another sweep for 1% of questions
(``python -m bench.support --passages 200000 --terms 3``, two runs each, recency prior on:
p50 0.71 and 0.82 ms against 1.20 and 1.14 ms starting 4x deeper); longer statements keep the
deeper start (starting plain: 1.63 sweeps, p50 6.4 against 4.3 ms at 1M passages)."""


def diversify(
    index: Index | LiveIndex,
    owners: npt.NDArray[np.int32],
    terms: Sequence[str],
    k: int,
    depth: int = 0,
    dates: DateWindow | None = None,
    bonus: Bonus | None = None,
    support: float = 0.0,
    coverage: float = 0.0,
    rerank: Rerank | None = None,
) -> Ranking:
    """Exact top-``k`` passages, re-ordered so each article's best passage comes first.

    ``owners[p]`` is the article of passage ``p``. If the best ``m`` passages already span
    ``k`` articles, those articles' best passages are the answer (any other article scores
    lower everywhere). Otherwise ``m`` grows until it covers every matching passage, so a
    one-article collection still shows all its matches. ``dates`` hides passages outside its
    window and weighs the rest by recency (:meth:`Index.top_k`). Ties keep the index's order:
    higher score first, then the lower passage id. The first sweep takes ``depth`` passages
    (at least ``k``): the sweep scores every posting whatever ``m`` is, so counting the
    articles among a deeper top costs only a larger heap. ``bonus`` is the title field's
    share of the scores (see ``Index.top_k``).

    With ``support`` (a weight above 0) articles are ordered by their best passage plus
    ``support`` times their second best (:mod:`retrieval.support`), ties to the better best
    passage; ``m`` then grows until ``k`` articles are proven ahead of every unlisted one.
    Each article still shows its best passage, with that passage's score.

    With ``rerank`` the first stage's best passages are rescored with their words'
    proximity and reordered before articles are formed (:mod:`retrieval.rerank`): the sweep
    then takes at least that many.
    """
    if k <= 0:
        return Ranking([], 0, False)
    # The support's bound needs a deeper list: starting 4x deeper costs a larger heap, where
    # growing costs another sweep (1.28 sweeps a question at 200k passages, 1.00 from 4x).
    # A small weight (a short statement) rarely needs it and starts at the plain depth.
    m = max(k, depth, 0 if rerank is None else rerank.depth)
    m *= 4 if support > SHALLOW_SUPPORT else 1
    combined = None
    while True:
        ids, scores, _, plain = index.top_k_covered(terms, m, coverage, dates, bonus)
        if rerank is not None:
            ids, scores = rerank.rerank(ids, scores, dates)
        found = owners[ids]
        distinct = len(np.unique(found))
        exhausted = len(ids) < m
        if support > 0 and len(ids):
            combined = combined_scores(
                index, owners, terms, ids, scores, exhausted, support, k, dates, bonus, coverage
            )
            # Only an article's first entry carries its rank; the bound is every unlisted one's.
            firsts = np.unique(found, return_index=True)[1]
            ahead = int(np.count_nonzero(combined[firsts] > (1 + support) * scores[-1]))
            if exhausted or ahead >= k:
                break
        elif distinct >= k or exhausted:
            break
        m *= 4
    if not len(ids):
        return Ranking([], 0, False)
    # Rank of each passage within its own article (0 for the best, 1 for the second, ...):
    # its position in a stable sort by article, minus where its article's run starts.
    by_owner = np.argsort(found, kind="stable")
    grouped = found[by_owner]
    position = np.arange(grouped.shape[0])
    starts = np.concatenate(([True], grouped[1:] != grouped[:-1]))
    rounds = np.empty_like(position)
    rounds[by_owner] = position - np.maximum.accumulate(np.where(starts, position, 0))
    if combined is None:
        order = np.lexsort((position, rounds))[:k]
    else:  # articles' best passages in order of their combined score (support)
        order = np.lexsort((position, np.where(rounds == 0, -combined, 0), rounds))[:k]
    passages = list(zip(ids[order].tolist(), scores[order].tolist(), strict=True))
    top = tuple(plain[:SPREAD_DEPTH].tolist())
    return Ranking(passages, distinct, len(ids) == m, top)


def cite(
    store: Store,
    analyzer: Analyzer,
    index: Index,
    query: str,
    terms: Sequence[str],
    ranked: Sequence[tuple[int, float]],
    first_rank: int,
    *,
    tuning: Weights = WEIGHTS,
) -> list[Hit]:
    """Turn ranked ``(passage id, score)`` pairs into hits quoting the window that answers.

    The excerpt may come from another passage of the hit's article than the one that ranked
    (:mod:`retrieval.windows`): the article's passages have consecutive ids, so the index
    scores just those ranges (all the page's articles in one pass) to find each article's
    next best passages, and one store read fetches them for the whole page. Only a hit on
    its article's best passage borrows. Query terms are weighted by idf (an asked noun by
    its scale times that, :mod:`retrieval.asked_noun`), so the rare, telling words of a
    question decide what is quoted.

    Hits choose in rank order, and no passage is quoted twice on a page. The first hit may
    borrow a passage that is a later hit of its own (in a small collection one article fills
    the page): the answer then leads the page, and that later hit quotes the passage the
    earlier one ranked by instead, so the page still shows each passage once. Hits are
    cited a page at a time, so a passage quoted on one page may be a hit on the next.
    """
    found = store.passages([pid for pid, _ in ranked])
    articles = store.articles(list({p.article_id for p in found}))
    if len(articles) < len({p.article_id for p in found}):
        # Another process replaced or removed an article after this ranking's snapshot was
        # taken: its passages are not cited, and this engine masks them at its next refresh.
        live = [(p, r) for p, r in zip(found, ranked, strict=True) if p.article_id in articles]
        found, ranked = [p for p, _ in live], [r for _, r in live]
    weights = {term: index.idf(term) * scale_of(terms, term) for term in set(terms)}
    counts = [articles[p.article_id].passages for p in found]
    extra = _next_best_page(index, terms, found, counts)
    on_page = {p.id: p for p in found}
    wanted = sorted({pid for ids in extra for pid in ids} - on_page.keys())
    more = on_page | {p.id: p for p in store.passages(wanted)}
    holds = _holding(index, terms, sorted({pid for ids in extra for pid in ids} & more.keys()))
    everything = frozenset(weights)
    quoted: set[int] = set()
    left: dict[str, list[Passage]] = {}  # each article's ranked passages so far, in rank order
    hits = []
    for rank, (passage, (_, score), ids) in enumerate(
        zip(found, ranked, extra, strict=True), first_rank
    ):
        if passage.id in quoted:
            # An earlier hit of this article quoted this passage: quote one it left instead
            # (there is always one: each hit quotes one passage, and it ranked by one).
            candidates = [p for p in left[passage.article_id] if p.id not in quoted]
            may = [everything] * len(candidates)
        else:
            own = [i for i in ids if i in more and i not in quoted]
            candidates = [passage, *(more[i] for i in own)]
            may = [everything, *(holds[i] for i in own)]
            left.setdefault(passage.article_id, []).append(passage)
        choice = choose(query, candidates, weights, analyzer, tuning=tuning, holds=may)
        quoted.add(choice.passage.id)
        hits.append(
            Hit(
                rank=rank,
                score=score,
                article=articles[passage.article_id],
                passage=choice.passage,
                excerpt=choice.span.slice(choice.passage.text),
                excerpt_span=choice.span,
                highlights=choice.highlights,
                ranked=passage,
                cut_start=choice.cut_start,
                cut_end=choice.cut_end,
            )
        )
    return hits


def _holding(index: Index, terms: Sequence[str], ids: list[int]) -> dict[int, frozenset[str]]:
    """The query terms each of passages ``ids`` may hold, by the index: what the window
    chooser needs to skip reading a passage that cannot hold the answer (``choose``)."""
    distinct = list(dict.fromkeys(terms))
    held = index.holding(distinct, np.array(ids, dtype=np.int64)).T.tolist()
    return {
        i: frozenset(t for t, h in zip(distinct, row, strict=True) if h)
        for i, row in zip(ids, held, strict=True)
    }


def _next_best(index: Index, terms: Sequence[str], passage: Passage, count: int) -> list[int]:
    """Ids of other passages of ``passage``'s article (``count`` passages) to quote from.

    The next best by score and the opening passage, each only if it holds a query term, and
    none unless ``passage`` is its article's best (ties to the lower id, as ``diversify``
    ranks them). One hit at a time: ``cite`` uses :func:`_next_best_page`, which the tests
    check against this.
    """
    if count < 2:
        return []
    first = passage.id - passage.ordinal
    return _pick(index.scores_between(terms, first, first + count), passage)


def _next_best_page(
    index: Index, terms: Sequence[str], passages: Sequence[Passage], counts: Sequence[int]
) -> list[list[int]]:
    """``_next_best`` for every hit of a page, its articles scored in one pass of the index.

    ``counts[i]`` is the number of passages of ``passages[i]``'s article. An article with two
    hits on the page is scored once.
    """
    firsts = {p.id - p.ordinal: n for p, n in zip(passages, counts, strict=True) if n >= 2}
    starts = np.array(sorted(firsts), dtype=np.int64)
    stops = starts + np.array([firsts[s] for s in starts.tolist()], dtype=np.int64)
    scores = index.scores_in(terms, starts, stops)
    where = dict(zip(starts.tolist(), (stops - starts).cumsum().tolist(), strict=True))
    chosen: list[list[int]] = []
    for passage, count in zip(passages, counts, strict=True):
        first = passage.id - passage.ordinal
        if count < 2:
            chosen.append([])
            continue
        end = where[first]
        chosen.append(_pick(scores[end - firsts[first] : end], passage))
    return chosen


def _pick(scores: npt.NDArray[np.float64], passage: Passage) -> list[int]:
    """The ids ``_next_best`` keeps, given the scores of ``passage``'s whole article."""
    first = passage.id - passage.ordinal
    order = np.lexsort((np.arange(scores.shape[0]), -scores)).tolist()
    if not order or first + order[0] != passage.id:
        return []
    chosen = [i for i in order[1:CANDIDATES] if scores[i] > 0]
    if passage.ordinal != 0 and 0 not in chosen and scores[0] > 0:
        chosen.append(0)
    return [first + i for i in chosen]
