"""The engines bench.search times, each built from the same token lists and answering top-10.

One builder per engine returns a search callable plus optional extras: a
``check`` that compares against a reference, a ``folder`` to delete after.
Each builder imports its library itself so a child process pays only for the
engine it runs.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from retrieval.bm25 import Index, Scorer

K = 10

Search = Callable[[list[str]], object]
Built = tuple[Search, dict[str, Any]]


def exhaustive_top(scores: np.ndarray, k: int) -> np.ndarray:
    """Return the reference top-k: order by (-score, id), positive scores only."""
    order = np.lexsort((np.arange(scores.size), -scores))
    return order[scores[order] > 0][:k]


def grow(
    index: Index, chunks: Iterable[list[list[str]]], spill: bool
) -> tuple[Index, dict[str, Any]]:
    """``index`` plus every batch; with ``spill``, each batch's segments go to a temporary
    folder and stay there, memory-mapped (``Index.spill``), as tantivy's do.

    The extras then name that folder, so a restart opens it instead of saving a copy.
    """
    if not spill:
        for lists in chunks:
            index = index.add(lists)
        return index, {}
    folder = Path(tempfile.mkdtemp(prefix="bench-ours-"))
    for lists in chunks:
        index = index.add(lists).spill(folder / "passages")
        del lists
    return index, {"folder": str(folder), "restart": (str(folder),)}


def build_ours(chunks: Iterable[list[list[str]]], scorer: Scorer, spill: bool = False) -> Built:
    """Build our index a batch at a time and check its pruned top-k against exhaustive scores.

    With ``spill`` the segments are written out batch by batch (see :func:`grow`).
    """
    from retrieval.bm25 import BM25Params, Index

    index, extra = grow(Index.empty(BM25Params(scorer=scorer)), chunks, spill)

    def check(sample: Sequence[list[str]]) -> dict[str, Any]:
        bad = 0
        for query in sample:
            ids, scores = index.top_k(query, K)
            full = index.scores(query)
            want = exhaustive_top(full, K)
            same_ids = np.array_equal(np.asarray(ids), want)
            if not (same_ids and np.array_equal(np.asarray(scores), full[want])):
                bad += 1
        return {"exact": f"{bad}/{len(sample)} mismatches", "nbytes_mb": index.nbytes / 2**20}

    def save(folder: Path) -> None:
        index.save(folder / "passages")

    saving = {"save": save} if "restart" not in extra else {}
    return (lambda query: index.top_k(query, K)), {"check": check, **saving, **extra}


TITLE_WEIGHT_BENCH = 0.5  # what bench.search times; the shipped default is in retrieval.titles


def reference_bonus(field: Any, query: list[str], weight: float) -> Any:
    """The title bonus from every title's dense score (``Index.scores``): the fast path's
    reference, spread over each article's passages with numpy."""
    from retrieval.topk import Bonus

    scores = field.index.scores(query)
    hit = np.flatnonzero(scores != 0)
    starts, ends = field.firsts[hit], field.firsts[hit + 1]
    keep = ends > starts
    return Bonus(starts[keep], ends[keep], weight * scores[hit][keep])


def build_ours_titles(
    chunks: Iterable[list[list[str]]],
    counts: np.ndarray,
    titles: list[list[str]],
    *,
    prior: bool = False,
) -> Built:
    """Our index with the title field on: passages plus a title index, checked exhaustively.

    ``chunks`` are the passages' token lists a batch at a time (a 10M corpus never exists
    as one list); ``counts`` and ``titles`` describe the articles the passages belong to.
    With ``prior`` the passages are also dated and searched with the default recency prior
    (:func:`passage_dates`), as the engine searches with the title field on. The check
    compares the bonus with :func:`reference_bonus` and the top-k with every passage scored.
    """
    from retrieval.bm25 import BM25Params, Index
    from retrieval.recency import factors
    from retrieval.titles import TITLE_WEIGHT, Titles

    params = BM25Params(scorer="lucene")
    index = Index.empty(params)
    for lists in chunks:
        index = index.add(lists)
    field = Titles.empty(params).add(titles, counts.tolist())
    weight = TITLE_WEIGHT or TITLE_WEIGHT_BENCH
    stamps, dates = passage_dates(index.n_docs, ranged=False) if prior else (None, None)

    def search(query: list[str]) -> object:
        return index.top_k(query, K, dates, field.bonus(query, weight))

    def check(sample: Sequence[list[str]]) -> dict[str, Any]:
        bad = 0
        factor = factors(dates) if dates is not None else 1.0
        for query in sample:
            bonus = field.bonus(query, weight)
            want_bonus = reference_bonus(field, query, weight)
            same_bonus = all(
                np.array_equal(getattr(bonus, name), getattr(want_bonus, name))
                for name in ("starts", "ends", "values")
            )
            ids, scores = index.top_k(query, K, dates, bonus)
            full = index.scores(query, want_bonus) * factor
            want = exhaustive_top(full, K)
            same = np.array_equal(ids, want) and np.array_equal(scores, full[want])
            bad += not (same and same_bonus)
        nbytes = (index.nbytes + field.index.nbytes + field.firsts.nbytes) / 2**20
        return {"exact": f"{bad}/{len(sample)} mismatches", "nbytes_mb": nbytes}

    def save(folder: Path) -> None:
        index.save(folder / "passages")
        field.index.save(folder / "titles")
        np.save(folder / "firsts.npy", field.firsts, allow_pickle=False)
        if stamps is not None:
            np.save(folder / "stamps.npy", stamps)

    return search, {"check": check, "save": save}


