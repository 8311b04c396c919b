"""Tests for ``retrieval.sentences``: untrained Punkt plus paragraph and lowercase rules."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.fast_punkt import _PUNKT, ABBREVIATIONS, _tokenizer, punkt_spans
from retrieval.models import Span
from retrieval.sentences import _QUOTES, paragraph_spans, split_sentences, trim
from seeds import SEEDS, check_cover, seed_body


@pytest.mark.parametrize("path", SEEDS, ids=[path.stem for path in SEEDS])
def test_seed_sentences_are_well_formed(path: Path) -> None:
    """Seed sentences cover the text, never start lowercase and never end on an abbreviation."""
    text = seed_body(path)
    spans = split_sentences(text)
    check_cover(text, spans)
    for span in spans:
        piece = span.slice(text)
        assert not piece[0].islower()
        last_word = piece.rsplit(maxsplit=1)[-1].lower().rstrip(".")
        assert last_word not in ABBREVIATIONS


def test_blinken_seed_sentences() -> None:
    """The Blinken seed splits where a reader would, keeping "U.S." and quotes whole."""
    path = Path(__file__).parents[2] / "seeds" / "000_628869d7c8165c06.txt"
    if not path.exists():
        pytest.skip("the Blinken seed is not in this checkout")
    text = seed_body(path)
    sentences = [span.slice(text) for span in split_sentences(text)]
    assert len(sentences) == 17
    assert sentences[0] == "Blinken Reaffirms U.S. Commitment To Send More Weapons To Ukraine"
    assert sentences[2].startswith("U.S. Secretary of State Antony Blinken says Washington")
    assert sentences[2].endswith("in its fight against Russia.")
    assert sentences[5] == "Live Briefing: Russia's Invasion Of Ukraine"
    assert sentences[14] == "“The discussion is not about the list of weapons."
    assert sentences[15].startswith("The discussion is about the timeline,” he said")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "U.S. Secretary of State Antony Blinken says so. He left.",
            ["U.S. Secretary of State Antony Blinken says so.", "He left."],
        ),
        ("Dr. Smith arrived. He sat.", ["Dr. Smith arrived.", "He sat."]),
        ("Mr. and Mrs. Jones left. Then?", ["Mr. and Mrs. Jones left.", "Then?"]),
        ("The U.N. and the U.K. agreed. Yes.", ["The U.N. and the U.K. agreed.", "Yes."]),
        ("Talks resume on Jan. 5 in Geneva. Good.", ["Talks resume on Jan. 5 in Geneva.", "Good."]),
        (
            "He met Gen. Milley, Sen. Graham etc. today.",
            ["He met Gen. Milley, Sen. Graham etc. today."],
        ),
        (
            "Acme Inc. and Foo Corp. merged. Shares rose.",
            ["Acme Inc. and Foo Corp. merged.", "Shares rose."],
        ),
        ("Use tools, e.g. hammers. Or not.", ["Use tools, e.g. hammers.", "Or not."]),
        ("No. 10 Downing Street said so. Fine.", ["No. 10 Downing Street said so.", "Fine."]),
        # Known merges: an abbreviation or ellipsis at a real sentence end keeps the next
        # sentence attached. Untrained Punkt cannot tell; a long excerpt beats a cut one.
        ("He said no. Fine.", ["He said no. Fine."]),
        ("It ended at 5 p.m. on Tuesday. Next.", ["It ended at 5 p.m. on Tuesday.", "Next."]),
        ("J. K. Rowling wrote it. Fans cheered.", ["J. K. Rowling wrote it.", "Fans cheered."]),
        ("Growth was 3.5 percent. Good.", ["Growth was 3.5 percent.", "Good."]),
        ('"We must act." He said.', ['"We must act."', "He said."]),
        ("“We must act.” He said.", ["“We must act.”", "He said."]),
        ("‘Go now.’ She went.", ["‘Go now.’", "She went."]),
        ("«On y va.» Il part.", ["«On y va.»", "Il part."]),
        ("(See above.) Then more.", ["(See above.)", "Then more."]),
        ("Really? Yes! Fine.", ["Really?", "Yes!", "Fine."]),
        ("Wait... What now?", ["Wait... What now?"]),
        (
            "Headline Without Period\n\nBody text here.",
            ["Headline Without Period", "Body text here."],
        ),
        ("A line with no stop\n  \t\n\nNext one", ["A line with no stop", "Next one"]),
        ("A wrapped\nsentence. Next.", ["A wrapped\nsentence.", "Next."]),
        ("  padded.  ", ["padded."]),
        ("", []),
        (" \n\n \t", []),
    ],
    ids=[
        "us-secretary",
        "dr",
        "mr-mrs",
        "un-uk",
        "month",
        "titles-etc",
        "companies",
        "eg",
        "number-no",
        "known-merge-abbreviation-at-end",
        "pm-lowercase-glue",
        "initials",
        "decimal",
        "straight-quote",
        "curly-double-quote",
        "curly-single-quote",
        "guillemets",
        "parentheses",
        "question-exclamation",
        "known-merge-ellipsis",
        "blank-line-ends-headline",
        "whitespace-blank-line",
        "single-newline-wraps",
        "padding",
        "empty",
        "whitespace-only",
    ],
)
def test_tricky_sentences(text: str, expected: list[str]) -> None:
    """Abbreviations, quotes, punctuation and paragraph breaks split as a reader would."""
    spans = split_sentences(text)
    assert [span.slice(text) for span in spans] == expected
    check_cover(text, spans)


def test_paragraph_spans_split_on_blank_lines_only() -> None:
    """Blank lines (even holding spaces or \\r) separate paragraphs; single newlines do not."""
    text = "One\ntwo\n\nThree\r\n \r\nFour\n"
    assert [span.slice(text) for span in paragraph_spans(text)] == ["One\ntwo", "Three", "Four"]


sentence_like = st.lists(
    st.tuples(
        st.sampled_from(["The", "U.S.", "Dr.", '"We', "“Yes", "it", "(see", "no.", "3.5", "ﬁne"]),
        st.lists(
            st.sampled_from(["war", "aid", "e.g.", "Mr.", "act.”", "so?", "now!"]), max_size=6
        ),
        st.sampled_from([".", "?", "!", '."', ".”", ".)", "...", ""]),
        st.sampled_from([" ", "  ", "\n", "\n\n", " \n \n", "\t"]),
    ),
    max_size=12,
).map(lambda parts: "".join(f"{a} {' '.join(b)}{c}{d}" for a, b, c, d in parts))


@given(st.one_of(st.text(max_size=200), sentence_like))
@settings(max_examples=300, deadline=None)
def test_sentences_cover_text(text: str) -> None:
    """For any text, sentences are ordered, disjoint, trimmed and cover all non-space chars."""
    spans = split_sentences(text)
    check_cover(text, spans)
    for span in spans:
        assert "\n\n" not in span.slice(text).replace(" ", "")


@given(st.text(alphabet=st.sampled_from(list("ab .?!\"'”)\n,é")), max_size=60))
@settings(max_examples=300, deadline=None)
def test_punkt_shortcut_and_cache_change_nothing(piece: str) -> None:
    """Skipping Punkt where it cannot split, and caching it, give Punkt's own sentences."""

    def trimmed(spans: Iterable[tuple[int, int]]) -> list[Span | None]:
        return [trim(piece, start, end) for start, end in spans]

    assert trimmed(punkt_spans(piece)) == trimmed(REFERENCE.span_tokenize(piece))


