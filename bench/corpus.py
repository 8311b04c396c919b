"""Synthetic passage corpora and real queries for the speed benchmarks, cached as .npy files.

Passages are whole real news sentences (from the eval sets), analyzed with our
own ``Analyzer`` and drawn at random until they hold about ``PASSAGE_TOKENS``
terms, so term statistics look like news rather than a Zipf toy. A corpus is
three flat arrays (vocabulary, token ids, passage offsets) so a million
passages load in a second and no pickle is ever written. The cache key hashes
the text-analysis sources: an analyzer change can never serve stale tokens.

Run ``python -m bench.corpus`` to build and describe the default corpora.
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.machine import CACHE, need_eval

SOURCES = ("bbc_lead", "bbc_title", "rtqa_evidence_dev")
QUERY_SETS = ("rtqa_evidence_dev", "bbc_title")
PASSAGE_TOKENS = 53
SEED = 20240601


@dataclass(frozen=True, slots=True)
class TokenCorpus:
    """Passages as token ids: passage ``i`` is ``vocab[ids[offsets[i]:offsets[i+1]]]``."""

    vocab: np.ndarray
    ids: np.ndarray
    offsets: np.ndarray

    def __len__(self) -> int:
        return int(self.offsets.size - 1)

    def token_lists(self) -> list[list[str]]:
        """Return the passages as lists of strings (one shared str object per vocabulary term)."""
        flat = self.vocab.astype(object)[self.ids].tolist()
        bounds = self.offsets.tolist()
        return [flat[a:b] for a, b in itertools.pairwise(bounds)]

    def mean_length(self) -> float:
        """Return the mean number of terms per passage."""
        return float(self.ids.size / max(len(self), 1))


def read_jsonl(path: Path) -> Iterator[dict[str, object]]:
    """Yield the records of a (possibly gzipped) JSON-lines file."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def analysis_fingerprint() -> str:
    """Hash the text-analysis sources so cached tokens are rebuilt when the analyzer changes."""
    root = Path(__file__).resolve().parents[1] / "retrieval"
    digest = hashlib.sha256()
    for name in ("text.py", "sentences.py"):
        path = root / name
        digest.update(path.read_bytes() if path.exists() else b"")
    for path in sorted((root / "data" / "stopwords").glob("*.txt")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _save(stem: str, corpus: TokenCorpus) -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    for field in ("vocab", "ids", "offsets"):
        np.save(CACHE / f"{stem}.{field}.npy", getattr(corpus, field), allow_pickle=False)


def _load(stem: str) -> TokenCorpus | None:
    paths = [CACHE / f"{stem}.{field}.npy" for field in ("vocab", "ids", "offsets")]
    if not all(path.exists() for path in paths):
        return None
    vocab, ids, offsets = (np.load(path, allow_pickle=False) for path in paths)
    return TokenCorpus(vocab, ids, offsets)


def sentence_pool() -> TokenCorpus:
    """Return every distinct analyzed sentence of the eval corpora, one "passage" per sentence."""
    stem = f"pool-{analysis_fingerprint()}"
    cached = _load(stem)
    if cached is not None:
        return cached
    from retrieval.sentences import split_sentences
    from retrieval.text import Analyzer

    analyzer = Analyzer("english")
    eval_dir = need_eval()
    seen: set[str] = set()
    vocab: dict[str, int] = {}
    ids: list[int] = []
    offsets = [0]
    for name in SOURCES:
        for record in read_jsonl(eval_dir / name / "corpus.jsonl.gz"):
            text = str(record.get("text", ""))
            for span in split_sentences(text):
                sentence = span.slice(text)
                if sentence in seen:
                    continue
                seen.add(sentence)
                terms = analyzer.terms(sentence)
                if terms:
                    ids.extend(vocab.setdefault(term, len(vocab)) for term in terms)
                    offsets.append(len(ids))
    pool = TokenCorpus(
        np.array(list(vocab), dtype=str),
        np.array(ids, dtype=np.int32),
        np.array(offsets, dtype=np.int64),
    )
    _save(stem, pool)
    return pool


def synthetic(n_passages: int, seed: int = SEED) -> TokenCorpus:
    """Return ``n_passages`` passages of about ``PASSAGE_TOKENS`` terms made of whole sentences.

    Sentences are drawn with replacement; each goes to the passage its token
    midpoint falls in (``mid // PASSAGE_TOKENS``), so passages average the
    target length without cutting a sentence. Same seed, same corpus.
    """
    stem = f"synthetic-{n_passages}-{seed}-{analysis_fingerprint()}"
    cached = _load(stem)
    if cached is not None:
        return cached
    corpus = _generate(sentence_pool(), n_passages, np.random.default_rng(seed))
    _save(stem, corpus)
    return corpus


def synthetic_stream(
    n_passages: int, chunk: int = 500_000, seed: int = SEED
) -> Iterator[TokenCorpus]:
    """``n_passages`` passages as :func:`synthetic` makes them, ``chunk`` at a time, uncached.

    For corpora too big to hold at once (10M passages would need tens of GB as one array
    build): each chunk has its own seed, so the stream is the same on every run.
    """
    pool = sentence_pool()
    for number, start in enumerate(range(0, n_passages, chunk)):
        size = min(chunk, n_passages - start)
        yield _generate(pool, size, np.random.default_rng((seed, number)))


MEAN_ARTICLE = 8
"""Passages per synthetic article on average (1 to 15, uniform): news articles run 4-12."""
TITLE_TERMS = 8


def synthetic_articles(n_passages: int, seed: int = SEED) -> tuple[np.ndarray, list[list[str]]]:
    """Passage counts of articles covering ``n_passages`` in order, and a title for each.

    A title is the first ``TITLE_TERMS`` terms of a random pool sentence, so title terms
    follow news statistics, like the passages'.
    """
    rng = np.random.default_rng((seed, 1))
    counts = rng.integers(1, 2 * MEAN_ARTICLE, size=n_passages // MEAN_ARTICLE * 2 + 16)
    ends = np.cumsum(counts)
    n = int(np.searchsorted(ends, n_passages)) + 1
    counts = counts[:n]
    counts[-1] -= int(ends[n - 1]) - n_passages
    pool = sentence_pool()
    picked = rng.integers(0, len(pool), size=n)
    vocab = pool.vocab.astype(object)
    titles = [
        vocab[
            pool.ids[pool.offsets[i] : min(pool.offsets[i + 1], pool.offsets[i] + TITLE_TERMS)]
        ].tolist()
        for i in picked.tolist()
    ]
    return counts.astype(np.int64), titles


def _generate(pool: TokenCorpus, n_passages: int, rng: np.random.Generator) -> TokenCorpus:
    """``n_passages`` passages of whole pool sentences drawn with ``rng``."""
    lengths = np.diff(pool.offsets)
    draws = int(n_passages * PASSAGE_TOKENS / lengths.mean() * 1.1) + 64
    while True:
        picked = rng.integers(0, lengths.size, size=draws)
        picked_len = lengths[picked]
        ends = np.cumsum(picked_len)
        owner = (ends - picked_len / 2) // PASSAGE_TOKENS
        _, passage = np.unique(owner, return_inverse=True)
        if passage[-1] >= n_passages:
            break
        draws *= 2
    keep = passage < n_passages
    picked, picked_len, passage = picked[keep], picked_len[keep], passage[keep]
    # Gather each picked sentence's token range from the pool in one vectorised step.
    out_starts = np.concatenate(([0], np.cumsum(picked_len)[:-1]))
    shift = np.repeat(pool.offsets[picked] - out_starts, picked_len)
    ids = pool.ids[np.arange(int(picked_len.sum())) + shift]
    per_passage = np.bincount(passage, weights=picked_len, minlength=n_passages)
    offsets = np.concatenate(([0], np.cumsum(per_passage.astype(np.int64))))
    return TokenCorpus(pool.vocab, ids, offsets)


def queries(n: int, seed: int = SEED) -> list[list[str]]:
    """Return up to ``n`` analyzed real news questions and headlines, empty ones dropped."""
    from retrieval.text import Analyzer

    analyzer = Analyzer("english")
    eval_dir = need_eval()
    analyzed = [
        analyzer.terms(str(record.get("text", "")))
        for name in QUERY_SETS
        for record in read_jsonl(eval_dir / name / "queries.jsonl")
    ]
    kept = [terms for terms in analyzed if terms]
    order = np.random.default_rng(seed).permutation(len(kept))[:n]
    return [kept[i] for i in order]


if __name__ == "__main__":
    from bench.machine import machine_report

    print(machine_report())
    pool = sentence_pool()
    print(f"\nsentence pool: {len(pool)} sentences, {pool.vocab.size} terms")
    for size in (10_000, 100_000):
        corpus = synthetic(size)
        print(f"synthetic {size}: mean {corpus.mean_length():.1f} terms/passage")
    sample = queries(1000)
    print(f"queries: {len(sample)}, mean {np.mean([len(q) for q in sample]):.1f} terms")
