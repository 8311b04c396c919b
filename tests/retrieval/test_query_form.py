"""Questions and statements told apart by their form, with no data: the table below."""

from __future__ import annotations

import pytest

from retrieval.query_form import LONG_WORDS, TAIL_CHARS, is_statement, query_form

QUESTIONS = [
    "Who did Donald Trump name as his pick for United Nations ambassador?",
    "Protests broke out in which Eastern European country following a contested election?",
    "What percentage of increase in Thanksgiving travel does AAA predict? 76402024007",
    "How many Boeing 737 Max 9 jets were grounded earlier this month.",
    "Which basketball star became the first in NBA history to score 40,000 career points",
    "Why was the US Wind permit denied by Sussex County Council",
    "What is the significance of the new Dave’s Hot Chicken location opening in Dover",
    "who won the senate race in delaware",
    "what's the latest on the port strike",
    "what year did the bridge collapse",
    "how much did the storm cost",
    "did the fed raise rates",
    "is the strike over",
    "so who is running for mayor",
    "Name the country that hosted the 2024 Olympics.",
    "Finish the phrase: March comes in like a lion, and out like a ____.",
    "True or false: It is not possible for humans to catch the monkeypox virus from monkeys.",
    "Punxsutawney Phil did not see his shadow, which according to legend means we’ll have…",
    "This country pardoned more than 4,000 prisoners to help prevent coronavirus spread.",
    "The first lady of this African nation has been charged with murdering a rival.",
    "According to the World Bank, which region could suffer its first recession in 25 years",
    "Millions are ringing in the Lunar New Year. Which zodiac animal is it the year of?",
    "Could Yukos be a blessing in disguise?",  # a rhetorical headline: its mark decides
    "UKIP's secret weapon?",
    "“Is this the end of the euro?”",
    "?",
    "",
    "   ",
    "?!…",
    "____",
]

STATEMENTS = [
    "Ad sales boost Time Warner profit",
    "ukraine grain deal",
    "Ukraine asks its allies for more air defence systems before winter.",
    "How the Academy Awards flourished",
    "How to make a greener computer",
    "When technology gets personal",
    "Why few targets are better than many",
    "What high-definition will do to DVDs",
    "When you are gunning for glory, keeping the gunpowder dry is essential.",
    "Rivals of the £400 Apple...",
    "British Airways has blamed high fuel prices for a 40% drop in profits this year.",
    "What have the trials told us? Well, we could be heading there with six medal prospects.",
    "Spin the radio dial. But what you will not find is much Spanish-language hip-hop.",
    "The dollar hit its highest level against the euro since the U.S. Fed chief spoke.",
    "May inflation figures for the euro zone",
]


@pytest.mark.parametrize("text", QUESTIONS, ids=range(len(QUESTIONS)))
def test_questions_read_as_questions(text: str) -> None:
    """Question marks, question words, inversions and quiz forms are questions."""
    assert query_form(text) == "question"
    assert not is_statement(text)


@pytest.mark.parametrize("text", STATEMENTS, ids=range(len(STATEMENTS)))
def test_statements_read_as_statements(text: str) -> None:
    """Headlines, leads, keywords and how-to titles are statements."""
    assert query_form(text) == "statement"
    assert is_statement(text)


def test_a_long_paste_is_a_statement_even_when_it_ends_with_a_question() -> None:
    """A paste quoting a question is still a paste: its length decides."""
    paste = "The council met on Monday to discuss the budget for next year. " * 20
    assert query_form(paste) == "statement"
    assert query_form(paste + "But who will pay for it?") == "statement"
    assert query_form(paste * 200 + "Who pays?") == "statement"  # huge: read no further


def test_a_long_question_under_the_word_limit_is_still_a_question() -> None:
    """A quiz question longer than the tail read, but short of ``LONG_WORDS``, keeps its mark."""
    words = ["background"] * (LONG_WORDS - 10)
    question = " ".join(words) + ". Which country was it?"
    assert len(question) > TAIL_CHARS
    assert query_form(question) == "question"


def test_only_the_last_sentence_opens_the_question() -> None:
    """A question word opening an earlier sentence does not make a later statement a question."""
    assert query_form("Who knew. Markets fell sharply on Friday after the report") == "statement"
    assert query_form("Markets fell sharply on Friday. Who is to blame") == "question"


def test_a_sentence_break_needs_a_real_sentence_end() -> None:
    """Initials ("U.S.") do not end the sentence that holds the question word."""
    assert query_form("What did the U.S. Senate vote on") == "question"
