"""Locate the words to highlight in a text, narrow a long sentence, pick a passage's best sentence.

Everything returned is a span into the text given, never rewritten text: a
reply can then prove its excerpt is verbatim and escape it segment by segment.
Matching is by stem through the same ``Analyzer`` that indexed the passage, so
a query for "weapons" highlights "weapon" and "Weapons" alike.

Search hits are cited by :mod:`retrieval.windows`, which uses ``narrow`` and ``united``
from here; ``best_sentence`` (the single best-matching sentence of one passage, what hits
quoted before) stays as the simple picker and the baseline ``bench.excerpts`` compares with.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from retrieval.models import Span
from retrieval.sentences import paragraph_sentences, paragraph_spans
from retrieval.text import Analyzer


def best_sentence(
    text: str,
    query_terms: Collection[str],
    analyzer: Analyzer,
    weights: Mapping[str, float] | None = None,
    *,
    max_chars: int = 320,
) -> Span:
    """Return the span of the sentence of ``text`` that best matches ``query_terms``.

    A sentence scores the sum of ``weights[term]`` (1.0 when absent) over the
    distinct query terms it contains; ties go to the earlier sentence and no
    match at all gives the first sentence. A sentence longer than ``max_chars``
    is narrowed to a window cut at word boundaries holding the most matches.
    """
    return excerpt(text, query_terms, analyzer, weights, max_chars=max_chars)[0]


def excerpt(
    text: str,
    query_terms: Collection[str],
    analyzer: Analyzer,
    weights: Mapping[str, float] | None = None,
    *,
    max_chars: int = 320,
) -> tuple[Span, tuple[Span, ...]]:
    """Return ``best_sentence`` and the highlight spans inside it, analysing ``text`` once.

    The highlights are relative to the excerpt, exactly as ``highlight_spans`` on the
    excerpt's text would find them, without a second pass of the analyzer.
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be at least 1, got {max_chars}")
    matches = _matches(text, query_terms, analyzer)
    chosen = _choose(text, matches, weights)
    if chosen.end - chosen.start > max_chars:
        inside = [span for _, span in matches if chosen.start <= span.start < chosen.end]
        chosen = narrow(text, chosen, inside, max_chars)
    shifted = [
        (term, Span(span.start - chosen.start, span.end - chosen.start))
        for term, span in matches
        if chosen.start <= span.start and span.end <= chosen.end
    ]
    return chosen, united(shifted)


def _choose(
    text: str, matches: list[tuple[str, Span]], weights: Mapping[str, float] | None
) -> Span:
    """The best-scoring sentence; only paragraphs holding a match are split into sentences."""
    paragraphs = paragraph_spans(text)
    if not paragraphs:
        return Span(0, 0)
    if not matches:
        return paragraph_sentences(text, paragraphs[0])[0]
    best, best_score = Span(0, 0), -1.0
    position = 0
    for paragraph in paragraphs:
        if position >= len(matches):
            break
        if matches[position][1].start >= paragraph.end:
            continue
        for sentence in paragraph_sentences(text, paragraph):
            found: set[str] = set()
            while position < len(matches) and matches[position][1].start < sentence.end:
                if matches[position][1].start >= sentence.start:
                    found.add(matches[position][0])
                position += 1
            score = sum(1.0 if weights is None else weights.get(term, 1.0) for term in found)
            if score > best_score:
                best, best_score = sentence, score
    return best


def highlight_spans(
    text: str, query_terms: Collection[str], analyzer: Analyzer
) -> tuple[Span, ...]:
    """Return the spans of every word of ``text`` whose stem is a query term, in order.

    Each word keeps its own span (neighbours are not joined across spaces);
    spans that overlap, which only odd normalisations produce, are united.
    """
    return united(_matches(text, query_terms, analyzer))


def united(matches: list[tuple[str, Span]]) -> tuple[Span, ...]:
    """The spans of sorted matches, overlapping ones united."""
    spans: list[Span] = []
    for _, span in matches:
        if spans and span.start < spans[-1].end:
            spans[-1] = Span(spans[-1].start, max(spans[-1].end, span.end))
        else:
            spans.append(span)
    return tuple(spans)


def _matches(text: str, query_terms: Collection[str], analyzer: Analyzer) -> list[tuple[str, Span]]:
    """Return ``(stem, span)`` for each word of ``text`` that matches, sorted by position."""
    if not query_terms:
        return []
    found = analyzer.term_spans(text, query_terms)
    found.sort(key=lambda pair: (pair[1].start, pair[1].end))
    return found


def narrow(text: str, sentence: Span, highlights: list[Span], max_chars: int) -> Span:
    """Return the part of ``sentence`` (at most ``max_chars``) holding the most highlights.

    Candidate windows start at the sentence itself or at a highlighted word;
    the earliest candidate wins a tie, so the sentence start is kept if it can be.
    """
    starts = [sentence.start, *(span.start for span in highlights)]
    windows = [_cut(text, start, start + max_chars, sentence.end) for start in starts]

    def held(window: Span) -> int:
        return sum(1 for span in highlights if window.start <= span.start < span.end <= window.end)

    # max() keeps the first of equal counts: the earliest candidate wins a tie.
    return max(windows, key=held)


def _cut(text: str, start: int, limit: int, end: int) -> Span:
    """Span from ``start`` to the last word boundary at or before ``limit`` (``<= end``).

    A single word longer than the window (e.g. unspaced scripts) is cut at ``limit``.
    """
    if limit >= end:
        return Span(start, end)
    # Step back from ``limit`` to the last space; the word before it is kept whole.
    cut = limit
    while cut > start and not text[cut].isspace():
        cut -= 1
    if cut == start:
        return Span(start, limit)
    return Span(start, start + len(text[start:cut].rstrip()))