REFERENCE = _tokenizer(fast=False)
"""nltk's own untrained Punkt, which the fast one must equal."""

# Text that takes Punkt's every path: plain words, abbreviations, initials, numbers, ellipses,
# quotes and brackets after the mark, hyphens and dots inside words, other scripts, controls.
TRICKY = {
    "plain": "Grain left the port. Ships waited? Yes! Then calm.",
    "abbreviations": "Mr. Smith met Dr. Jones at 5 p.m. on Tuesday. Gen. Lee said no. U.S. aid.",
    "initials": "John F. Kennedy spoke. A. Smith and B. Jones left. I. Then we went.",
    "numbers": "It rose 3.5 per cent. In 2024. Prices hit $10. Then fell to No. 2.",
    "ellipsis": "Wait... what? He paused.. then left. Done.",
    "quotes": 'He said "go." She left. "Why?" he asked. \'No.\' (See above.) Done.',
    "brackets": "It ended (finally.) Then [it began.] Again {once.} Over.",
    "hyphens": "A well-known. Self-made man. Co. ltd. Inc. Ave. St. Rd. done.",
    "dots-inside": "Visit e.g. bbc.co.uk. Or example.com today. Mail a@b.org. Ok.",
    "other-scripts": "Привет мир. Это тест! Καλημέρα. Ok. 東京. Done.",
    "controls": "Weapons\x01 arrived\x7f in\x1b Kyiv.\x0b More\x0c weapons\x85 came.",
    "lowercase-after": "It came at 9 a.m. and left. the end. ok? yes. Fine.",
    "single-letters": "Plan A. Plan B. It is a. It is I. Go.",
    "many-marks": "Really?! No!! Yes?? Sure.!. Ok.... End",
}


def _paragraphs(text: str) -> list[str]:
    """Each paragraph of ``text`` as Punkt sees it: quotes straightened."""
    return [span.slice(text).translate(_QUOTES) for span in paragraph_spans(text)]


