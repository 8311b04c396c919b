"""Search speed of our BM25 index beside rank_bm25, bm25s, tantivy and a plain numpy CSC baseline.

Every engine gets the same analyzed token lists and the same queries, runs
single-threaded, and returns top-10. Each (engine, size) runs in a fresh child
process so its build time and RSS delta are not flattered or inflated by
memory a previous engine left behind.

    python -m bench.search [--sizes 10000,100000,1000000] [--queries 1000] [--quick]
"""

from __future__ import annotations

import argparse
import importlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from bench.corpus import TokenCorpus, queries, synthetic
from bench.machine import fmt, latency, machine_report, markdown_table, rss_bytes

ENGINES = ("ours-lucene", "ours-okapi", "numpy-csc", "rank_bm25", "bm25s", "tantivy")
K = 10
EXACT_SAMPLE = 200
ANCHORS = [  # The figures at 1M passages on a 2-core machine, quoted for the README.
    ("rank_bm25 BM25Okapi", "–", "2300", "–", "–"),
    ("bm25s", "47", "174", "303", "–"),
    ("tantivy", "15", "1.7", "7.6", "–"),
    ("numpy CSC, query postings only", "–", "4.3", "27", "–"),
]
MODULES = {  # imported before the RSS baseline so memory counts the index, not the code
    "ours-lucene": "retrieval.bm25",
    "ours-okapi": "retrieval.bm25",
    "numpy-csc": "scipy.sparse",
    "rank_bm25": "rank_bm25",
    "bm25s": "bm25s",
    "tantivy": "tantivy",
}
TARGETS_1M = {"p50_ms": 2.0, "p99_ms": 15.0, "build_s": 15.0, "memory_mb": 500.0}

Search = Callable[[list[str]], object]


def slow_sample(size: int) -> int:
    """Return how many queries an exhaustive pure-Python engine gets at this corpus size."""
    return 200 if size <= 10_000 else 50 if size <= 100_000 else 20


def exhaustive_top(scores: np.ndarray, k: int) -> np.ndarray:
    """Return the reference top-k: order by (-score, id), positive scores only."""
    order = np.lexsort((np.arange(scores.size), -scores))
    return order[scores[order] > 0][:k]


def build_ours(lists: list[list[str]], scorer: str) -> tuple[Search, dict[str, Any]]:
    """Build our index and check its pruned top-k against the exhaustive scores."""
    from retrieval.bm25 import BM25Params, Index

    index = Index.build(lists, BM25Params(scorer=scorer))  # type: ignore[arg-type]

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

    return (lambda query: index.top_k(query, K)), {"check": check}


def build_csc(lists: list[list[str]]) -> tuple[Search, dict[str, Any]]:
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


def build_rank_bm25(lists: list[list[str]]) -> tuple[Search, dict[str, Any]]:
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


def build_bm25s(lists: list[list[str]]) -> tuple[Search, dict[str, Any]]:
    """Build bm25s (method "lucene", numpy backend) from the same token lists."""
    import bm25s

    model = bm25s.BM25(method="lucene", k1=1.5, b=0.75)
    model.index(lists, show_progress=False)

    def search(query: list[str]) -> object:
        return model.retrieve([query], k=K, show_progress=False, n_threads=1)

    return search, {}


def build_tantivy(lists: list[list[str]]) -> tuple[Search, dict[str, Any]]:
    """Index the tokens joined by spaces under a whitespace tokenizer, one writer thread."""
    import tantivy

    schema = tantivy.SchemaBuilder()
    schema.add_text_field("body", stored=False, tokenizer_name="ws", index_option="freq")
    folder = tempfile.mkdtemp(prefix="bench-tantivy-")
    index = tantivy.Index(schema.build(), path=folder)
    index.register_tokenizer(
        "ws", tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()
    )
    writer = index.writer(heap_size=500_000_000, num_threads=1)
    for tokens in lists:
        writer.add_document(tantivy.Document(body=" ".join(tokens)))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()

    def search(query: list[str]) -> object:
        return searcher.search(index.parse_query(" ".join(query), ["body"]), K).hits

    return search, {"folder": folder}


def run_worker(engine: str, size: int, n_queries: int) -> dict[str, Any]:
    """Build one engine on the cached corpus, time its queries and return one table row."""
    lists = synthetic(size).token_lists()
    sample = queries(n_queries)
    builders: dict[str, Callable[[], tuple[Search, dict[str, Any]]]] = {
        "ours-lucene": lambda: build_ours(lists, "lucene"),
        "ours-okapi": lambda: build_ours(lists, "okapi"),
        "numpy-csc": lambda: build_csc(lists),
        "rank_bm25": lambda: build_rank_bm25(lists),
        "bm25s": lambda: build_bm25s(lists),
        "tantivy": lambda: build_tantivy(lists),
    }
    importlib.import_module(MODULES[engine])
    before = rss_bytes()
    start = time.perf_counter()
    search, extra = builders[engine]()
    build_s = time.perf_counter() - start
    memory_mb = (rss_bytes() - before) / 2**20
    timed = sample[: slow_sample(size)] if engine == "rank_bm25" else sample
    for query in timed[:5]:  # warm caches and lazy imports before timing
        search(query)
    times = []
    for query in timed:
        tick = time.perf_counter()
        search(query)
        times.append(time.perf_counter() - tick)
    stats = latency(times)
    row: dict[str, Any] = {"engine": engine, "size": size, "build_s": build_s}
    row |= {"memory_mb": memory_mb, "p50_ms": stats.p50_ms, "p99_ms": stats.p99_ms}
    row |= {"mean_ms": stats.mean_ms, "queries": stats.n, "exact": "–"}
    if "check" in extra:
        row |= extra["check"](timed[:EXACT_SAMPLE])
    if "folder" in extra:
        shutil.rmtree(extra["folder"], ignore_errors=True)
    return row