def restart_ours_titles(folder: Path, *, prior: bool = False) -> Search:
    """Load what ``build_ours_titles`` saved, as a restarted process would."""
    from retrieval.bm25 import Index
    from retrieval.titles import TITLE_WEIGHT, Titles

    index = Index.load(folder / "passages")
    field = Titles(Index.load(folder / "titles"), np.load(folder / "firsts.npy"))
    weight = TITLE_WEIGHT or TITLE_WEIGHT_BENCH
    dates = dated_window(np.load(folder / "stamps.npy"), ranged=False) if prior else None
    return lambda query: index.top_k(query, K, dates, field.bonus(query, weight))


def restart_ours(folder: Path) -> Search:
    """Load what ``build_ours`` saved, as a restarted process would."""
    from retrieval.bm25 import Index

    index = Index.load(folder / "passages")
    return lambda query: index.top_k(query, K)


NOW = (2024, 6, 15)  # the bench's "today" (UTC)


def passage_dates(n_docs: int, ranged: bool) -> tuple[np.ndarray, Any]:
    """Seeded stamps of ``n_docs`` passages and the search window the dated engines use.

    Dates are drawn over three years before "today", one passage in ten undated (seeded, so
    every run searches the same ones); the window is the default recency prior, or a 90-day
    range from the question when ``ranged``.
    """
    from datetime import UTC, datetime

    from retrieval.recency import UNDATED

    now = datetime(*NOW, tzinfo=UTC)
    rng = np.random.default_rng(3)
    ages = rng.uniform(0, 3 * 365 * 86_400, size=n_docs).astype(np.int64)
    stamps = np.where(rng.random(n_docs) < 0.1, UNDATED, int(now.timestamp()) - ages)
    return stamps, dated_window(stamps, ranged)


def dated_window(stamps: np.ndarray, ranged: bool) -> Any:
    """The search window over ``stamps``: the default prior, or a 90-day range."""
    from datetime import UTC, datetime, timedelta

    from retrieval.recency import RECENCY, window

    now = datetime(*NOW, tzinfo=UTC)
    since = now - timedelta(days=90) if ranged else None
    return window(stamps, now, RECENCY, since)


def build_ours_dated(chunks: Iterable[list[list[str]]], ranged: bool, spill: bool = False) -> Built:
    """Our index searched with passage dates: the recency prior, or a 90-day date range.

    Built a batch at a time like ``build_ours`` (so it streams at 10M passages), dated by
    :func:`passage_dates`. Checked like ``build_ours``, against the exhaustive scores times
    each passage's factor.
    """
    from retrieval.bm25 import BM25Params, Index
    from retrieval.recency import factors

    index, extra = grow(Index.empty(BM25Params()), chunks, spill)
    stamps, dates = passage_dates(index.n_docs, ranged)
    if "restart" in extra:
        np.save(Path(extra["restart"][0]) / "stamps.npy", stamps)
    weight = factors(dates)

    def check(sample: Sequence[list[str]]) -> dict[str, Any]:
        bad = 0
        for query in sample:
            ids, scores = index.top_k(query, K, dates)
            full = index.scores(query) * weight
            want = exhaustive_top(full, K)
            same_ids = np.array_equal(np.asarray(ids), want)
            if not (same_ids and np.array_equal(np.asarray(scores), full[want])):
                bad += 1
        return {"exact": f"{bad}/{len(sample)} mismatches", "nbytes_mb": index.nbytes / 2**20}

    def save(folder: Path) -> None:
        index.save(folder / "passages")
        np.save(folder / "stamps.npy", stamps)

    saving = {"save": save} if "restart" not in extra else {}
    return (lambda query: index.top_k(query, K, dates)), {"check": check, **saving, **extra}


def restart_ours_dated(folder: Path, ranged: bool) -> Search:
    """Load what ``build_ours_dated`` saved, as a restarted process would."""
    from retrieval.bm25 import Index

    index = Index.load(folder / "passages")
    dates = dated_window(np.load(folder / "stamps.npy"), ranged)
    return lambda query: index.top_k(query, K, dates)


