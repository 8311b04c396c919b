"""Tests for ``retrieval.chunking``: paragraph-sized, sentence-aligned passages."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.chunking import chunk
from retrieval.models import Span
from retrieval.sentences import split_sentences
from seeds import SEEDS, check_cover, seed_body


def sentence(words: int, tag: str = "w") -> str:
    """Build one plain sentence of ``words`` words ending in a period."""
    return " ".join(f"{tag}{i}" for i in range(words)).capitalize() + "."


def check_passages(text: str, spans: list[Span], max_chars: int = 1200) -> None:
    """Assert the chunking invariants: order, disjointness, coverage, sentence alignment."""
    sentences = split_sentences(text)
    starts = {s.start for s in sentences}
    ends = {s.end for s in sentences}
    check_cover(text, spans)
    for span in spans:
        assert span.start in starts
        assert span.end in ends
        inside = [s for s in sentences if span.start <= s.start and s.end <= span.end]
        assert span.end - span.start <= max_chars or len(inside) == 1


@pytest.mark.parametrize("path", SEEDS, ids=[path.stem for path in SEEDS])
def test_seed_passages_are_news_sized(path: Path) -> None:
    """Seed passages keep the invariants and hold roughly 30-200 words each."""
    text = seed_body(path)
    spans = chunk(text)
    check_passages(text, spans)
    assert spans
    for span in spans[:-1]:
        assert 30 <= len(span.slice(text).split()) <= 200


def test_blinken_seed_merges_captions_and_teasers() -> None:
    """The headline, photo caption and "Live Briefing" teaser join the paragraph after them."""
    path = Path(__file__).parents[2] / "seeds" / "000_628869d7c8165c06.txt"
    if not path.exists():
        pytest.skip("the Blinken seed is not in this checkout")
    text = seed_body(path)
    passages = [span.slice(text) for span in chunk(text)]
    assert passages[0].startswith("Blinken Reaffirms U.S. Commitment")
    assert passages[0].endswith("in its fight against Russia.")
    teaser = next(p for p in passages if "Live Briefing:" in p)
    assert teaser.startswith("Live Briefing:")
    assert teaser.endswith("click here.")
    assert passages[-1].endswith("Based on reporting by Reuters, AP, and dpa")


def test_long_paragraph_splits_near_target() -> None:
    """A paragraph over max_chars is cut between sentences into pieces near target_chars."""
    text = " ".join(sentence(12, tag=f"s{i}x") for i in range(40))
    spans = chunk(text, target_chars=300, max_chars=600, min_chars=100)
    check_passages(text, spans, max_chars=600)
    assert len(spans) > 3
    for span in spans[:-1]:
        assert 200 <= span.end - span.start <= 400


def test_single_huge_sentence_stays_whole() -> None:
    """A sentence longer than max_chars is one passage, never cut."""
    text = sentence(400) + "\n\n" + sentence(60, tag="b")
    spans = chunk(text)
    assert spans[0] == Span(0, len(sentence(400)))
    check_passages(text, spans)


def test_single_newlines_split_when_no_blank_lines() -> None:
    """Without blank lines, each line is a paragraph (sizes allowing)."""
    lines = [sentence(50, tag=f"p{i}x") for i in range(3)]
    text = "\n".join(lines)
    assert [span.slice(text) for span in chunk(text)] == lines


def test_wrapped_sentence_is_not_cut_at_line_break() -> None:
    """A line break inside a sentence is not a paragraph break."""
    first = sentence(45, tag="a")
    wrapped = first[:150] + "\n" + first[151:]
    text = wrapped + "\n" + sentence(45, tag="b")
    spans = chunk(text, min_chars=50)
    assert [span.slice(text) for span in spans] == [wrapped, sentence(45, tag="b")]


@pytest.mark.parametrize(
    ("paragraphs", "expected"),
    [
        (["Tiny caption.", sentence(70)], [0]),
        ([sentence(70), "Tiny tail."], [0]),
        ([sentence(70), "Tiny middle.", sentence(70, tag="b")], [0, 1]),
        (["One.", "Two.", "Three."], [0]),
    ],
    ids=["prefers-following", "tail-joins-previous", "middle-joins-following", "all-tiny"],
)
def test_small_paragraphs_join_a_neighbour(paragraphs: list[str], expected: list[int]) -> None:
    """Paragraphs under min_chars merge, preferring the following one."""
    text = "\n\n".join(paragraphs)
    assert len(sentence(70)) > 200
    starts = [text.index(p) for p in paragraphs]
    assert [span.start for span in chunk(text)] == [starts[i] for i in expected]


def test_small_paragraph_stays_alone_if_merging_breaks_max() -> None:
    """A tiny paragraph between two near-max ones is kept alone rather than oversize."""
    big = sentence(100)
    text = f"{big}\n\nTiny.\n\n{big}"
    spans = chunk(text, target_chars=len(big), max_chars=len(big) + 3)
    assert [span.slice(text) for span in spans] == [big, "Tiny.", big]


@pytest.mark.parametrize("text", ["", "   \n\n\t"], ids=["empty", "whitespace"])
def test_empty_text_has_no_passages(text: str) -> None:
    """Nothing to index gives no passages."""
    assert chunk(text) == []


@pytest.mark.parametrize(
    "sizes",
    [(0, 1200, 200), (1300, 1200, 200), (600, 1200, 1300), (600, 1200, -1)],
    ids=["zero-target", "target-over-max", "min-over-max", "negative-min"],
)
def test_bad_sizes_raise(sizes: tuple[int, int, int]) -> None:
    """Inconsistent size parameters are a ValueError, not a silent odd chunking."""
    target, maximum, minimum = sizes
    with pytest.raises(ValueError, match="chunk sizes"):
        chunk("Some text.", target_chars=target, max_chars=maximum, min_chars=minimum)


words = st.sampled_from(["war", "aid", "U.S.", "Dr.", "Kyiv", "e.g.", "“quote.”", "ﬁne", "3.5"])
sentences = st.builds(
    lambda ws, end: " ".join(ws).capitalize() + end,
    st.lists(words, min_size=1, max_size=40),
    st.sampled_from([".", "?", "!", '."', ""]),
)
documents = st.lists(
    st.tuples(sentences, st.sampled_from([" ", "\n", "\n\n", "  \n \n", "\n\n\n"])),
    max_size=30,
).map(lambda parts: "".join(s + sep for s, sep in parts))


@given(
    st.one_of(documents, st.text(max_size=300)),
    st.integers(min_value=20, max_value=400),
)
@settings(max_examples=200, deadline=None)
def test_chunk_invariants(text: str, target: int) -> None:
    """Any text chunks into ordered, disjoint, sentence-aligned passages covering every word."""
    spans = chunk(text, target_chars=target, max_chars=2 * target, min_chars=target // 3)
    check_passages(text, spans, max_chars=2 * target)
