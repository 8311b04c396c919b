"""Untrained Punkt, replayed fast: nltk's sentence breaks, found without most of its work.

Kept apart from :mod:`retrieval.sentences` (the public splitting: paragraphs, trimming, the
lowercase rule) because this is a replay of nltk's Punkt: the same breaks Punkt finds with no
trained parameters and only ``ABBREVIATIONS``, decided in ``re`` and plain loops where Punkt's
answer is fixed, and handed to Punkt itself everywhere else. ``_tokenizer(fast=False)`` is
plain Punkt: the fast path falls back to it (``_REFERENCE``) where ``re`` could read text
otherwise than nltk, and ``tests/retrieval/test_sentences.py`` compares the two.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache, lru_cache

import regex
from nltk.tokenize.punkt import (
    PunktLanguageVars,
    PunktParameters,
    PunktSentenceTokenizer,
    PunktToken,
)

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


# The plainest possible break: a word of two or more letters, one ".", "?" or "!", then
# whitespace and the next token or a closing quote or bracket. Untrained Punkt always breaks
# there unless the word is a known abbreviation (see ``_FastPunkt``).
_PLAIN_END = re.compile(r"([^\W\d_]{2,})[.?!](?:\s+\S+|[\"')\]}])")


class _FastPunkt(PunktSentenceTokenizer):  # type: ignore[misc]  # nltk ships no types
    """Untrained Punkt that decides the plainest possible breaks without tokenizing them.

    For every ``.``, ``?`` or ``!`` with more text after it, Punkt tokenizes the word before,
    the mark and the next token, annotates them in two passes and asks whether a sentence
    break falls before the last token: most of the cost of splitting news text. With no
    trained parameters that answer is fixed for a plain word of letters: its first pass marks
    the mark a break unless the word is an abbreviation; its second pass only undoes that
    after an abbreviation, an ellipsis, an initial (one letter) or a number, and compares
    collocations and sentence starters, which an untrained model has none of. So a plain
    word breaks, and everything else (initials, numbers, abbreviations, quotes, brackets,
    hyphens, dots inside words) goes to Punkt itself.

    Around that decision, ``span_tokenize`` runs Punkt's own three steps (find the candidate
    breaks and the word before each, cut at those that break, move closing quotes and
    brackets back onto the sentence they close) as one loop over offsets, without the
    generators, slice objects and copies of the rest of the paragraph nltk makes for each
    candidate. ``tests/retrieval/test_sentences.py`` checks the spans equal plain Punkt's on
    the seeds, hostile text and generated text.
    """

    def span_tokenize(
        self, text: str, realign_boundaries: bool = True
    ) -> Iterator[tuple[int, int]]:
        """Punkt's spans of ``text``; by nltk's own tokenizer where ``re`` would read one of its
        characters otherwise than nltk's ``regex`` (``_fast_agrees``)."""
        if not _fast_agrees(text):
            return iter(_REFERENCE.span_tokenize(text, realign_boundaries))
        if not realign_boundaries:
            return iter(super().span_tokenize(text, realign_boundaries))
        return iter(self._realigned(text, self._cuts(text)))

    def _cuts(self, text: str) -> list[tuple[int, int]]:
        """Punkt's ``_slices_from_text`` over ``_match_potential_end_contexts``, as offsets.

        The word before a candidate starts after the last ASCII whitespace since the previous
        candidate's word (nltk counts only ``string.whitespace`` there, and whitespace at that
        stretch's very first character as none); a candidate whose word would start before
        the previous candidate's mark is dropped in favour of the later one ("acting!!!").
        """
        cuts: list[tuple[int, int]] = []
        last_break = 0
        held: re.Match[str] | None = None
        word_start = word_stop = 0
        for match in _PlainRegexVars.PERIOD_CONTEXT.finditer(text):
            start = match.start()
            space = max(text.rfind(char, word_stop, start) for char in _ASCII_SPACE)
            begin = space + 1 if space > word_stop else word_start
            if held is not None and word_stop <= begin:
                last_break = self._cut(text, held, word_start, word_stop, last_break, cuts)
            held, word_start, word_stop = match, begin, start
        if held is not None:
            last_break = self._cut(text, held, word_start, word_stop, last_break, cuts)
        cuts.append((last_break, len(text.rstrip())))
        return cuts

    def _cut(
        self,
        text: str,
        match: re.Match[str],
        word_start: int,
        word_stop: int,
        last_break: int,
        cuts: list[tuple[int, int]],
    ) -> int:
        """Cut at ``match`` if Punkt breaks there; return where the next sentence starts."""
        context = text[word_start:word_stop] + match.group() + match.group("after_tok")
        if not self.text_contains_sentbreak(context):
            return last_break
        cuts.append((last_break, match.end()))
        return match.start("next_tok") if match.group("next_tok") else match.end()

    @staticmethod
    def _realigned(text: str, cuts: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Punkt's ``_realign_boundaries``: closing quotes and brackets after a break move back
        onto the sentence before, and empty sentences are dropped."""
        spans: list[tuple[int, int]] = []
        realign = 0
        last = len(cuts) - 1
        for i, (start, stop) in enumerate(cuts):
            start += realign
            if i == last:
                if start < stop:
                    spans.append((start, stop))
                break
            after, end = cuts[i + 1]
            # ``$`` and the lookahead see ``end`` as the end of the text, as on nltk's slice.
            moved = _PlainRegexVars.re_boundary_realignment.match(text, after, end)
            if moved:
                spans.append((start, after + len(moved.group().rstrip())))
                realign = moved.end() - after
            else:
                realign = 0
                if start < stop:
                    spans.append((start, stop))
        return spans

    def text_contains_sentbreak(self, text: str) -> bool:
        """Whether ``text`` (word, mark, next token) holds a break: Punkt's answer, faster."""
        plain = _PLAIN_END.fullmatch(text)
        if plain is not None and plain.group(1).lower() not in ABBREVIATIONS:
            return True
        before = _BEFORE_WORD.fullmatch(text)
        if before is not None:
            decided = _decide(before.group(1), before.group(2)[0])
            if decided is not None:
                return decided
        return bool(super().text_contains_sentbreak(text))


# A number, an initial or a dotted word, a period, then a plain word of letters: Punkt reads
# these as two tokens whose break ``_decide`` works out as Punkt would.
_BEFORE_WORD = re.compile(r"(\d+|[^\W\d_]+(?:\.[^\W\d_]+)*)\.\s+([^\W\d_]+)")


def _decide(word: str, following: str) -> bool | None:
    """Untrained Punkt's break after ``word`` + "." before a word of letters starting with
    ``following``; ``None`` where ``text_contains_sentbreak`` should ask Punkt.

    With no trained parameters (no collocations, sentence starters or orthographic counts)
    Punkt's second pass comes down to the case of the next word: after a number only a
    lowercase word undoes the break; after an initial (one letter, no abbreviation) only a
    word that is neither upper- nor lowercase keeps it; after a known abbreviation nothing
    makes one; any other word of letters, dotted or not, breaks as a plain word does.
    """
    if word.isdigit() or word.isdecimal():
        return None if not word.isascii() else not following.islower()
    lowered = word.lower()
    if lowered in ABBREVIATIONS:
        return False
    if len(word) == 1:
        return not (following.isupper() or following.islower())
    return True


# What nltk's Punkt counts as whitespace before a candidate's word (``string.whitespace``).
_ASCII_SPACE = " \t\n\r\x0b\x0c"


_ENGLISH = PunktLanguageVars()


class _PlainRegexVars(PunktLanguageVars):  # type: ignore[misc]  # nltk ships no types
    """Punkt's English variables, its patterns run by the stdlib's ``re``.

    nltk 3.10 runs every pattern through a ReDoS guard (the ``regex`` engine under a
    timeout), which costs about a millisecond per paragraph for the pattern that finds
    candidate breaks, and several for the word pattern Punkt tokenizes a candidate with:
    most of the cost of citing a page. These patterns are nltk's own (taken from its
    compiled ones once, so they stay in step with the installed version) and are linear:
    a mark, then a lookahead over one run of spaces and one token; one word at a time,
    each ended by a lookahead of a few characters; a run of closing quotes at a sentence's
    start. Punkt only ever applies them to one paragraph of a passage.
    """

    re_boundary_realignment = re.compile(_ENGLISH.re_boundary_realignment.pattern, re.MULTILINE)
    PERIOD_CONTEXT = re.compile(_ENGLISH.period_context_re().pattern, re.UNICODE | re.VERBOSE)
    # nltk exposes the compiled word pattern only through this method.
    _WORDS = re.compile(_ENGLISH._word_tokenizer_re().pattern, re.UNICODE | re.VERBOSE)

    def period_context_re(self) -> re.Pattern[str]:
        """The pattern of candidate breaks, compiled by ``re``."""
        return self.PERIOD_CONTEXT

    def word_tokenize(self, s: str) -> list[str]:
        """Punkt's words of ``s`` (periods kept on words), found by ``re``.

        The public hook nltk gives language variables for word splitting, so it keeps its
        name (a search for that name finds this line: it is Punkt's method, not nltk's
        data-hungry tokenizer of the same name)."""
        return self._WORDS.findall(s)


class _PlainToken(PunktToken):  # type: ignore[misc]  # nltk ships no types
    """Punkt's token, its four shape patterns (number, ellipsis, initial, word of letters)
    run by the stdlib's ``re`` rather than under nltk's ReDoS guard, which costs several
    microseconds a call. They are nltk's own patterns, anchored and linear, and
    ``_fast_agrees`` sends text the two engines might read apart to nltk's tokenizer."""

    __slots__ = ()
    _RE_ELLIPSIS = re.compile(PunktToken._RE_ELLIPSIS.pattern)
    _RE_NUMERIC = re.compile(PunktToken._RE_NUMERIC.pattern)
    _RE_INITIAL = re.compile(PunktToken._RE_INITIAL.pattern, re.UNICODE)
    _RE_ALPHA = re.compile(PunktToken._RE_ALPHA.pattern, re.UNICODE)


def _tokenizer(fast: bool = True) -> PunktSentenceTokenizer:
    """Build an untrained Punkt tokenizer knowing only ``ABBREVIATIONS`` (the fast one or
    nltk's own, which the tests compare it with)."""
    params = PunktParameters()
    params.abbrev_types = set(ABBREVIATIONS)
    if not fast:
        return PunktSentenceTokenizer(params)
    return _FastPunkt(params, lang_vars=_PlainRegexVars(), token_cls=_PlainToken)


_PUNKT = _tokenizer()
_REFERENCE = _tokenizer(fast=False)
# Punkt only breaks after ".", "?" or "!" that has more text after it.
_MAY_BREAK = re.compile(r"[.?!]\s*\S")
# ASCII characters that ``re`` counts as spaces and nltk's ``regex`` does not.
_ASCII_ODD = re.compile(r"[\x1c-\x1f]")


@cache
def _same_classes(char: str) -> bool:
    """Whether ``re`` and ``regex`` (nltk's engine) agree on whether ``char`` is a space, a
    word character and a digit: they differ on a few (\\x1c-\\x1f, combining marks, Ⓐ)."""
    return all(bool(re.match(p, char)) == bool(regex.match(p, char)) for p in _CLASSES)


_CLASSES = (r"\s", r"\w", r"\d")


def _fast_agrees(piece: str) -> bool:
    """Whether the ``re`` patterns read ``piece`` exactly as nltk's ``regex`` ones would."""
    if piece.isascii():
        return _ASCII_ODD.search(piece) is None
    return all(_same_classes(char) for char in set(piece))


@lru_cache(maxsize=8192)
def punkt_spans(piece: str) -> tuple[tuple[int, int], ...]:
    """Punkt's sentence spans of one paragraph (quotes already straightened).

    Cached, because the same passages are cited again and again, and skipped where Punkt
    could not split at all: together they are most of the cost of citing a search hit.
    """
    if not _MAY_BREAK.search(piece):
        return ((0, len(piece)),) if piece.strip() else ()
    return tuple(_PUNKT.span_tokenize(piece))