def build_csc(lists: list[list[str]]) -> Built:
    """Build a Lucene-BM25 score matrix in CSC form; a query sums only its terms' columns."""
    from scipy import sparse

    vocab: dict[str, int] = {}
    rows = np.repeat(np.arange(len(lists)), [len(tokens) for tokens in lists])
    cols = np.fromiter(
        (vocab.setdefault(t, len(vocab)) for tokens in lists for t in tokens), np.int64, rows.size
    )
    tf = sparse.csc_matrix((np.ones(rows.size), (rows, cols)), shape=(len(lists), len(vocab)))
    tf.sum_duplicates()
    n, k1, b = len(lists), 1.5, 0.75
    lengths = np.bincount(rows, minlength=n).astype(np.float64)
    norm = k1 * (1 - b + b * lengths / max(lengths.mean(), 1e-9))
    df = np.diff(tf.indptr)
    idf = np.log1p((n - df + 0.5) / (df + 0.5))
    col_of = np.repeat(np.arange(len(vocab)), df)
    data = idf[col_of] * tf.data * (k1 + 1) / (tf.data + norm[tf.indices])
    indptr, indices = tf.indptr, tf.indices

    def search(query: list[str]) -> np.ndarray:
        acc = np.zeros(n)
        for term in query:
            col = vocab.get(term)
            if col is not None:
                lo, hi = indptr[col], indptr[col + 1]
                acc[indices[lo:hi]] += data[lo:hi]
        top = np.argpartition(-acc, K)[:K] if n > K else np.arange(n)
        return top[np.lexsort((top, -acc[top]))]

    return search, {}


def build_rank_bm25(lists: list[list[str]]) -> Built:
    """Build rank_bm25's BM25Okapi and, up to 100k passages, check our okapi scores against it."""
    from rank_bm25 import BM25Okapi

    model = BM25Okapi(lists)

    def search(query: list[str]) -> np.ndarray:
        scores = model.get_scores(query)
        return np.argpartition(-scores, K)[:K] if scores.size > K else np.arange(scores.size)

    def check(sample: Sequence[list[str]]) -> dict[str, Any]:
        if len(lists) > 100_000:
            return {"exact": "reference (parity checked up to 100k)"}
        from retrieval.bm25 import BM25Params, Index

        ours = Index.build(lists, BM25Params(scorer="okapi"))
        worst = max(
            float(np.max(np.abs(ours.scores(q) - model.get_scores(q)), initial=0.0)) for q in sample
        )
        verdict = "ok" if worst <= 1e-9 else "FAIL"
        return {"exact": f"okapi parity {verdict}: max abs diff {worst:.1e} ({len(sample)} q)"}

    return search, {"check": check}


def build_bm25s(lists: list[list[str]]) -> Built:
    """Build bm25s (method "lucene", numpy backend) from the same token lists."""
    import bm25s

    model = bm25s.BM25(method="lucene", k1=1.5, b=0.75)
    model.index(lists, show_progress=False)

    def search(query: list[str]) -> object:
        return model.retrieve([query], k=K, show_progress=False, n_threads=1)

    return search, {}


def _tantivy_schema(titles: bool) -> Any:
    import tantivy

    schema = tantivy.SchemaBuilder()
    schema.add_text_field("body", stored=False, tokenizer_name="ws", index_option="freq")
    if titles:
        schema.add_text_field("title", stored=False, tokenizer_name="ws", index_option="freq")
    return schema.build()


def _tantivy_open(folder: str, titles: bool) -> Search:
    """Open a saved tantivy index and return its search (as a restarted process would)."""
    import tantivy

    index = tantivy.Index(_tantivy_schema(titles), path=folder)
    index.register_tokenizer(
        "ws", tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()
    )
    index.reload()
    searcher = index.searcher()
    fields = ["body", "title"] if titles else ["body"]
    from retrieval.titles import TITLE_WEIGHT

    boosts = {"title": TITLE_WEIGHT or TITLE_WEIGHT_BENCH} if titles else {}

    def search(query: list[str]) -> object:
        return searcher.search(index.parse_query(" ".join(query), fields, boosts), K).hits

    return search


def build_tantivy(
    chunks: Iterable[list[list[str]]],
    counts: np.ndarray | None = None,
    titles: list[list[str]] | None = None,
) -> Built:
    """Index the tokens joined by spaces under a whitespace tokenizer, one writer thread.

    With ``titles`` each passage also gets its article's title as a second field, searched
    beside the body with the title field's weight as boost (tantivy's BM25 per field, summed).
    """
    import tantivy

    with_titles = titles is not None and counts is not None
    folder = tempfile.mkdtemp(prefix="bench-tantivy-")
    index = tantivy.Index(_tantivy_schema(with_titles), path=folder)
    index.register_tokenizer(
        "ws", tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()
    )
    writer = index.writer(heap_size=500_000_000, num_threads=1)
    owner = np.repeat(np.arange(len(counts)), counts) if with_titles else None
    joined = [" ".join(t) for t in titles] if with_titles and titles is not None else []
    passage = 0
    for lists in chunks:
        for tokens in lists:
            if owner is None:
                writer.add_document(tantivy.Document(body=" ".join(tokens)))
            else:
                title = joined[int(owner[passage])]
                writer.add_document(tantivy.Document(body=" ".join(tokens), title=title))
            passage += 1
    writer.commit()
    writer.wait_merging_threads()
    del writer
    search = _tantivy_open(folder, with_titles)
    return search, {"folder": folder, "restart": (folder, with_titles)}


def restart_tantivy(folder: str, titles: bool) -> Search:
    """Open the index ``build_tantivy`` wrote, as a restarted process would."""
    return _tantivy_open(folder, titles)
