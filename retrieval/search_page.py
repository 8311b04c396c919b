"""The page a search shows: its ranked passages cited, each with the copies folded into it.

Kept apart from :mod:`retrieval.engine` because it is the one step of a search that reads the
store for every hit (citing, :func:`retrieval.ranking.cite`), and because folded copies touch
both what is shown and what is counted: a copy is listed under the result it folded into
and leaves the count of matched articles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from retrieval.models import ArticleInfo, Hit
from retrieval.ranking import cite
from retrieval.snapshots import Snapshot
from retrieval.store import Store
from retrieval.text import Analyzer

Ranked = Sequence[tuple[int, float]]


def cited_page(
    store: Store,
    analyzer: Analyzer,
    snapshot: Snapshot,
    asked: str,
    terms: Sequence[str],
    ranked: Ranked,
    also: Sequence[tuple[ArticleInfo, ...]],
    offset: int,
    limit: int | None,
) -> list[Hit]:
    """Hits ``offset`` up to ``limit`` (None: all) of ``ranked``, cited from ``asked``, each
    carrying its other copies ``also`` (one tuple per ranked passage) as ``Hit.also``."""
    stop = len(ranked) if limit is None else offset + limit
    page = ranked[offset:stop]
    hits = cite(store, analyzer, snapshot.index, asked, terms, page, offset + 1)
    # Matched by passage: citing drops a hit whose article another process just removed.
    copies = {pid: a for (pid, _), a in zip(ranked, also, strict=True) if a}
    return [
        replace(h, also=copies[key]) if (key := (h.ranked or h.passage).id) in copies else h
        for h in hits
    ]


def matched(articles: int, ranked: Ranked, also: Sequence[tuple[ArticleInfo, ...]]) -> int:
    """How many articles matched (``articles`` counted by ranking), less the copies folded
    away: they are not results of their own. At least 1 when anything ranked."""
    return max(articles - sum(map(len, also)), min(len(ranked), 1))
