"""Tests for the answer-bearing excerpt: which window is quoted, and that it stays verbatim."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.answers import Kind, asked_words, candidates, question_kind
from retrieval.engine import Engine
from retrieval.models import Article, Passage, Span
from retrieval.sentences import split_sentences
from retrieval.text import Analyzer
from retrieval.window_scores import WEIGHTS
from retrieval.windows import MAX_CHARS, choose

# Each case: a question, a sentence that restates it (most of its words, no answer) and one
# that answers it with fewer of its words. Both are long enough that no window holds both.
KINDS = {
    "who": (
        "Who won the Booker Prize for fiction this year?",
        "The Booker Prize for fiction is the most famous literary prize in the country, and this"
        " year the prize for fiction went to a short novel that the judges had read three times.",
        "Judges praised Samantha Harvey, whose novel about six astronauts circling the planet took"
        " the prize, and said it had moved every one of them to tears at least once.",
        "Samantha Harvey",
    ),
    "where": (
        "Where did the 7.0-magnitude earthquake strike?",
        "The 7.0-magnitude earthquake struck early in the morning, and the earthquake was so"
        " strong that seismologists said it was felt hundreds of miles away from where it struck.",
        "Buildings swayed in Manila and across northern Luzon when the earthquake hit, and rescue"
        " teams were still searching collapsed homes for survivors late in the evening.",
        "Manila",
    ),
    "when": (
        "When will the next total solar eclipse be visible in the US?",
        "The next total solar eclipse visible in the US will be a spectacular event, and"
        " astronomers say the next total eclipse will be visible to many millions in the US.",
        "Astronomers expect the shadow of the eclipse to sweep across the northern plains on"
        " August 23, 2044, when the path of totality will run through three western states.",
        "August 23, 2044",
    ),
    "how-many": (
        "How many electoral votes are needed to win the presidency?",
        "The electoral votes needed to win the presidency are counted by lawmakers early in the"
        " new year, and electoral votes decide who wins the presidency, not the popular vote.",
        "A candidate must secure 270 electoral votes, a majority of the 538 on offer, to be"
        " declared the winner, however narrow the margin in the popular vote turns out to be.",
        "270 electoral votes",
    ),
    "which": (
        "Which country was shaken by a 7.0-magnitude earthquake?",
        "The 7.0-magnitude earthquake was the strongest to hit the country in a decade, and the"
        " earthquake was felt across the whole country for almost a minute, officials said.",
        "Rescue teams in the Philippines searched collapsed homes after the earthquake, and"
        " schools stayed closed while engineers inspected bridges and roads for any damage.",
        "Philippines",
    ),
}


@pytest.fixture(scope="module")
def english() -> Analyzer:
    """One English analyzer for the module."""
    return Analyzer("english")


@pytest.mark.parametrize("order", ["restated-first", "answer-first"])
@pytest.mark.parametrize(("question", "restating", "answering", "answer"), KINDS.values(),
                         ids=list(KINDS))  # fmt: skip
def test_search_quotes_the_sentence_with_an_answer_of_the_asked_kind(
    question: str, restating: str, answering: str, answer: str, order: str
) -> None:
    """The excerpt is the sentence holding a candidate of the asked kind, not the restatement."""
    assert len(restating) + len(answering) > MAX_CHARS
    first, second = (restating, answering) if order == "restated-first" else (answering, restating)
    engine = Engine.open(":memory:")
    engine.ingest([Article("Report", f"{first} {second}", id="a")])
    hit = engine.search(question).hits[0]
    engine.close()
    assert hit.excerpt == answering
    assert answer in hit.excerpt


QUAKE_ANSWER = (
    "Rescue teams in the Philippines searched collapsed homes after the earthquake, and"
    " schools stayed closed while engineers inspected bridges and roads for any damage to"
    " the structures that thousands of people cross every single day on their way to work."
)
QUAKE_RESTATED = (
    "The 7.0-magnitude earthquake was the strongest to hit the country in a decade. The"
    " earthquake was felt across the whole country for almost a minute, and the earthquake"
    " magnitude surprised every seismologist who had studied the country's faults."
)
QUAKE_FILLER = (
    "Markets opened calmly on the following day, with traders saying they expected little"
    " lasting effect on exports, although insurers warned that claims could take months to"
    " settle and that premiums for homeowners were likely to rise over the coming year."
)
QUAKE_QUESTION = "Which country was shaken by a 7.0-magnitude earthquake?"


@pytest.fixture
def quake() -> Engine:
    """An engine holding one article whose answer is a paragraph before its best passage."""
    engine = Engine.open(":memory:")
    text = f"{QUAKE_ANSWER}\n\n{QUAKE_RESTATED}\n\n{QUAKE_FILLER}"
    engine.ingest([Article("Report", text, id="a")])
    return engine


def test_excerpt_comes_from_another_passage_of_the_article(quake: Engine) -> None:
    """The window may come from the article's second-best passage; ``ranked`` keeps the best."""
    (hit,) = quake.search(QUAKE_QUESTION, k=1).hits
    quake.close()
    assert hit.ranked is not None
    assert hit.ranked.text == QUAKE_RESTATED
    assert hit.passage.text == QUAKE_ANSWER
    assert hit.passage.article_id == hit.ranked.article_id
    assert hit.passage.id == hit.ranked.id - 1
    assert "Philippines" in hit.excerpt
    assert hit.excerpt == hit.excerpt_span.slice(hit.passage.text)


