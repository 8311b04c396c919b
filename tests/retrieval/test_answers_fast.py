"""Tests that the fast pattern for capitalised words finds what the plain one finds."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.answers import _CAPITAL, CAPITAL_PLAIN

PLAIN = re.compile(CAPITAL_PLAIN)
# Characters where the two could part: case, digits, "_", the joiners and the characters
# the lookbehind refuses before a word, accents, other scripts, titlecase, ligatures.
TRICKY = list("aAzZ09_ .-'’&éÉßΣσ٣Ⅻ\u0301Ⓐǅﬁ\t\n\"()")


def spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    """Every match of ``pattern`` in ``text`` as offsets."""
    return [match.span() for match in pattern.finditer(text)]


@pytest.mark.parametrize(
    "text",
    [
        "Dr. Smith met U.S. officials in São Paulo.",
        "McDonald's O'Neil and AT&T vs. Élodie at 3 p.m.",
        "x-Ray, e.Coli, _Under, 9Lives, ΣΑΣ and Ⅻ Olympics",
        "",
    ],
)
def test_capitalised_words_found_alike(text: str) -> None:
    """On names, initials, joined words and other scripts both patterns find the same words."""
    assert spans(_CAPITAL, text) == spans(PLAIN, text)


@given(st.text(alphabet=st.sampled_from(TRICKY), max_size=40) | st.text(max_size=40))
@settings(max_examples=500, deadline=None)
def test_hypothesis_capitalised_words_found_alike(text: str) -> None:
    """On any text both patterns find the same capitalised words at the same offsets."""
    assert spans(_CAPITAL, text) == spans(PLAIN, text)
