"""Forwarded and pasted text: searched by its most telling terms instead of refused."""

from __future__ import annotations

import pytest

from retrieval import Article, EmptyQueryError, Engine, StopwordsOnlyError
from retrieval.related import RELATED_CHARS, RELATED_TERMS, telling_terms

IDF = {"the": 0.1, "said": 0.2, "kyiv": 3.0, "grain": 2.5, "port": 1.5, "odesa": 3.5}


def test_telling_terms_rank_by_tf_times_idf() -> None:
    """Frequent common words lose to a rare word used twice; unknown words are never chosen."""
    terms = ["the", "said", "the", "grain", "said", "kyiv", "grain", "the", "zzz", "port"] * 2
    # tf·idf: grain 4*2.5=10, kyiv 2*3.0=6, port 2*1.5=3, said 4*0.2=0.8, the 6*0.1=0.6
    assert telling_terms(terms, lambda t: IDF.get(t, 0.0), 3) == ["grain", "kyiv", "port"]
    assert "zzz" not in telling_terms(terms, lambda t: IDF.get(t, 0.0), 10)


def test_telling_terms_break_ties_by_first_occurrence() -> None:
    """Equal weights keep the order in which the text first used the terms."""
    assert telling_terms(["b", "a", "c"], lambda _: 1.0, 2) == ["b", "a"]


def news() -> Engine:
    engine = Engine.open()
    engine.ingest(
        [
            Article("Grain", "Ships carrying grain left the port of Odesa for Istanbul.", id="g"),
            Article("Talks", "Ministers met in Kyiv to discuss the talks on air defence.", id="t"),
            Article("Rates", "The central bank said it held interest rates steady.", id="r"),
        ]
    )
    return engine


def test_long_paste_is_searched_for_related_briefings() -> None:
    """A text far over the question limit finds the briefing on its topic, flagged related."""
    engine = news()
    paste = "The ships said grain was waiting. " * 40 + "Odesa port reopened, officials said."
    assert engine.too_long(paste)
    result = engine.search(paste, related=True)
    assert result.related
    assert result.hits[0].article.id == "g"
    assert set(result.terms) <= {"ship", "grain", "wait", "odesa", "port", "reopen", "offici",
                                 "said"}  # fmt: skip
    assert len(result.terms) <= RELATED_TERMS


def test_only_the_head_of_a_huge_paste_is_read() -> None:
    """A word after the first RELATED_CHARS characters plays no part in the search."""
    engine = news()
    paste = "x" * RELATED_CHARS + " Kyiv air defence talks"
    with pytest.raises(EmptyQueryError):
        engine.related_terms("-" * RELATED_CHARS + " Kyiv")
    assert engine.related_terms(paste) == []
    assert engine.search(paste, related=True).hits == ()


@pytest.mark.parametrize(
    ("text", "error"),
    [("the of and " * 100, StopwordsOnlyError), ("?! … " * 200, EmptyQueryError)],
    ids=["stopwords", "no-words"],
)
def test_long_text_without_content_words_gets_help(text: str, error: type) -> None:
    """A long text of stopwords or punctuation raises the same helpful errors as a question."""
    with pytest.raises(error) as raised:
        news().search(text, related=True)
    assert len(str(raised.value)) < 200
