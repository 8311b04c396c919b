"""Ingestion throughput (MB/s of article text) and restart time, beside a naive nltk pipeline.

Articles come from the eval corpora, repeated until the batch is large enough;
each copy gets a numbered title so the store's content dedup keeps it. The
naive reference (untrained Punkt, regex tokens, Snowball stemming with no
cache, one core) runs on the same text in the same process. Restart time is a
fresh interpreter opening a store of about a million passages and answering
one search, with the store and its index kept under ``bench/.cache/``.

    python -m bench.ingest [--mb 50] [--passages 1000000] [--quick]
"""

from __future__ import annotations

import argparse
import itertools
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from bench.corpus import SOURCES, read_jsonl
from bench.machine import CACHE, cpu_seconds, machine_report, markdown_table, need_eval

BATCH = 10_000
"""Articles per ``ingest`` call: 10-25 MB, enough for the engine to use its worker processes."""
NAIVE_MAX_MB = 20.0
RESTART_QUERY = "interest rates bank"


def article_stream() -> Iterator[object]:
    """Yield eval articles forever; copy ``c`` of an article has " #c" added to its title."""
    from retrieval.models import Article

    records = [
        (str(r.get("title") or ""), str(r["text"]))
        for name in SOURCES
        for r in read_jsonl(need_eval() / name / "corpus.jsonl.gz")
    ]
    for copy in itertools.count():
        for title, text in records:
            yield Article(f"{title} #{copy}", text)


def take_mb(megabytes: float) -> list[object]:
    """Return the first articles of the stream holding at least ``megabytes`` of UTF-8 text."""
    articles, size = [], 0
    for article in article_stream():
        if size >= megabytes * 1e6:
            break
        articles.append(article)
        size += len(article.text.encode())  # type: ignore[attr-defined]
    return articles


def text_mb(articles: Sequence[object]) -> float:
    """Return the UTF-8 size of the articles' text in MB (10^6 bytes)."""
    return sum(len(a.text.encode()) for a in articles) / 1e6  # type: ignore[attr-defined]


def engine_ingest(articles: Sequence[object], path: Path, workers: int) -> tuple[float, float, int]:
    """Ingest into a fresh store in batches, save the index; return wall s, CPU s, passages."""
    from retrieval.engine import Engine

    for stale in (path, Path(f"{path}.index")):
        remove(stale)
    start, cpu = time.perf_counter(), cpu_seconds()
    engine = Engine.open(path, workers=workers)
    passages = 0
    for i in range(0, len(articles), BATCH):
        passages += engine.ingest(articles[i : i + BATCH], persist=False).passages  # type: ignore[arg-type]
    engine.save_index()
    engine.close()
    return time.perf_counter() - start, cpu_seconds() - cpu, passages


def remove(path: Path) -> None:
    """Delete a file or folder if it exists (a store, its index, or SQLite's side files)."""
    import shutil

    for item in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if item.is_dir():
            shutil.rmtree(item)
        elif item.exists():
            item.unlink()


def naive_seconds(articles: Sequence[object]) -> tuple[float, float]:
    """Time the naive one-core pipeline: Punkt sentences, regex tokens, Snowball on every token."""
    from nltk.stem.snowball import SnowballStemmer
    from nltk.tokenize.punkt import PunktSentenceTokenizer

    splitter, stemmer, token = (
        PunktSentenceTokenizer(),
        SnowballStemmer("english"),
        re.compile(r"[^\W_]+"),
    )
    start, cpu = time.perf_counter(), cpu_seconds()
    for article in articles:
        for sentence in splitter.tokenize(article.text):  # type: ignore[attr-defined]
            [stemmer.stem(t) for t in token.findall(sentence.lower())]
    return time.perf_counter() - start, cpu_seconds() - cpu


def analyzer_seconds(articles: Sequence[object]) -> tuple[float, float]:
    """Time our ``Analyzer.terms`` alone over the same texts, one core."""
    from retrieval.text import Analyzer

    analyzer = Analyzer("english")
    start, cpu = time.perf_counter(), cpu_seconds()
    for article in articles:
        analyzer.terms(article.text)  # type: ignore[attr-defined]
    return time.perf_counter() - start, cpu_seconds() - cpu


def throughput_row(label: str, mb: float, passages: int, wall: float, cpu: float) -> list[str]:
    """Format one throughput row; MB per CPU-second is the figure a busy machine cannot skew."""
    held = f"{passages:,}" if passages else "–"
    return [
        label,
        f"{mb:.1f}",
        held,
        f"{wall:.1f}",
        f"{cpu:.1f}",
        f"{mb / wall:.2f}",
        f"{mb / cpu:.2f}",
    ]


