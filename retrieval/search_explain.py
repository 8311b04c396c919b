"""``Engine.explain``'s work: one passage's score for a question, as that search ranked it.

Kept apart from :mod:`retrieval.explain`, which writes a score out from an index and a
passage's text alone, because this is the step between it and a search: the date window the
search used (widened as the search widens a range that matches nothing), the stored passage,
and the title field's bonus. Kept out of :mod:`retrieval.engine` so ``explain`` there stays an
entry point.
"""

from __future__ import annotations

from dataclasses import replace

from retrieval.coverage import coverage_factor
from retrieval.explain import Explanation, Support, date_factors, explain_passage, title_factor
from retrieval.recency import Recency
from retrieval.related import RELATED_CHARS
from retrieval.rerank import Rerank, proximity_factor
from retrieval.search_dates import Reading, any_date
from retrieval.snapshots import Snapshot
from retrieval.store import Store
from retrieval.support import next_best
from retrieval.text import Analyzer


def explain_read(
    snapshot: Snapshot,
    store: Store,
    analyzer: Analyzer,
    read: Reading,
    recency: Recency,
    title_weight: float,
    passage_id: int,
    related: bool,
    support: float = 0.0,
    coverage: float = 0.0,
    rerank: Rerank | None = None,
) -> Explanation | None:
    """Why ``passage_id`` scores what a search of ``read`` shows for it: word by word, then
    the title bonus and the recency factor (or the date range) applied; with the search's
    ``support`` weight, what its article's next best passage added to the article's rank.
    With ``coverage``, the share of the question the passage holds comes first. With
    ``rerank``, what its question words' proximity added, when the search's first stage
    ranked it among the passages the second one reorders (``retrieval.rerank``).

    None when the snapshot or the store has no passage with that id.
    """
    dates, named = read.dated.window, read.found.range
    bonus = snapshot.title_bonus(read.terms, title_weight)
    # As search does: a range (kept to, not preferred) that matches nothing is widened.
    if named is not None and not read.dated.preferred:
        ids, _ = snapshot.ranked().top_k(read.terms, 1, dates, bonus)
        if not len(ids):
            dates, named = any_date(snapshot, read.today, recency), None
    index = snapshot.index
    if not 0 <= passage_id < index.n_docs:
        return None
    rows = list(store.passage_texts(passage_id, passage_id + 1))
    if not rows:
        return None
    _, title, text = rows[0]
    rest = read.found.rest
    asked = rest[:RELATED_CHARS] if related else rest
    explained = explain_passage(index, analyzer, asked, read.terms, passage_id, title, text)
    covers = coverage_factor(index, read.terms, passage_id, coverage, explained.words_score)
    factors = [covers, title_factor(bonus, title_weight, passage_id)]
    if rerank is not None:
        firsts, _, _, _ = snapshot.ranked().top_k_covered(
            read.terms, rerank.depth, coverage, dates, bonus
        )
        if passage_id in firsts.tolist():
            factors.append(proximity_factor(rerank, passage_id))
    factors += date_factors(dates, passage_id, named, read.dated.preferred)
    kept = tuple(factor for factor in factors if factor is not None)
    explained = replace(explained, factors=kept) if kept else explained
    if support > 0:
        other = next_best(
            snapshot.ranked(), snapshot.owners, read.terms, passage_id, dates, bonus, coverage
        )
        # Only when another passage matched (it added something) and this passage is the
        # one its article ranked by.
        if 0 < other <= explained.score:
            explained = replace(explained, support=Support(support, other))
    return explained
