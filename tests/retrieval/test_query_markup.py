"""HTML pasted into a question is read as its text: tag and attribute names are not searched."""

from __future__ import annotations

import pytest

from retrieval import Article, Engine
from retrieval.queries import plain_query

BRIDGE = Article(
    title="Bridge span collapsed",
    text="The main span of the river bridge fell; the class of the steel was questioned.",
)
AID = Article(title="Aid package", text="Ministers agreed on weapons for Ukraine on Thursday.")


@pytest.fixture
def engine() -> Engine:
    """Two articles: one whose words are also HTML tag and attribute names."""
    engine = Engine.open()
    engine.ingest([BRIDGE, AID])
    return engine


@pytest.mark.parametrize(
    "pasted",
    [
        "<span>weapons for Ukraine</span>",
        '<div class="lead"><p>weapons for <b>Ukraine</b></p></div>',
        '<a href="https://x.example/span">weapons</a> for Ukraine',
    ],
    ids=["span", "div-class", "link"],
)
def test_markup_in_a_question_is_not_searched(engine: Engine, pasted: str) -> None:
    """The question finds what its text alone finds; tag names never match the bridge story."""
    result = engine.search(pasted)
    plain = engine.search("weapons for Ukraine")
    assert result.terms == plain.terms
    assert [hit.article.title for hit in result.hits] == ["Aid package"]
    assert result.query == plain_query(pasted)
    assert "<" not in result.query


def test_markup_in_a_pasted_message_is_not_searched(engine: Engine) -> None:
    """A long paste searched for related briefings picks its telling words from the text only."""
    paste = '<div class="story"><span>' + "Weapons for Ukraine were agreed. " * 20 + "</span></div>"
    assert engine.too_long(paste)
    assert not {"span", "div", "class", "stori"} & set(engine.related_terms(paste))


@pytest.mark.parametrize("typed", ["is a < b > c", "<3 for Ukraine", "x<y and y>z"])
def test_text_without_real_tags_is_searched_as_typed(typed: str) -> None:
    """Angle brackets that are not HTML tags stay as typed."""
    assert plain_query(typed) == typed
