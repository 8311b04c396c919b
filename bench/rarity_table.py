"""Regenerate ``retrieval/data/rarity/english.tsv.gz``: how common each English stem is in
general, the prior that ``retrieval.rarity_prior`` blends into a small store's rarity.

A store of a few articles cannot tell a word's rarity from its own passages: "happened" is in
none of them, so by the store it is as rare as a name. The table says how common the word is
in English at large: the ``WORDS`` most frequent words of the wordfreq package's "large"
English list (a blend of Wikipedia, subtitles, news, books, web text and social media), each
analyzed as the engine analyzes text (casefolded, stopwords dropped, Snowball-stemmed); a word
that is not one term after that is skipped, and so is one of two or more digits (wordfreq
counts "2021" and "1999" as one "0000", which says nothing of either), and the frequencies of
the words sharing a stem are added up. Each line is ``stem<TAB>zipf``, the Zipf value being
log10 of the stem's frequency per billion words (2 decimals), most common first.

wordfreq is only needed here, not at run time (it is a large package): install it in the
project venv first (``pip install wordfreq``). Its data is CC BY-SA 4.0, credited in
``retrieval/data/rarity/NOTICE``.

    python -m bench.rarity_table [--words 50000] [--out retrieval/data/rarity/english.tsv.gz]
"""

from __future__ import annotations

import argparse
import gzip
import math
from collections.abc import Sequence
from pathlib import Path

from retrieval.text import Analyzer

WORDS = 50_000
"""The most frequent words taken: down to a Zipf value of about 2.5 (once in 3 million words),
past which a word is rare to any store and the table would only grow."""
OUT = Path(__file__).resolve().parent.parent / "retrieval" / "data" / "rarity" / "english.tsv.gz"


def stem_zipf(words: int) -> dict[str, float]:
    """Zipf value of each stem, from the ``words`` most frequent English words."""
    try:
        from wordfreq import top_n_list, word_frequency
    except ImportError:
        raise SystemExit("bench.rarity_table needs wordfreq: pip install wordfreq") from None
    analyzer = Analyzer("english")
    frequency: dict[str, float] = {}
    for word in top_n_list("en", words, wordlist="large"):
        if sum(c.isdigit() for c in word) > 1:
            continue
        terms = analyzer.terms(word)
        if len(terms) != 1:  # a stopword, or more than one token ("don't")
            continue
        stem = terms[0]
        frequency[stem] = frequency.get(stem, 0.0) + word_frequency(word, "en", wordlist="large")
    return {stem: round(math.log10(f) + 9, 2) for stem, f in frequency.items() if f > 0}


def write(table: dict[str, float], out: Path) -> None:
    """``stem<TAB>zipf`` lines, most common first (ties by stem), gzipped reproducibly."""
    lines = [f"{stem}\t{zipf:.2f}\n" for stem, zipf in sorted(table.items(), key=_order)]
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as packed:
        packed.write("".join(lines).encode("utf-8"))


def _order(item: tuple[str, float]) -> tuple[float, str]:
    return -item[1], item[0]


def main(argv: Sequence[str] | None = None) -> None:
    """Parse flags, then write the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.rarity_table", description=__doc__)
    parser.add_argument("--words", type=int, default=WORDS)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    table = stem_zipf(args.words)
    write(table, args.out)
    size = args.out.stat().st_size
    print(f"{len(table):,} stems from {args.words:,} words -> {args.out} ({size:,} bytes)")


if __name__ == "__main__":
    main()
