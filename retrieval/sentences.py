"""Sentence and paragraph boundaries as spans over the original text.

Sentences come from nltk's Punkt algorithm *untrained* (no data to download):
its parameters hold only a fixed list of English abbreviations, so "U.S.
Secretary" and "Dr. Smith" stay whole. Untrained Punkt errs towards splitting
after any other period, so two cheap rules make it err towards keeping text
together instead: a blank line always ends a sentence, and a "sentence" that
starts with a lowercase letter ("p.m. on Tuesday") is glued back onto the one
before. An excerpt that is a little long is harmless; one cut mid-sentence is not.
"""

from __future__ import annotations

import re
from functools import lru_cache

from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

from retrieval.models import Span

# Lowercase, without the final period, as Punkt compares them ("u.s" for "U.S.").
# "may" is left out on purpose: it ends sentences far more often than it abbreviates.
_ABBREVIATION_GROUPS = (
    "u.s u.s.a u.k u.n e.u d.c u.a.e a.m p.m",
    "mr mrs ms messrs dr prof gen lt col capt cmdr maj sgt adm gov sen rep pres rev hon",
    "st jr sr mt ft ave blvd rd",
    "inc ltd co corp bros plc llc dept univ assn govt",
    "vs etc e.g i.e approx est fig no nos vol pp al cf ca",
    "jan feb mar apr jun jul aug sep sept oct nov dec",
)
ABBREVIATIONS: frozenset[str] = frozenset(
    word for group in _ABBREVIATION_GROUPS for word in group.split()
)

# Punkt knows straight quotes as closing punctuation; map typographic ones onto
# them one character for one, so offsets into the original stay valid.
_QUOTES = str.maketrans("“”„‟«»‘’‚‛‹›", "\"\"\"\"\"\"''''''")
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
_NON_SPACE = re.compile(r"\S")


def _tokenizer() -> PunktSentenceTokenizer:
    """Build the one untrained Punkt tokenizer, knowing only ``ABBREVIATIONS``."""
    params = PunktParameters()
    params.abbrev_types = set(ABBREVIATIONS)
    return PunktSentenceTokenizer(params)


_PUNKT = _tokenizer()
# Punkt only breaks after ".", "?" or "!" that has more text after it.
_MAY_BREAK = re.compile(r"[.?!]\s*\S")


@lru_cache(maxsize=8192)
def punkt_spans(piece: str) -> tuple[tuple[int, int], ...]:
    """Punkt's sentence spans of one paragraph (quotes already straightened).

    Cached, because the same passages are cited again and again, and skipped where Punkt
    could not split at all: together they are most of the cost of citing a search hit.
    """
    if not _MAY_BREAK.search(piece):
        return ((0, len(piece)),) if piece.strip() else ()
    return tuple(_PUNKT.span_tokenize(piece))


def trim(text: str, start: int, end: int) -> Span | None:
    """Shrink ``[start, end)`` past surrounding whitespace; ``None`` if nothing is left."""
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
    piece = paragraph.slice(text).translate(_QUOTES)
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