def spawn(engine: str, size: int, n_queries: int) -> dict[str, Any]:
    """Run one worker in a fresh interpreter and parse its JSON row (or report its failure)."""
    argv = [sys.executable, "-m", "bench.search", "--worker", engine]
    argv += ["--sizes", str(size), "--queries", str(n_queries)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        return {"engine": engine, "size": size, "exact": f"FAILED: {tail[0][:80]}"}
    row: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return row


def table(rows: list[dict[str, Any]]) -> str:
    """Format rows as the README table; memory is the RSS delta of the build."""
    headers = ("engine", "size", "build s", "memory MB", "p50 ms", "p99 ms", "mean ms", "queries")
    body = []
    for r in rows:
        memory = fmt(r.get("memory_mb", float("nan")), 0)
        if "nbytes_mb" in r:
            memory += f" (nbytes {r['nbytes_mb']:.0f})"
        times = [fmt(r.get(key, float("nan")), 3) for key in ("p50_ms", "p99_ms", "mean_ms")]
        build = fmt(r.get("build_s", float("nan")), 2)
        body.append([r["engine"], f"{r['size']:,}", build, memory, *times, r.get("queries", 0)])
        body[-1].append(r["exact"])
    return markdown_table((*headers, "exact"), body)


def default_engine() -> str:
    """Return the row name of our index with the scorer ``BM25Params()`` defaults to."""
    from retrieval.bm25 import BM25Params

    return f"ours-{BM25Params().scorer}"


def verdicts(rows: list[dict[str, Any]]) -> list[str]:
    """Say, for each size of 1M or more, whether our default index met the issue's targets."""
    lines = []
    name = default_engine()
    for ours in (r for r in rows if r["engine"] == name and r["size"] >= 1_000_000):
        for key, limit in TARGETS_1M.items():
            value = ours.get(key, float("nan"))
            state = "met" if value <= limit else "NOT met"
            lines.append(f"- {ours['size']:,}: {key} {fmt(value)} (target <= {limit}): {state}")
        rival = next(
            (r for r in rows if r["engine"] == "tantivy" and r["size"] == ours["size"]), {}
        )
        for key in ("p50_ms", "p99_ms"):
            mine, theirs = ours.get(key, float("nan")), rival.get(key, float("nan"))
            state = "as fast or faster" if mine <= theirs else "slower"
            versus = f"ours {fmt(mine, 3)} vs tantivy {fmt(theirs, 3)}"
            lines.append(f"- {ours['size']:,}: {key} {versus}: {state}")
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    """Parse flags, then run every engine at every size and print the Markdown report."""
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="passage counts")
    parser.add_argument("--queries", type=int, default=1000, help="queries per engine")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2k and 20k passages")
    parser.add_argument(
        "--engines", default=",".join(ENGINES), help="subset of " + ",".join(ENGINES)
    )
    parser.add_argument("--worker", choices=ENGINES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = [2_000, 20_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    n_queries = min(args.queries, 200) if args.quick else args.queries
    if args.worker:
        print(json.dumps(run_worker(args.worker, sizes[0], n_queries)))
        return
    print("## Search benchmark (top-10, single thread)\n")
    print(machine_report())
    sample = queries(n_queries)
    print(f"\nqueries: {len(sample)} real news questions and headlines, ", end="")
    print(f"mean {np.mean([len(q) for q in sample]):.1f} terms after analysis")
    rows = []
    for size in sizes:
        corpus: TokenCorpus = synthetic(size)
        print(f"corpus {size:,}: {corpus.ids.size:,} terms, {corpus.mean_length():.1f} per passage")
        for engine in args.engines.split(","):
            rows.append(spawn(engine, size, n_queries))
            print(f"  {engine}: done", file=sys.stderr, flush=True)
    print("\n" + table(rows))
    print("\nrank_bm25 is timed on a sample (200 / 50 / 20 queries at 10k / 100k / 1M).")
    print("memory = RSS growth during the build; nbytes = what our index reports holding.\n")
    print("Issue anchors (1M passages, 2-core machine, for comparison):\n")
    print(markdown_table(("engine", "build s", "p50 ms", "p99 ms", "memory MB"), ANCHORS))
    lines = verdicts(rows)
    if lines:
        print(f"\nTargets at 1M ({default_engine()}, the default scorer):\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