@pytest.mark.parametrize("text", list(TRICKY.values()), ids=list(TRICKY))
def test_fast_punkt_equals_punkt_on_tricky_text(text: str) -> None:
    """The fast splitter gives nltk Punkt's spans on every kind of sentence end."""
    for piece in _paragraphs(text):
        assert list(_PUNKT.span_tokenize(piece)) == list(REFERENCE.span_tokenize(piece))


@pytest.mark.parametrize("path", SEEDS, ids=[path.stem for path in SEEDS])
def test_fast_punkt_equals_punkt_on_the_seeds(path: Path) -> None:
    """On every paragraph of every seed the fast splitter gives nltk Punkt's spans."""
    for piece in _paragraphs(seed_body(path)):
        assert list(_PUNKT.span_tokenize(piece)) == list(REFERENCE.span_tokenize(piece))


words = st.sampled_from(
    ["war", "Aid", "it", "a", "I", "B", "mr", "Mr", "Dr", "U.S", "e.g", "no", "3", "3.5", "$10",
     "well-known", "bbc.co.uk", "Привет", "東京", "ﬁne", "x" * 30]
)  # fmt: skip
marks = st.sampled_from([".", "?", "!", "..", "...", "?!", ".'", '."', ".)", ".]", ".}", ",", ""])
gaps = st.sampled_from([" ", "  ", "\n", "\t", "", " (", ' "', " '", " [", "\u00a0"])


@given(st.lists(st.tuples(words, marks, gaps), max_size=30))
@settings(max_examples=500, deadline=None)
def test_fast_punkt_equals_punkt_on_generated_text(parts: list[tuple[str, str, str]]) -> None:
    """On generated runs of words, marks and gaps the fast splitter gives Punkt's spans."""
    piece = "".join(f"{word}{mark}{gap}" for word, mark, gap in parts)
    assert list(_PUNKT.span_tokenize(piece)) == list(REFERENCE.span_tokenize(piece))


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_fast_punkt_equals_punkt_on_any_text(piece: str) -> None:
    """On arbitrary Unicode text the fast splitter gives Punkt's spans."""
    assert list(_PUNKT.span_tokenize(piece)) == list(REFERENCE.span_tokenize(piece))


@pytest.mark.parametrize(
    "piece",
    ["?\x1f0", "Stop.\x1cNext one.", "Tried it.\u0301 Then more.", "Ⓐ. Ⓑ went home. Done."],
)
def test_fast_punkt_equals_punkt_where_the_regex_engines_disagree(piece: str) -> None:
    """Characters that ``re`` and nltk's ``regex`` classify differently (information separators,
    combining marks, circled letters) still split exactly as nltk's Punkt splits them."""
    assert list(punkt_spans(piece)) == list(REFERENCE.span_tokenize(piece))


# The corners of Punkt's own loop that the fast one replays by offsets: a candidate dropped
# for the one after it ("acting!!!"), a stretch opening with whitespace, a closing quote or
# bracket moved back at a paragraph's end or before "--", whitespace nltk does not count
# (no-break, em and ideographic spaces).
LOOP_CORNERS = [
    "Very bad acting!!! I promise.",
    'He left." Then "-- she said." -- Fine.)',
    ' Start.  ." Next.\t\x0bOk.\x0c" Done."',
    "Paid.\u00a0Then.\u2003More.\u3000End.) ] }",
    'A.".) B.\n" C.',
    "In 2024. The end. In 2024. the end. Plan A. ǅx left. Plan B. Then C. ok now. J.K. Rowling.",
    "U.S. troops and u.s. ones. Sen. Warren. Gen. lee. e.g. Ǆemal. No. 5. Done. ٣. Then.",
]
loop_text = st.text(alphabet=st.sampled_from(list("Ab1 .?!\"')]}-\t\n\x0b\x0c\u00a0\u2003")))


@pytest.mark.parametrize("piece", LOOP_CORNERS, ids=range(len(LOOP_CORNERS)))
def test_fast_punkt_loop_corners(piece: str) -> None:
    """Dropped candidates, odd whitespace and realigned quotes split exactly as nltk's Punkt."""
    assert list(_PUNKT.span_tokenize(piece)) == list(REFERENCE.span_tokenize(piece))
    assert list(_PUNKT.span_tokenize(piece, realign_boundaries=False)) == list(
        REFERENCE.span_tokenize(piece, realign_boundaries=False)
    )


@given(loop_text)
@settings(max_examples=500, deadline=None)
def test_fast_punkt_equals_punkt_on_marks_quotes_and_spaces(piece: str) -> None:
    """Text dense in marks, closing quotes, dashes and every kind of space splits as Punkt."""
    assert list(_PUNKT.span_tokenize(piece)) == list(REFERENCE.span_tokenize(piece))
