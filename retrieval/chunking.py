"""Cut an article into passages: the units that are indexed, ranked and cited.

A passage is a paragraph when the paragraph is a sensible size, because writers
already group one idea per paragraph. Tiny paragraphs (a headline, a photo
caption, "Live Briefing: ..." teasers) carry too few words to rank on their own,
so they join a neighbour; very long paragraphs are split between sentences.
No passage ever starts or ends inside a sentence, so every cited excerpt reads
as the writer wrote it.
"""

from __future__ import annotations

from retrieval.models import Span
from retrieval.sentences import paragraph_sentences, paragraph_spans, split_sentences


def chunk(
    text: str, *, target_chars: int = 600, max_chars: int = 1200, min_chars: int = 200
) -> list[Span]:
    """Return passage spans of ``text``: ordered, disjoint, trimmed, covering all its words.

    Paragraphs are split at blank lines, or at line breaks when ``text`` has no
    blank lines. Paragraphs over ``max_chars`` are split at sentence boundaries
    into pieces near ``target_chars``; a single sentence longer than
    ``max_chars`` stays whole. Passages under ``min_chars`` are merged with the
    following passage (else the previous one) while that stays within ``max_chars``.
    """
    if not 0 < target_chars <= max_chars or not 0 <= min_chars <= max_chars:
        raise ValueError(
            "chunk sizes must satisfy 0 < target_chars <= max_chars and "
            f"0 <= min_chars <= max_chars; got target={target_chars}, "
            f"max={max_chars}, min={min_chars}"
        )
    units: list[Span] = []
    for paragraph, sentences in _paragraphs(text):
        if paragraph.end - paragraph.start <= max_chars:
            units.append(paragraph)
        else:
            if sentences is None:
                sentences = paragraph_sentences(text, paragraph)
            units.extend(_pack(sentences, target_chars, max_chars))
    return _merge_small(units, min_chars, max_chars)


def _paragraphs(text: str) -> list[tuple[Span, list[Span] | None]]:
    """Return each paragraph with its sentences when they were needed to find it.

    With blank lines, paragraphs need no sentence splitting (Punkt then runs
    only on paragraphs too long to keep). Without them, a line break ends a
    paragraph only where it also ends a sentence, so wrapped lines stay whole.
    """
    paragraphs = paragraph_spans(text)
    if len(paragraphs) != 1 or "\n" not in paragraphs[0].slice(text):
        return [(paragraph, None) for paragraph in paragraphs]
    groups: list[list[Span]] = []
    previous: Span | None = None
    for sentence in split_sentences(text):
        if previous is None or "\n" in text[previous.end : sentence.start]:
            groups.append([sentence])
        else:
            groups[-1].append(sentence)
        previous = sentence
    return [(Span(group[0].start, group[-1].end), group) for group in groups]


def _pack(sentences: list[Span], target_chars: int, max_chars: int) -> list[Span]:
    """Group consecutive sentences into pieces, each as close to ``target_chars`` as it gets.

    A sentence joins the current piece when the result fits ``max_chars`` and
    lands nearer the target than stopping would.
    """
    pieces: list[Span] = []
    for sentence in sentences:
        if pieces:
            current = pieces[-1]
            size = current.end - current.start
            merged = sentence.end - current.start
            if merged <= max_chars and merged - target_chars < target_chars - size:
                pieces[-1] = Span(current.start, sentence.end)
                continue
        pieces.append(sentence)
    return pieces


def _merge_small(units: list[Span], min_chars: int, max_chars: int) -> list[Span]:
    """Join each unit under ``min_chars`` to the next (else the previous) within ``max_chars``."""
    merged: list[Span] = []
    i = 0
    while i < len(units):
        current = units[i]
        i += 1
        while (
            current.end - current.start < min_chars
            and i < len(units)
            and units[i].end - current.start <= max_chars
        ):
            current = Span(current.start, units[i].end)
            i += 1
        if (
            current.end - current.start < min_chars
            and merged
            and current.end - merged[-1].start <= max_chars
        ):
            merged[-1] = Span(merged[-1].start, current.end)
        else:
            merged.append(current)
    return merged