def test_the_answer_leads_even_when_its_passage_is_a_later_hit(quake: Engine) -> None:
    """In a one-article store the answering passage is hit 2 of its own: hit 1 quotes it, and
    hit 2 quotes the passage hit 1 ranked by, so the page shows each passage once."""
    first, second = quake.search(QUAKE_QUESTION, k=10).hits
    quake.close()
    assert first.ranked is not None
    assert second.ranked is not None
    assert first.ranked.text == QUAKE_RESTATED
    assert second.ranked.text == QUAKE_ANSWER
    assert first.passage.text == QUAKE_ANSWER
    assert "Philippines" in first.excerpt
    assert second.passage.text == QUAKE_RESTATED
    for hit in (first, second):
        assert hit.excerpt == hit.excerpt_span.slice(hit.passage.text)


def test_no_passage_is_quoted_twice_on_a_page() -> None:
    """However the hits of one article borrow, each passage of the page is quoted once."""
    paragraphs = [
        f"Ministers met in Brussels on April {day} to discuss the grain deal and the ports."
        f" Talks on the grain deal went on late into the night, delegates said. {filler}"
        for day, filler in zip(range(1, 7), [QUAKE_FILLER, QUAKE_ANSWER] * 3, strict=True)
    ]
    engine = Engine.open(":memory:")
    engine.ingest([Article("Grain talks", "\n\n".join(paragraphs), id="a")])
    hits = engine.search("When did ministers discuss the grain deal?", k=10).hits
    engine.close()
    assert len(hits) >= 4
    assert len({hit.passage.id for hit in hits}) == len(hits)
    assert {hit.passage.id for hit in hits} == {hit.ranked.id for hit in hits if hit.ranked}


BOOM = "What caused the loud boom heard across the capital on Sunday afternoon?"
BOOM_NOTE = (
    "Fighter jets were cleared to fly faster than sound as they chased an airliner that had"
    " stopped answering air traffic control and later came down in the hills. The loud boom"
    " heard across the capital on Sunday afternoon came from those jets, startling thousands of"
    " residents who flooded the emergency phone lines."
)


def test_a_note_just_over_300_characters_is_quoted_whole(english: Analyzer) -> None:
    """A two-sentence note of 311 characters is one window, so the answer in the sentence
    that restates less of the question is quoted with the one that restates it."""
    assert 300 < len(BOOM_NOTE) <= MAX_CHARS
    passage = Passage(0, "a", 0, Span(0, len(BOOM_NOTE)), BOOM_NOTE)
    weights = dict.fromkeys(english.terms(BOOM), 1.0)
    assert choose(BOOM, [passage], weights, english).span == Span(0, len(BOOM_NOTE))
    at_300 = choose(BOOM, [passage], weights, english, max_chars=300)
    assert "Fighter jets" not in at_300.span.slice(BOOM_NOTE)


