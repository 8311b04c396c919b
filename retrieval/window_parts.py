"""What citing reads of a passage: its sentences, their terms and answer candidates, and the
windows of one to ``MAX_SENTENCES`` of them that could be quoted.

Kept apart from :mod:`retrieval.windows`, which scores windows and chooses one: this module
only takes passages apart (and remembers the costly splitting and stemming of the passages
cited most, ``SENTENCE_CACHE``), so both ``choose`` and its reference read passages the same
way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from retrieval.answers import Kind, asked_words, candidates, question_kind
from retrieval.highlight import narrow
from retrieval.models import Passage, Span
from retrieval.sentences import split_sentences
from retrieval.text import Analyzer

MAX_SENTENCES = 3
SENTENCE_CACHE = 2048
"""Passages whose sentences and terms citing remembers (:func:`split_with_terms`,
:func:`passage_terms`): about 130 pages of five hits, and about 14 MB for both caches with
rtqa_news_2024's passages (measured with tracemalloc; the term sets are most of it)."""


@dataclass(frozen=True, slots=True)
class Sentence:
    """What scoring needs of one sentence: its span, its terms and its answer candidates."""

    span: Span
    terms: frozenset[str]
    answers: tuple[Span, ...]


@dataclass(frozen=True, slots=True)
class Question:
    """The question as scoring sees it, worked out once per hit."""

    kind: Kind | None
    asked: frozenset[str]
    weights: Mapping[str, float]
    total: float


def ask_about(
    question: str, passages: Sequence[Passage], weights: Mapping[str, float], max_chars: int
) -> Question:
    """Check the arguments and work out the question once."""
    if max_chars < 1:
        raise ValueError(f"max_chars must be at least 1, got {max_chars}")
    if not passages:
        raise ValueError("choose needs at least one passage")
    return Question(
        question_kind(question),
        asked_words(question),
        weights,
        sum(max(w, 0.0) for w in weights.values()) or 1.0,
    )


def sentences_of(
    text: str, ask: Question, analyzer: Analyzer, *, answers: bool = True
) -> list[Sentence]:
    """The sentences of ``text`` with their terms, and answer candidates where they can count.

    Only a window holding a query term can win, so candidates are looked for only in
    sentences that share a window with one: the costly part is skipped everywhere else.
    Without ``answers`` none are looked for (:func:`choose` finds them when needed).
    """
    spans, terms = split_with_terms(text, analyzer)
    if not answers:
        return [Sentence(span, found, ()) for span, found in zip(spans, terms, strict=True)]
    matching = [i for i, found in enumerate(terms) if not found.isdisjoint(ask.weights)]
    reach = MAX_SENTENCES - 1
    near = {j for i in matching for j in range(i - reach, i + reach + 1)}
    sentences = []
    for i, (span, found) in enumerate(zip(spans, terms, strict=True)):
        found_answers = candidates_in(text, span, ask, analyzer) if i in near else ()
        sentences.append(Sentence(span, found, found_answers))
    return sentences


@lru_cache(maxsize=SENTENCE_CACHE)
def split_with_terms(
    text: str, analyzer: Analyzer
) -> tuple[tuple[Span, ...], tuple[frozenset[str], ...]]:
    """The sentences of a passage's ``text`` and each one's terms, remembered for the next page.

    Splitting (Punkt) and stemming a passage is most of what citing it costs, and the passages
    of the pages people read are cited again and again. Keyed by the text itself (not a
    passage id, which another store may give another text) and the analyzer, and bounded
    (``SENTENCE_CACHE`` passages), so a long-running bot keeps the passages it cites often
    and forgets the rest. A text with no sentence is one empty one.
    """
    spans = tuple(split_sentences(text)) or (Span(0, 0),)
    return spans, tuple(frozenset(analyzer.terms(span.slice(text))) for span in spans)


@lru_cache(maxsize=SENTENCE_CACHE)
def passage_terms(text: str, analyzer: Analyzer) -> frozenset[str]:
    """The distinct terms of a passage's ``text``, remembered as :func:`split_with_terms` is:
    every candidate passage of a hit is read for them, split or not."""
    return frozenset(analyzer.terms(text))


def candidates_in(text: str, span: Span, ask: Question, analyzer: Analyzer) -> tuple[Span, ...]:
    """Answer candidates of the sentence at ``span`` of ``text``, as spans of ``text``."""
    found = candidates(span.slice(text), ask.kind, ask.asked, analyzer.stopwords)
    return tuple(Span(a.start + span.start, a.end + span.start) for a in found)


def windows_of(
    text: str, sentences: list[Sentence], ask: Question, analyzer: Analyzer, max_chars: int
) -> list[tuple[Span, tuple[bool, bool], list[Sentence], int]]:
    """Every window of 1..MAX_SENTENCES sentences within ``max_chars``: span, cut flags, parts
    and the index of its first sentence.

    A sentence longer than ``max_chars`` is a window alone, narrowed to the part holding the
    most query words.
    """
    found = []
    for i, first in enumerate(sentences):
        whole = first.span
        if whole.end - whole.start > max_chars:
            found.append((*narrowed(text, first, ask, analyzer, max_chars), i))
            continue
        for j in range(i, min(i + MAX_SENTENCES, len(sentences))):
            last = sentences[j].span
            if last.end - whole.start > max_chars:
                break
            found.append((Span(whole.start, last.end), (False, False), sentences[i : j + 1], i))
    return found


def narrowed(
    text: str, sentence: Sentence, ask: Question, analyzer: Analyzer, max_chars: int
) -> tuple[Span, tuple[bool, bool], list[Sentence]]:
    """The part of a long sentence (at most ``max_chars``, cut between words) to quote."""
    whole = sentence.span
    spans = [
        (term, Span(s.start + whole.start, s.end + whole.start))
        for term, s in analyzer.term_spans(whole.slice(text))
    ]
    span = narrow(text, whole, [s for t, s in spans if t in ask.weights], max_chars)
    part = Sentence(
        span,
        frozenset(t for t, s in spans if span.start <= s.start and s.end <= span.end),
        tuple(a for a in sentence.answers if span.start <= a.start and a.end <= span.end),
    )
    return span, (span.start > whole.start, span.end < whole.end), [part]
