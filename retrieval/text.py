"""Text analysis shared by documents and queries: normalise, tokenize, drop stopwords, stem.

This is the only module that imports nltk, and it uses only nltk's data-free
``SnowballStemmer`` (never with ``ignore_stopwords``): stopword lists ship as
package data, so nothing is ever downloaded.

A *term* is defined on the whole text, once: ``NFKC`` normalisation, then
``casefold`` (context-free, unlike ``lower`` with Greek final sigma), then every
run of letters and digits (``[^\\W_]+``) is a token; stopwords are dropped and the
rest stemmed. ``terms`` computes exactly that with one regex pass (the ingest
hot path). ``term_spans`` runs the same pass over the same normalised string and
maps each token back to the original characters that produced it, so both
always agree, and a span is always a valid slice of the un-normalised text.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Collection, Iterable
from importlib import resources

from nltk.stem.snowball import SnowballStemmer

from retrieval.models import Span

LANGUAGES: tuple[str, ...] = tuple(
    language for language in SnowballStemmer.languages if language != "porter"
)
"""The languages an ``Analyzer`` stems (Snowball's, without its legacy "porter" variant)."""

_TOKEN = re.compile(r"[^\W_]+")
_WORDS = re.compile(r"\S+|\s+")
# The stem cache is a plain dict; past this many distinct words (far above a news
# vocabulary) it is emptied, so hostile input cannot grow memory without bound.
_CACHE_LIMIT = 1_000_000


def normalise(text: str) -> str:
    """Return ``text`` as terms see it: NFKC, then casefolded (ASCII takes a shortcut)."""
    if text.isascii():
        return text.lower()
    # Casefolding "İ" (Turkish capital dotted I) yields "i" + a combining dot, which
    # would split "İstanbul" into "i" + "stanbul"; fold it to a plain "i" first.
    return unicodedata.normalize("NFKC", text).replace("\u0130", "i").casefold()


def load_stopwords(language: str) -> frozenset[str]:
    """Read the shipped stopword list for ``language``; empty if none ships.

    Files are package data (``retrieval/data/stopwords/<language>.txt``, one word
    a line, ``#`` starts a comment), so they work from a wheel or a zip as well.
    """
    if not language.isalpha():
        return frozenset()
    resource = resources.files("retrieval").joinpath("data", "stopwords", f"{language}.txt")
    if not resource.is_file():
        return frozenset()
    lines = resource.read_text(encoding="utf-8").splitlines()
    return frozenset(word for line in lines if (word := line.strip()) and not word.startswith("#"))


class Analyzer:
    """Turns text into index/query terms for one Snowball language.

    Stopwords are matched on the normalised, unstemmed token and stored in
    normalised form, so a list containing "daß" still matches "dass".
    """

    __slots__ = ("_cache", "_stemmer", "language", "stopwords")

    def __init__(self, language: str = "english", stopwords: frozenset[str] | None = None) -> None:
        if language not in LANGUAGES:
            supported = ", ".join(LANGUAGES)
            raise ValueError(f"unknown language {language!r}; supported: {supported}")
        self.language = language
        words = load_stopwords(language) if stopwords is None else stopwords
        self.stopwords = frozenset(normalise(word) for word in words)
        self._stemmer = SnowballStemmer(language)
        self._cache: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"Analyzer({self.language!r}, stopwords={len(self.stopwords)})"

    def is_stopword(self, token: str) -> bool:
        """Tell whether ``token`` (any case or form) is dropped as a stopword."""
        return normalise(token) in self.stopwords

    def terms(self, text: str) -> list[str]:
        """Return the stemmed, stopword-free terms of ``text`` in order (the hot path)."""
        tokens = _TOKEN.findall(normalise(text))
        cache = self._cache
        try:
            stems = [cache[token] for token in tokens]
        except KeyError:
            cache = self._learn(tokens)
            stems = [cache[token] for token in tokens]
        # Stopwords are cached as "" so one dict lookup decides both questions.
        return [stem for stem in stems if stem]

    def term_spans(self, text: str, only: Collection[str] | None = None) -> list[tuple[str, Span]]:
        """Return the same terms as ``terms``, each with the span it came from in ``text``.

        A token produced by one original character that normalises to several
        tokens (e.g. "½" -> "1", "2") repeats that character's span. With ``only``,
        just the terms in it (what highlighting wants, for far fewer spans to build).
        """
        normalised = normalise(text)
        matches = list(_TOKEN.finditer(normalised))
        if not matches:
            return []
        cache = self._learn(match.group() for match in matches)
        starts, ends = _offset_map(text, normalised)
        marks = not text.isascii()
        pairs: list[tuple[str, Span]] = []
        for match in matches:
            stem = cache[match.group()]
            if not stem or (only is not None and stem not in only):
                continue
            if starts is None or ends is None:
                end = match.end()
                # Take trailing combining marks along ("0\u0300"), as the mapped path
                # does, so a highlight never splits a character from its accents.
                while marks and end < len(text) and unicodedata.combining(text[end]):
                    end += 1
                span = Span(match.start(), end)
            else:
                span = Span(starts[match.start()], ends[match.end() - 1])
            pairs.append((stem, span))
        return pairs

    def _learn(self, tokens: Iterable[str]) -> dict[str, str]:
        """Stem and cache every token not seen before; return a cache holding them all.

        Stopwords cache as "". A full cache is replaced, not cleared, so a caller
        in another thread keeps a consistent dict.
        """
        cache = self._cache
        wanted = set(tokens)
        missing = wanted.difference(cache)
        if len(cache) + len(missing) > _CACHE_LIMIT:
            cache = self._cache = {}
            missing = wanted
        stem = self._stemmer.stem
        for token in missing:
            # A stem is never empty in practice; falling back to the token keeps
            # "" reserved for stopwords even if a stemmer ever returned one.
            cache[token] = "" if token in self.stopwords else (stem(token) or token)
        return cache


def _offset_map(text: str, normalised: str) -> tuple[list[int] | None, list[int] | None]:
    """Map each character of ``normalised`` to the original ``[start, end)`` producing it.

    Returns ``(None, None)`` when the mapping is the identity (the usual case:
    ASCII or already-normalised text whose casefolding keeps every length).
    """
    if len(normalised) == len(text) and (text.isascii() or unicodedata.is_normalized("NFKC", text)):
        # casefold never maps a character to "", so equal total length means 1:1.
        return None, None
    for segments in (_clusters(text), _words(text)):
        starts: list[int] = []
        ends: list[int] = []
        pieces: list[str] = []
        for start, end in segments:
            piece = normalise(text[start:end])
            pieces.append(piece)
            starts.extend([start] * len(piece))
            ends.extend([end] * len(piece))
        if "".join(pieces) == normalised:
            return starts, ends
    # Normalisation interacted across every boundary tried: spread offsets evenly.
    scale = len(text) / len(normalised)
    starts = [min(int(i * scale), len(text) - 1) for i in range(len(normalised))]
    ends = [
        max(start + 1, min(len(text), math.ceil((i + 1) * scale))) for i, start in enumerate(starts)
    ]
    return starts, ends


def _clusters(text: str) -> list[tuple[int, int]]:
    """Split ``text`` before every character of combining class 0 (a starter)."""
    bounds = [i for i, char in enumerate(text) if i == 0 or unicodedata.combining(char) == 0]
    bounds.append(len(text))
    return list(itertools.pairwise(bounds))


def _words(text: str) -> list[tuple[int, int]]:
    """Split ``text`` into runs of whitespace and non-whitespace (a coarser fallback)."""
    return [match.span() for match in _WORDS.finditer(text)]