FESTIVAL = "Which festival drew record crowds to the harbour town this summer?"
FESTIVAL_RANKED = (
    "Organisers of Sea Shanty Days said the festival drew record crowds to the harbour, with"
    " ferries running every hour and hotels booked out for weeks before it opened."
)
FESTIVAL_LEAD = (
    "Musicians from Brittany and Cornwall came back to the harbour town this summer for the"
    " festival, playing in pubs and on the quay until long after the last ferry left."
)


@pytest.mark.parametrize(("lead", "ordinal"), [(WEIGHTS.lead, 2), (0.4, 0)],
                         ids=["shipped", "last-round"])  # fmt: skip
def test_the_opening_paragraph_does_not_outweigh_a_better_match(
    english: Analyzer, lead: float, ordinal: int
) -> None:
    """The lead prior only breaks near-ties: a passage further in holding one more of seven
    question words is quoted over the opening paragraph, as it was not at last round's 0.4."""
    weights = dict.fromkeys(english.terms(FESTIVAL), 1.0)
    ranked = Passage(12, "a", 2, Span(0, len(FESTIVAL_RANKED)), FESTIVAL_RANKED)
    opening = Passage(10, "a", 0, Span(0, len(FESTIVAL_LEAD)), FESTIVAL_LEAD)
    tuning = replace(WEIGHTS, lead=lead)
    choice = choose(FESTIVAL, [ranked, opening], weights, english, tuning=tuning)
    assert choice.passage.ordinal == ordinal


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Who won?", Kind.NAME),
        ("Whose horse won?", Kind.NAME),
        ("Where did it land?", Kind.NAME),
        ("When does the eclipse start?", Kind.DATE),
        ("In what year did it open?", Kind.DATE),
        ("How many votes are needed?", Kind.NUMBER),
        ("How much was the fine?", Kind.NUMBER),
        ("What percentage of teens agree?", Kind.NUMBER),
        ("Which country won this week?", Kind.THING),
        ("This artist is the first to top the chart in four decades.", Kind.THING),
        ("The quake hit the north this week. Who was hurt?", Kind.NAME),
        ("Why did it fail?", None),
        ("How did it fail?", None),
        ("Le président a démissionné.", None),
    ],
    ids=lambda value: value if isinstance(value, str) else str(value),
)
def test_question_kind(question: str, kind: Kind | None) -> None:
    """The question word, or the noun after which/what/this, says what kind of answer is due."""
    assert question_kind(question) == kind


@pytest.mark.parametrize(
    ("kind", "text", "found"),
    [
        (Kind.NAME, "Officials in Manila said the Bank of England agreed.",
         ["Manila", "Bank of England"]),
        (Kind.NAME, "Earthquake hits Mindanao. Manila Bay flooded.", ["Mindanao", "Manila Bay"]),
        (Kind.NAME, "The quake hit Luzon.", []),  # Luzon is in the question
        (Kind.DATE, "It opens on Aug. 23, 2044 at 3 p.m. or next week.",
         ["Aug. 23, 2044", "3 p.m.", "next week"]),
        (Kind.NUMBER, "About 270 votes, or 53% of the $1.5 million, in 2024.",
         ["270", "53%", "$1.5 million"]),
        (Kind.NUMBER, "Seven of them had a 7.0 reading.", ["Seven"]),  # 7.0 is in the question
    ],
    ids=["names", "opening-word-alone", "asked-name", "dates", "numbers", "asked-number"],
)  # fmt: skip
def test_candidates_of_each_kind_leave_out_what_was_asked(
    english: Analyzer, kind: Kind, text: str, found: list[str]
) -> None:
    """Candidates have the asked kind's shape and hold something the question does not."""
    asked = asked_words("Did a 7.0 quake hit Luzon?")
    spans = candidates(text, kind, asked, english.stopwords)
    assert [span.slice(text) for span in spans] == found


