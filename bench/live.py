"""Live update on a large index: how soon a batch is searchable, and what readers feel meanwhile.

What is measured, exactly: an ``Engine`` over an in-memory store is given a prebuilt index of
synthetic passages (``bench/corpus.py``, cached under ``bench/.cache``) as its current
snapshot, because filling a SQLite store with a million passages through ``Engine.ingest``
takes many minutes. The store gets one empty placeholder article per synthetic passage,
written straight into its tables, so its passage ids line up with the index as the engine
requires (it indexes whatever the store holds past its index). A batch of real eval
articles (repeated copies get numbered titles) then goes through ``Engine.ingest``: chunking,
analysis, store transaction, ``Index.add`` and ``Index.save`` into a directory already
holding the big index, so the save writes only the new segments. A reader thread runs
top-10 searches (real analyzed news questions) on whatever snapshot is current, before,
during and after the ingest. Reader latency is ranking only (``Index.top_k``); citing
excerpts needs the passages' text, which the placeholders do not have.

    python -m bench.live [--passages 1000000] [--articles 1000] [--quick]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.corpus import analysis_fingerprint, queries, synthetic
from bench.ingest import article_stream
from bench.machine import CACHE, fmt, latency, machine_report, markdown_table
from retrieval.bm25 import Index
from retrieval.engine import Engine
from retrieval.models import Article
from retrieval.recency import UNDATED
from retrieval.snapshots import Snapshot

MIN_ARTICLE_CHARS = 3_000
"""Shorter eval articles make one or two passages; live feed articles make several."""

QUIET_SECONDS = 10.0


def big_index(passages: int) -> Index:
    """A synthetic index of ``passages`` passages, built once and then loaded from the cache."""
    folder = CACHE / f"live-{passages}-{analysis_fingerprint()}.index"
    if (folder / "manifest.json").exists():
        return Index.load(folder)
    corpus = synthetic(passages)
    index = Index.build(corpus.token_lists())
    index.save(folder)
    return index


def fill_store(engine: Engine, passages: int) -> None:
    """One empty placeholder article per synthetic passage, straight into the store's tables."""
    db = engine._store._db
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO articles (seq, id, key, title, text, added_at, first_passage, passages)"
        " VALUES (?, ?, ?, '', '', '', ?, 1)",
        ((i + 1, f"synthetic-{i}", f"synthetic:{i}", i) for i in range(passages)),
    )
    db.executemany(
        "INSERT INTO passages (id, article_seq, start, end) VALUES (?, ?, 0, 0)",
        ((i, i + 1) for i in range(passages)),
    )
    db.execute("COMMIT")


def batch(n: int) -> list[Article]:
    """The first ``n`` eval articles long enough to make several passages."""
    chosen: list[Article] = []
    for article in article_stream():
        if len(chosen) == n:
            return chosen
        if isinstance(article, Article) and len(article.text) >= MIN_ARTICLE_CHARS:
            chosen.append(article)
    return chosen


class Reader(threading.Thread):
    """Searches the engine's current snapshot in a loop, recording (start, seconds, n_docs)."""

    def __init__(self, engine: Engine, query_lists: list[list[str]]) -> None:
        super().__init__(daemon=True)
        self.engine = engine
        self.query_lists = query_lists
        self.samples: list[tuple[float, float, int]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        """Issue top-10 searches back to back until stopped."""
        i = 0
        while not self.stop.is_set():
            index = self.engine._snapshot.index  # what Engine.search ranks with
            terms = self.query_lists[i % len(self.query_lists)]
            start = time.perf_counter()
            index.top_k(terms, 10)
            self.samples.append((start, time.perf_counter() - start, index.n_docs))
            i += 1

    def between(self, first: float, last: float) -> list[float]:
        """Latencies of the searches that started in ``[first, last)``."""
        return [took for start, took, _ in self.samples if first <= start < last]

    def first_seeing(self, n_docs: int) -> float:
        """Start time of the first search that ranked over more than ``n_docs`` passages."""
        return min((s for s, _, seen in self.samples if seen > n_docs), default=float("nan"))


def timed(call: Callable[..., object], spent: list[float]) -> Callable[..., object]:
    """Wrap ``call`` so each call's wall time is appended to ``spent``."""

    def wrapper(*args: object) -> object:
        start = time.perf_counter()
        try:
            return call(*args)
        finally:
            spent.append(time.perf_counter() - start)

    return wrapper


def main(argv: list[str] | None = None) -> None:
    """Build or load the big index, ingest one batch under search load, print the tables."""
    parser = argparse.ArgumentParser(prog="python -m bench.live", description=__doc__)
    parser.add_argument("--passages", type=int, default=1_000_000)
    parser.add_argument("--articles", type=int, default=1_000)
    parser.add_argument("--quick", action="store_true", help="smoke run: 100k passages, 200")
    args = parser.parse_args(argv)
    passages, n_articles = (100_000, 200) if args.quick else (args.passages, args.articles)
    print("## Live update under search load\n")
    print(machine_report() + "\n")
    start = time.perf_counter()
    index = big_index(passages)
    print(f"big index ready in {time.perf_counter() - start:.1f} s (load or build)")
    articles = batch(n_articles)
    query_lists = queries(1000)
    with tempfile.TemporaryDirectory(prefix="live-", dir=CACHE) as scratch:
        engine = Engine.open(":memory:", workers=2)
        fill_store(engine, index.n_docs)
        engine.index_dir = Path(scratch) / "index"
        start = time.perf_counter()
        index.save(engine.index_dir)
        full_save = time.perf_counter() - start
        owners = np.arange(index.n_docs, dtype=np.int32)  # one synthetic article per passage
        undated = np.full(index.n_docs, UNDATED, dtype=np.int64)  # the prior leaves them be
        engine._snapshot = Snapshot(index, owners, index.n_docs, undated)
        saves: list[float] = []
        engine._save = timed(engine._save, saves)  # type: ignore[method-assign,assignment]
        reader = Reader(engine, query_lists)
        reader.start()
        time.sleep(QUIET_SECONDS)
        began = time.perf_counter()
        summary = engine.ingest(articles)
        ended = time.perf_counter()
        time.sleep(QUIET_SECONDS)
        reader.stop.set()
        reader.join()
        after = engine._snapshot.index
        engine.close()
    visible = reader.first_seeing(index.n_docs) - began
    new = summary.passages
    print(
        f"\nbatch: {len(articles)} articles, {new:,} passages ({new / len(articles):.1f}/article)"
    )
    print(f"segments: {index.segment_count} before, {after.segment_count} after\n")
    rows = [
        ["Engine.ingest, whole call (analyze, store, add, save)", fmt(ended - began, 2)],
        ["first reader search that saw the new passages, after", fmt(visible, 2)],
        ["Index.save inside the ingest (new segments + manifest)", fmt(sum(saves), 2)],
        [f"full save of the {index.n_docs:,}-passage index, for scale", fmt(full_save, 2)],
    ]
    print(markdown_table(("step", "seconds"), rows) + "\n")
    phases = [
        ("before (reader alone)", reader.between(began - QUIET_SECONDS, began)),
        ("during Engine.ingest", reader.between(began, ended)),
        ("after (new segment in place)", reader.between(ended, ended + QUIET_SECONDS)),
    ]
    table = []
    for label, seconds in phases:
        stats = latency(seconds)
        table.append([label, stats.n, fmt(stats.p50_ms), fmt(stats.p99_ms), fmt(stats.mean_ms)])
    print(markdown_table(("top-10 searches", "n", "p50 ms", "p99 ms", "mean ms"), table))


if __name__ == "__main__":
    main()
