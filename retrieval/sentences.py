"""Sentence and paragraph boundaries as spans over the original text.

Sentences come from nltk's Punkt algorithm *untrained* (no data to download):
its parameters hold only a fixed list of English abbreviations, so "U.S.
Secretary" and "Dr. Smith" stay whole. Untrained Punkt errs towards splitting
after any other period, so two cheap rules make it err towards keeping text
together instead: a blank line always ends a sentence, and a "sentence" that
starts with a lowercase letter ("p.m. on Tuesday") is glued back onto the one
before. An excerpt that is a little long is harmless; one cut mid-sentence is not.

Punkt itself (untrained, replayed fast) is in :mod:`retrieval.fast_punkt`; this module holds
the splitting the rest of ``retrieval`` uses: paragraphs, trimming, and those two rules.
"""

from __future__ import annotations

import re

from retrieval.fast_punkt import punkt_spans
from retrieval.models import Span

# Punkt knows straight quotes as closing punctuation; map typographic ones onto
# them one character for one, so offsets into the original stay valid.
_QUOTES = str.maketrans("“”„‟«»‘’‚‛‹›", "\"\"\"\"\"\"''''''")
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
_NON_SPACE = re.compile(r"\S")


def trim(text: str, start: int, end: int) -> Span | None:
    """Shrink ``[start, end)`` past surrounding whitespace; ``None`` if nothing is left."""
    if start < end and not text[start].isspace() and not text[end - 1].isspace():
        return Span(start, end)  # nothing to shrink: Punkt's spans mostly are
    first = _NON_SPACE.search(text, start, end)
    if first is None:
        return None
    return Span(first.start(), start + len(text[start:end].rstrip()))


def paragraph_spans(text: str) -> list[Span]:
    """Split ``text`` at blank lines; each paragraph is trimmed and non-empty."""
    spans: list[Span] = []
    start = 0
    for gap in _BLANK_LINE.finditer(text):
        if (span := trim(text, start, gap.start())) is not None:
            spans.append(span)
        start = gap.end()
    if (span := trim(text, start, len(text))) is not None:
        spans.append(span)
    return spans


def split_sentences(text: str) -> list[Span]:
    """Return the sentences of ``text`` in order, trimmed, covering every non-space char."""
    sentences: list[Span] = []
    for paragraph in paragraph_spans(text):
        sentences.extend(paragraph_sentences(text, paragraph))
    return sentences


def paragraph_sentences(text: str, paragraph: Span) -> list[Span]:
    """Split one paragraph (no blank lines inside) of ``text`` into sentence spans."""
    piece = paragraph.slice(text)
    if not piece.isascii():  # every quote ``_QUOTES`` straightens is outside ASCII
        piece = piece.translate(_QUOTES)
    offset = paragraph.start
    sentences: list[Span] = []
    for start, end in punkt_spans(piece):
        span = trim(text, offset + start, offset + end)
        if span is None:
            continue
        if sentences and text[span.start].islower():
            sentences[-1] = Span(sentences[-1].start, span.end)
        else:
            sentences.append(span)
    return sentences