HOSTILE = {
    "html": "<b>Weapons</b> &amp; <script>alert('x')</script> arrived. Kyiv <i>asked</i> for more.",
    "emoji": "🇺🇦 Weapons 👩‍👩‍👧 arrive 🚀 in Kyiv. More weapons 🚀 came later. Then calm.",
    "combining": "Cafe\u0301 owners asked for weapons. The weapo\u0301ns arrived. Zoe\u0308 left.",
    "rtl": "‏שלום weapons مرحبا بالعالم. Weapons arrived in Kyiv. ‮reversed‬ text here.",
    "controls": "Weapons\x01 arrived\x7f in\x1b Kyiv.\x0b More\x0c weapons\x85 came.",
    "no-spaces": "weapons" + "x" * 5000 + ". Kyiv asked for weapons.",
    "long-sentence": "Weapons " + "and more weapons for Kyiv " * 400 + "arrived.",
    "empty": "",
    "spaces": " \n\n \t ",
}


def verbatim(text: str, question: str, english: Analyzer) -> None:
    """Choose over ``text`` and check every promise about spans, length and cut flags."""
    terms = english.terms(question)
    passage = Passage(0, "a", 0, Span(0, len(text)), text)
    choice = choose(question, [passage], dict.fromkeys(terms, 1.0), english)
    span = choice.span
    assert 0 <= span.start <= span.end <= len(text)
    assert span.end - span.start <= MAX_CHARS
    shown = span.slice(text)
    for highlight in choice.highlights:
        assert 0 <= highlight.start < highlight.end <= len(shown)
    sentences = split_sentences(text)
    starts = {s.start for s in sentences}
    ends = {s.end for s in sentences}
    if sentences:
        assert choice.cut_start or span.start in starts
        assert choice.cut_end or span.end in ends
    if choice.cut_start or choice.cut_end:
        # Only a sentence longer than the limit is cut, and only at its own ends.
        assert any(s.start <= span.start and span.end <= s.end for s in sentences)


@pytest.mark.parametrize("text", list(HOSTILE.values()), ids=list(HOSTILE))
def test_window_is_verbatim_on_hostile_text(english: Analyzer, text: str) -> None:
    """HTML, emoji, combining marks, RTL, control characters and huge words stay verbatim."""
    verbatim(text, "Which weapons did Kyiv ask for?", english)


def test_a_long_sentence_is_cut_at_word_boundaries(english: Analyzer) -> None:
    """A sentence over the limit is narrowed between words to its most matching part."""
    text = "Officials said " + "that the talks went on " * 30 + "until Kyiv got weapons at last."
    passage = Passage(0, "a", 0, Span(0, len(text)), text)
    choice = choose("Did Kyiv get weapons?", [passage], {"kyiv": 1.0, "weapon": 1.0}, english)
    assert choice.cut_start
    assert not choice.cut_end
    assert choice.span.end == len(text)
    assert text[choice.span.start - 1] == " "
    assert "weapons" in choice.span.slice(text)


SAMPLE_WORDS = [
    "Weapons", "weapon", "Kyiv", "U.S.", "Dr.", "said.", "talks", "the", "of", "\n\n", "2044",
    "«Kyiv»", "Café", "ﬁnal", "🚀", "aid.", "Mr.", "“Quote.”", "NATO", "<b>", "&amp;", "\x07",
    "שלום", "e\u0301", "x" * 400, "Who?", "270",
]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    words=st.lists(st.sampled_from(SAMPLE_WORDS) | st.text(max_size=12), max_size=120),
    question=st.sampled_from(["Who sent weapons to Kyiv?", "How many weapons?", "When?"]),
)
def test_window_is_verbatim_on_generated_text(
    english: Analyzer, words: list[str], question: str
) -> None:
    """On generated text the excerpt is always a slice, within the limit, highlights inside."""
    verbatim(" ".join(words), question, english)


LONG_PARAGRAPH = " ".join(f"Sentence number {i} talks about nothing much." for i in range(12))


@pytest.mark.parametrize(
    "text",
    [
        f"{LONG_PARAGRAPH}\n\n{LONG_PARAGRAPH}\n\nKyiv got weapons.",
        f"{LONG_PARAGRAPH}\n\n{LONG_PARAGRAPH}",
    ],
    ids=["match-at-the-end", "no-match"],
)
def test_paragraphs_far_from_any_match_are_never_cut_across_sentences(
    english: Analyzer, text: str
) -> None:
    """Long paragraphs without a query term, near one or not, never yield a cut-across window."""
    verbatim(text, "Did Kyiv get weapons?", english)
