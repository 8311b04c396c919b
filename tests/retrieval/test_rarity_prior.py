"""The general English rarity prior that declining blends into a small store's rarity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval import Engine, load_path
from retrieval.answerable import Evidence, declines, evidence, rarity_weights
from retrieval.bm25 import Index
from retrieval.rarity_prior import (
    RARITY_PRIOR,
    SMALL_FLOOR,
    load_prior,
    prior_idf,
    zipf_table,
)
from retrieval.text import Analyzer

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.fixture(scope="module")
def seeds() -> Engine:
    engine = Engine.open()
    engine.ingest(load_path(SEEDS))
    assert engine.count_articles() == 1
    return engine


@pytest.mark.parametrize(
    "question",
    [
        "What happened in Bucha?",
        "What weapons did Ukraine ask for?",
        "Who is Dmytro Kuleba?",
        "What did Kuleba ask NATO for?",
    ],
)
def test_the_seed_article_answers_what_it_holds(seeds: Engine, question: str) -> None:
    """Its own subject, asked in words the one article never uses ("happened", "ask")."""
    assert not seeds.search(question).abstained


@pytest.mark.parametrize(
    "question",
    [
        "What did Macron say about Russia?",
        "What did Stoltenberg say?",
        "When will Finland join NATO?",
    ],
)
def test_the_seed_article_declines_what_it_never_mentions(seeds: Engine, question: str) -> None:
    """A name the article never mentions is not excused by the words around it it does hold."""
    result = seeds.search(question)
    assert result.abstained
    assert result.hits  # the nearest article is still listed


def test_without_the_prior_the_store_alone_declines_its_own_subject() -> None:
    """``rarity_prior`` 0 is the store's rarity alone: "happened" is then as rare as a name."""
    engine = Engine.open(rarity_prior=0)
    engine.ingest(load_path(SEEDS))
    assert engine.search("What happened in Bucha?").abstained


def test_the_table_ships_and_covers_common_words(monkeypatch: pytest.MonkeyPatch) -> None:
    """The table is package data read without network, keyed by the analyzer's stems."""
    import socket

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the rarity table must not reach the network")

    monkeypatch.setattr(socket, "create_connection", refuse)
    zipf_table.cache_clear()
    table = zipf_table("english")
    assert len(table) > 20_000
    analyzer = Analyzer()
    for word in ("happened", "asked", "says", "weapons", "government", "people", "week"):
        (stem,) = analyzer.terms(word)
        assert table[stem] > 4.5, word
    assert table["macron"] < 3.5
    assert "kuleba" not in table


def test_common_words_weigh_less_than_rare_ones() -> None:
    """The prior's idf falls as a word's frequency rises; a stem it lacks weighs most."""
    prior = load_prior("english")
    assert prior is not None
    idf = prior.idf(["say", "happen", "nato", "macron", "kuleba"])
    assert np.all(np.diff(idf) > 0)
    assert idf[-1] == prior.rarest
    assert prior_idf(7.0) < prior_idf(3.0)


def test_other_languages_and_zero_weigh_the_store_alone() -> None:
    assert load_prior("french") is None
    assert load_prior("english", 0.0) is None
    assert load_prior("../english") is None


def index_of(*texts: str) -> Index:
    analyzer = Analyzer()
    return Index.build([analyzer.terms(text) for text in texts])


def test_the_blend_is_the_stores_idf_in_a_large_store() -> None:
    """(N idf_store + M idf_prior) / (N + M): at a million passages the store's, within 1e-3."""
    prior = load_prior("english")
    assert prior is not None
    store_idf = np.array([0.5, 3.0, 12.0])
    terms = ["say", "nato", "kuleba"]
    large = prior.blend(1_000_000, store_idf, terms)
    np.testing.assert_allclose(large, store_idf, rtol=0, atol=1e-3)
    tiny = prior.blend(0, store_idf, terms)
    np.testing.assert_allclose(tiny, prior.idf(terms), rtol=0, atol=1e-12)
    mid = prior.blend(100, store_idf, terms)
    expected = (100 * store_idf + RARITY_PRIOR * prior.idf(terms)) / (100 + RARITY_PRIOR)
    np.testing.assert_allclose(mid, expected, rtol=0, atol=1e-12)


def test_without_a_prior_the_weights_are_the_stores_own() -> None:
    """The store's squared Lucene idf, exactly, when no prior is given."""
    index = index_of("the harbour opens", "the bridge closes", "a harbour and a bridge")
    weights = rarity_weights(index, ["harbour", "zeppelin"])
    df = np.array([2.0, 0.0])
    expected = np.log1p((3 - df + 0.5) / (df + 0.5)) ** 2
    np.testing.assert_allclose(weights, expected, rtol=0, atol=1e-12)


def test_a_common_word_a_small_store_lacks_barely_counts_as_unknown() -> None:
    """ "happened" missing from three passages is no news; "Zeppelin" missing is."""
    prior = load_prior("english")
    index = index_of("the harbour opens", "the bridge closes", "a harbour and a bridge")
    plain = evidence(index, ["happen", "harbour"], 0, [1.0], None)
    blended = evidence(index, ["happen", "harbour"], 0, [1.0], prior)
    assert plain.unknown == 0.5
    assert blended.unknown < 0.05
    rare = evidence(index, ["zeppelin", "harbour"], 0, [1.0], prior)
    assert rare.unknown == 0.5


def test_a_small_store_raises_the_floor() -> None:
    """A wide spread excuses a weak match at full size but not in a store of a few passages."""
    weak = Evidence(share=0.2, unknown=0.0, spread=1.0)
    assert not declines(weak)
    prior = load_prior("english")
    assert prior is not None
    assert declines(Evidence(0.2, 0.0, 1.0, small=prior.small(8)))
    assert not declines(Evidence(0.2, 0.0, 1.0, small=prior.small(100_000)))
    assert SMALL_FLOOR * prior.small(0) == SMALL_FLOOR