def ensure_store(passages: int) -> Path:
    """Return a cached store holding at least ``passages`` passages, building it if needed."""
    from retrieval.engine import Engine

    path = CACHE / f"restart-{passages}.sqlite3"
    if path.exists() and Path(f"{path}.index").exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    remove(path)
    remove(Path(f"{path}.index"))
    engine = Engine.open(path)
    stream, held = article_stream(), 0
    while held < passages:
        held += engine.ingest(list(itertools.islice(stream, BATCH)), persist=False).passages  # type: ignore[arg-type]
        print(f"  store: {held:,} passages", file=sys.stderr, flush=True)
    engine.save_index()
    engine.close()
    return path


def restart_child(path: str) -> None:
    """In a fresh interpreter: time imports, then Engine.open until one search has returned."""
    start = time.perf_counter()
    from retrieval.engine import Engine

    imported = time.perf_counter()
    engine = Engine.open(path)
    opened = time.perf_counter()
    hits = engine.search(RESTART_QUERY, k=10).hits
    done = time.perf_counter()
    passages = engine.stats().passages
    private, mapped = resident_mb()
    print(f"{imported - start} {opened - imported} {done - opened} {len(hits)} {passages} "
          f"{private} {mapped}")  # fmt: skip


def resident_mb() -> tuple[float, float]:
    """This process's resident memory in MB: its own (anonymous) pages, and file pages.

    The saved index is memory-mapped, so its pages count as file pages that every process
    opening the same store shares; the anonymous part is what each extra process costs.
    """
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    kib = [float(fields[name].split()[0]) for name in ("RssAnon", "RssFile")]
    return kib[0] / 1024, kib[1] / 1024


def main(argv: Sequence[str] | None = None) -> None:
    """Parse flags, measure ingestion and restart, and print the Markdown report."""
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    parser.add_argument("--mb", type=float, default=50.0, help="MB of article text to ingest")
    parser.add_argument("--passages", type=int, default=1_000_000, help="store size for restart")
    parser.add_argument("--quick", action="store_true", help="smoke run: 5 MB, 50k passages")
    parser.add_argument("--restart-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.restart_child:
        restart_child(args.restart_child)
        return
    megabytes, passages = (5.0, 50_000) if args.quick else (args.mb, args.passages)
    print("## Ingestion and restart\n")
    print(machine_report() + "\n")
    articles = take_mb(megabytes)
    size = text_mb(articles)
    naive_part = take_mb(min(megabytes, NAIVE_MAX_MB))
    naive_size = text_mb(naive_part)
    rows = []
    for workers in (1, 2):
        wall, cpu, held = engine_ingest(articles, CACHE / "ingest.sqlite3", workers)
        label = f"Engine.ingest, workers={workers} (split, analyze, store, index)"
        rows.append(throughput_row(label, size, held, wall, cpu))
    wall, cpu = analyzer_seconds(naive_part)
    rows.append(throughput_row("Analyzer.terms only, 1 core", naive_size, 0, wall, cpu))
    wall, cpu = naive_seconds(naive_part)
    label = "naive nltk (Punkt + regex + Snowball, no cache), 1 core"
    rows.append(throughput_row(label, naive_size, 0, wall, cpu))
    headers = ("pipeline", "MB text", "passages", "wall s", "CPU s", "MB/s wall", "MB/CPU-s")
    print(markdown_table(headers, rows))
    print(f"\n{len(articles):,} articles; MB = 10^6 bytes of UTF-8 article text.\n")
    store = ensure_store(passages)
    print(restart_table(store))


def restart_table(store: Path) -> str:
    """Restart the engine on ``store`` in a fresh interpreter and tabulate where the time went."""
    spawn = time.perf_counter()
    argv = [sys.executable, "-m", "bench.ingest", "--restart-child", str(store)]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout.split()
    total = time.perf_counter() - spawn
    imports, opening, first = (float(x) for x in out[:3])
    verdict = "met" if opening + first <= 10 else "NOT met"
    headers = ("store passages", "imports s", "Engine.open s", "first search s")
    headers += ("open+search s", "whole process s", "target open+search <= 10 s")
    headers += ("private MB", "mapped MB")
    row = [f"{int(out[4]):,}", f"{imports:.2f}", f"{opening:.2f}", f"{first:.3f}"]
    row += [f"{opening + first:.2f}", f"{total:.2f}", verdict]
    row += [f"{float(out[5]):.0f}", f"{float(out[6]):.0f}"]
    note = (
        f"\nfirst search '{RESTART_QUERY}' returned {out[3]} hits; store: {store.name}. "
        "Memory is resident after that search: private pages are the process's own, mapped "
        "ones are the saved index (and libraries), shared by every process that opens it."
    )
    return markdown_table(headers, [row]) + "\n" + note


if __name__ == "__main__":
    main()
