"""Tests that the pruned window chooser quotes exactly what scoring every window quotes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.chunking import chunk
from retrieval.models import Passage, Span
from retrieval.text import Analyzer
from retrieval.window_parts import Sentence as _Sentence
from retrieval.window_reference import choose_reference
from retrieval.window_scores import WEIGHTS, Weights
from retrieval.windows import _apart, choose
from seeds import SEEDS, seed_body

QUESTIONS = [
    "Who sent weapons to Kyiv?",
    "When will the weapons arrive?",
    "How many tanks did Germany send to Ukraine?",
    "Which country asked for more weapons?",
    "Why did the talks fail?",
    "Blinken Ukraine weapons timeline discussion",
]
TUNINGS = {
    "shipped": WEIGHTS,
    "answer-heavy": Weights(answer=3.0, novelty=0.0, length=0.0, lead=0.0),
    "no-answer": Weights(answer=0.0, novelty=0.5, length=0.5, lead=1.0),
    "zero": Weights(answer=0.0, novelty=0.0, length=0.0, lead=0.0, novelty_words=3),
}


@pytest.fixture(scope="module")
def english() -> Analyzer:
    """One English analyzer for the module."""
    return Analyzer("english")


def passages_of(text: str) -> list[Passage]:
    """``text`` cut into passages as ingest cuts it, with ordinals and consecutive ids."""
    spans = chunk(text) or [Span(0, len(text))]
    return [Passage(i, "a", i, span, span.slice(text)) for i, span in enumerate(spans)]


def same_choice(question: str, passages: list[Passage], english: Analyzer, tuning: Weights) -> None:
    """Assert the fast and the reference chooser pick the same window, every ranked order,
    told nothing of which terms each passage holds, told exactly, and told a superset."""
    terms = english.terms(question)
    # Unequal, as idfs are, and one term negative, as BM25Okapi's idf of a common word may be.
    weights = {term: 1.0 + len(term) / 7 if i else -0.5 for i, term in enumerate(terms)}
    for first in range(len(passages)):
        ordered = [passages[first], *passages[:first], *passages[first + 1 :]]
        want = choose_reference(question, ordered, weights, english, tuning=tuning)
        exact = [frozenset(weights) & frozenset(english.terms(p.text)) for p in ordered]
        every = [frozenset(weights)] * len(ordered)
        # What an index holding the title's words with every passage would say.
        titled = [held | frozenset(terms[:1]) for held in exact]
        for holds in (None, exact, every, titled):
            fast = choose(question, ordered, weights, english, tuning=tuning, holds=holds)
            assert fast == want


@pytest.mark.parametrize("tuning", list(TUNINGS.values()), ids=list(TUNINGS))
@pytest.mark.parametrize("path", SEEDS, ids=[path.stem for path in SEEDS])
def test_fast_chooser_equals_reference_on_the_seeds(
    english: Analyzer, path: Path, tuning: Weights
) -> None:
    """On every seed, any passage ranked first and any question, both quote the same window."""
    passages = passages_of(seed_body(path))
    for question in QUESTIONS:
        same_choice(question, passages, english, tuning)


HOSTILE = [
    "<b>Weapons</b> &amp; <script>alert('x')</script> arrived. Kyiv <i>asked</i> for more.",
    "🇺🇦 Weapons 👩‍👩‍👧 arrive 🚀 in Kyiv. More weapons 🚀 came later. Then calm.",
    "Cafe\u0301 owners asked for weapons. The weapo\u0301ns arrived. Zoe\u0308 left.",
    "‏שלום weapons مرحبا بالعالم. Weapons arrived in Kyiv. ‮reversed‬ text here.",
    "Weapons\x01 arrived\x7f in\x1b Kyiv.\x0b More\x0c weapons\x85 came.",
    "weapons" + "x" * 5000 + ". Kyiv asked for weapons.",
    "Weapons " + "and more weapons for Kyiv " * 400 + "arrived.",
    "",
    " \n\n \t ",
    "Nothing here matches at all. Not one word of it.",
    "½ of Kyiv's ﬁrst weapons … arrived at 3 p.m. on Aug. 23, 2044, said Dr. Smith.",
]


@pytest.mark.parametrize("tuning", list(TUNINGS.values()), ids=list(TUNINGS))
def test_fast_chooser_equals_reference_on_hostile_text(english: Analyzer, tuning: Weights) -> None:
    """Hostile passages side by side, each ranked first in turn, get the same window both ways."""
    passages = [Passage(i, "a", i, Span(0, len(t)), t) for i, t in enumerate(HOSTILE)]
    for question in ["Which weapons did Kyiv ask for?", "When did 270 weapons arrive?"]:
        same_choice(question, passages, english, tuning)


SAMPLE_WORDS = [
    "Weapons", "weapon", "Kyiv", "U.S.", "Dr.", "said.", "talks", "the", "of", "\n\n", "2044",
    "Berlin", "Café", "ﬁnal", "🚀", "aid.", "Mr.", "“Quote.”", "NATO", "May", "three", "\x07",
    "e\u0301", "x" * 320, "Who?", "270", "Monday.", "$5", "40%", "Germany", "tanks.",
]  # fmt: skip
texts = st.lists(st.sampled_from(SAMPLE_WORDS) | st.text(max_size=8), max_size=80).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(
    bodies=st.lists(texts, min_size=1, max_size=4),
    question=st.sampled_from(QUESTIONS),
    tuning=st.sampled_from(list(TUNINGS.values())),
)
def test_fast_chooser_equals_reference_on_generated_text(
    english: Analyzer, bodies: list[str], question: str, tuning: Weights
) -> None:
    """On generated passages and any ranked order the fast chooser picks the reference's window."""
    passages = [Passage(i, "a", i, Span(0, len(t)), t) for i, t in enumerate(bodies)]
    same_choice(question, passages, english, tuning)


def test_holds_must_match_the_passages(english: Analyzer) -> None:
    """Term sets for another number of passages than given are refused with a message."""
    passages = passages_of("Weapons arrived in Kyiv. More came later.")
    with pytest.raises(ValueError, match="holds has 2 term sets for 1 passages"):
        choose("Which weapons?", passages, {"weapon": 1.0}, english, holds=[frozenset()] * 2)


@pytest.mark.parametrize(
    "change", [{"answer": -1.0}, {"lead": -0.1}, {"novelty_words": 0}], ids=str
)
def test_negative_weights_are_refused(change: dict[str, float]) -> None:
    """A weight counting against a window is refused with a message naming the weights."""
    with pytest.raises(ValueError, match="must"):
        Weights(**change)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "cuts", "apart"),
    [
        ("Weapons came. Kyiv asked.", [(0, 13), (14, 25)], True),
        ("Weapons came.Kyiv asked.", [(0, 13), (13, 24)], True),
        ("Weapons came2Kyiv asked.", [(0, 13), (13, 24)], False),
        ("Café owners asked. Weapons came.", [(0, 18), (19, 32)], False),
    ],
    ids=["space", "mark", "word-across", "not-ascii"],
)
def test_sentences_are_read_alone_only_where_that_reads_the_same(
    text: str, cuts: list[tuple[int, int]], apart: bool
) -> None:
    """Highlights are looked for sentence by sentence only in ASCII text where no word runs
    from one sentence into the next; elsewhere the whole window is read."""
    parts = [_Sentence(Span(a, b), frozenset(), ()) for a, b in cuts]
    assert _apart(text, parts) is apart
