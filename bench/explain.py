"""What a "Why?" costs beside the search it explains, on a synthetic store of Zipf-worded articles.

For each query the search (``Engine.search``, k=10, as the bot runs it) is timed, then
``Engine.explain`` for its top hit and for all ten hits, in the same run; the table gives the
medians and the explanation's cost as a share of the search's. The words are drawn from a
Zipf distribution over a made-up vocabulary, so common and rare terms mix as in news text.

    python -m bench.explain [--articles 4000] [--queries 200]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from bench.machine import machine_report, markdown_table
from retrieval import Article, Engine

VOCABULARY = 20_000
WORDS_PER_ARTICLE = 400
SEED = 7


def words(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` made-up words, Zipf-distributed over the vocabulary (``w`` + a number)."""
    ranks = np.minimum(rng.zipf(1.2, size=n), VOCABULARY)
    return [f"w{rank}x" for rank in ranks.tolist()]


def build(articles: int) -> Engine:
    """An in-memory engine over ``articles`` synthetic articles of a few passages each."""
    rng = np.random.default_rng(SEED)
    engine = Engine.open(":memory:", workers=1)
    batch = []
    for n in range(articles):
        body = words(rng, WORDS_PER_ARTICLE)
        text = "\n\n".join(" ".join(body[i : i + 80]) + "." for i in range(0, len(body), 80))
        batch.append(Article(title=" ".join(words(rng, 6)), text=text, id=f"a{n}"))
    engine.ingest(batch)
    return engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=4000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    print(machine_report())
    started = time.perf_counter()
    engine = build(args.articles)
    stats = engine.stats()
    print(f"\nstore: {stats.articles:,} articles, {stats.passages:,} passages "
          f"(built in {time.perf_counter() - started:.1f} s)\n")  # fmt: skip
    rng = np.random.default_rng(SEED + 1)
    search_ms, top_ms, all_ms, worst = [], [], [], 0.0
    for _ in range(args.queries):
        query = " ".join(words(rng, int(rng.integers(2, 6))))
        t0 = time.perf_counter()
        result = engine.search(query, 10, min_share=0.0)
        t1 = time.perf_counter()
        if not result.hits:
            continue
        ids = [(hit.ranked or hit.passage).id for hit in result.hits]
        first = engine.explain(query, ids[0])
        t2 = time.perf_counter()
        explained = [engine.explain(query, pid) for pid in ids]
        t3 = time.perf_counter()
        assert first is not None
        for hit, explanation in zip(result.hits, explained, strict=True):
            assert explanation is not None
            worst = max(worst, abs(explanation.score - hit.score))
        search_ms.append((t1 - t0) * 1000)
        top_ms.append((t2 - t1) * 1000)
        all_ms.append((t3 - t2) * 1000)
    search = statistics.median(search_ms)
    rows = [
        ("search, k=10 (reference)", f"{search:.2f}", "1.00"),
        ("explain the top hit", f"{statistics.median(top_ms):.2f}",
         f"{statistics.median(top_ms) / search:.2f}"),
        ("explain all 10 hits", f"{statistics.median(all_ms):.2f}",
         f"{statistics.median(all_ms) / search:.2f}"),
    ]  # fmt: skip
    print(markdown_table(("step", "median ms", "× search"), rows))
    print(f"\n{len(search_ms)} queries with hits; "
          f"largest |explained - searched| score: {worst:.1e}")  # fmt: skip


if __name__ == "__main__":
    main()
