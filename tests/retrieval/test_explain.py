"""Explanations: word contributions that add up to the search score, in plain words."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rank_bm25 import BM25Okapi

from retrieval import Article, Engine, StopwordsOnlyError, load_path
from retrieval.explain import Explanation, Factor, explanation_lines
from retrieval.pipeline import analyze_texts
from retrieval.recency import Recency
from retrieval.support import form_weight

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
QUERIES = (
    "weapons for Ukraine",
    "grain exports from Odesa ports",
    "Russia diplomacy weapons weapons",
    "NATO headquarters in Brussels",
    "the price of wheat and the harvest",
)
MORE = (
    Article(title="Grain exports resume", text="Ships carrying grain left Odesa ports. " * 3),
    Article(title="Harvest weather", text="Farmers expect rain in May. Wheat prices fell."),
    Article(title="Wheat price", text="The price of wheat rose after a poor harvest in Russia."),
)


def open_engine(scorer: str) -> Engine:
    """The seed briefings and a few short articles, so words differ in rarity."""
    engine = Engine.open(":memory:", scorer=scorer)
    engine.ingest(load_path(SEEDS))
    engine.ingest(MORE)
    return engine


@pytest.fixture(params=["okapi", "lucene"])
def seeded(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """The bundled seed briefings under each scorer."""
    engine = open_engine(request.param)
    yield engine
    engine.close()


@pytest.mark.parametrize("query", QUERIES)
def test_contributions_sum_to_search_score(seeded: Engine, query: str) -> None:
    """Every hit's explanation adds up to the score the search showed, within 1e-9."""
    result = seeded.search(query, 20, min_share=0.0)
    assert result.hits
    for hit in result.hits:
        assert hit.ranked is not None
        explanation = seeded.explain(query, hit.ranked.id)
        assert explanation is not None
        assert abs(explanation.score - hit.score) <= 1e-9
        assert abs(explanation.words_score - hit.score) <= 1e-9


@pytest.mark.parametrize("query", QUERIES)
def test_okapi_contributions_match_reference_per_word(query: str) -> None:
    """Each word's part equals rank_bm25's score for that word alone (repeats included)."""
    engine = open_engine("okapi")
    rows = list(engine._store.passage_texts())
    corpus = analyze_texts([(title, text) for _, title, text in rows], engine._analyzer)
    reference = BM25Okapi(corpus)
    terms = engine.query_terms(query)
    best = int(np.argmax(reference.get_scores(terms)))
    explanation = engine.explain(query, best)
    assert explanation is not None
    for part in explanation.contributions:
        alone = reference.get_scores([part.term] * part.repeats)[best]
        assert abs(part.score - alone) <= 1e-9
        assert part.occurrences == corpus[best].count(part.term)
        assert part.passages == sum(part.term in doc for doc in corpus)
    assert explanation.length == len(corpus[best])
    engine.close()


def test_title_and_text_counted_apart_with_forms() -> None:
    """A word in the title and twice in the text is counted by place, with its written forms."""
    engine = Engine.open(":memory:")
    engine.ingest(
        [
            Article(title="Weapons talks", text="Ministers discussed weapons. One weapon left."),
            Article(title="Grain", text="Ships left Odesa with grain."),
        ]
    )
    explanation = engine.explain("weapon grain", 0)
    assert explanation is not None
    weapon, grain = explanation.contributions
    assert (weapon.in_title, weapon.in_text, weapon.forms) == (1, 2, ("weapons", "weapon"))
    assert (weapon.asked, weapon.passages) == (("weapon",), 1)
    assert weapon.score > 0
    assert (grain.occurrences, grain.score) == (0, 0.0)
    lines = explanation_lines(explanation)
    assert "3 times (once in the title, twice in the text)" in lines[0]
    assert "in 1 of 2 passages" in lines[0]
    assert lines[1] == "Not in this passage (adds 0): “grain”"
    assert lines[-1].startswith(f"Score {explanation.score:.2f}")
    engine.close()


def test_factors_apply_in_order_and_get_a_line_each() -> None:
    """Factors added later (a recency prior, a date range) change the score and add lines."""
    engine = Engine.open(":memory:")
    engine.ingest([Article(title="Aid", text="Weapons for Ukraine.")])
    base = engine.explain("weapons", 0)
    assert base is not None

    boosted = replace(
        base,
        factors=(
            Factor("Recency", "published 2 days before the newest briefing", 0.5),
            Factor("Bonus", "a test step that adds", 1.0, kind="add"),
        ),
    )
    assert boosted.score == pytest.approx(base.score * 0.5 + 1.0, abs=1e-12)
    lines = explanation_lines(boosted)
    assert "Recency: published 2 days before the newest briefing (× 0.500)" in lines
    assert "Bonus: a test step that adds (+ 1.00)" in lines
    assert "then the factors above" in lines[-1]
    engine.close()


def test_unknown_passage_and_unsearchable_query() -> None:
    """An id past the index gives None; a stopword-only question raises like search does."""
    engine = Engine.open(":memory:")
    engine.ingest([Article(title="Aid", text="Weapons for Ukraine.")])
    assert engine.explain("weapons", 5) is None
    assert engine.explain("weapons", -1) is None
    with pytest.raises(StopwordsOnlyError):
        engine.explain("the of and", 0)
    assert isinstance(engine.explain("weapons", 0), Explanation)
    engine.close()


WORDS = ["grain", "grains", "port", "ports", "war", "wheat", "aid", "Kyiv", "ship", "rain"]
texts = st.lists(st.sampled_from(WORDS), min_size=1, max_size=12).map(" ".join)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["okapi", "lucene"]),
    st.lists(st.tuples(texts, texts), min_size=1, max_size=8),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=5).map(" ".join),
)
def test_generated_corpora_explain_every_hit_exactly(
    scorer: str, articles: list[tuple[str, str]], query: str
) -> None:
    """On generated corpora (a word in every passage, repeats, one passage) parts sum to hits."""
    engine = Engine.open(":memory:", scorer=scorer, workers=1)
    engine.ingest(
        Article(title=title, text=text, id=f"a{n}") for n, (title, text) in enumerate(articles)
    )
    for hit in engine.search(query, 20, min_share=0.0).hits:
        assert hit.ranked is not None
        explanation = engine.explain(query, hit.ranked.id)
        assert explanation is not None
        assert abs(explanation.score - hit.score) <= 1e-9
        assert sum(c.occurrences for c in explanation.contributions) > 0
    engine.close()


def test_recency_and_date_range_are_lines_that_keep_the_sum() -> None:
    """With the recency prior on, a recent briefing's explanation ends in a recency factor and
    still equals its search score; a question naming a range explains its range instead."""
    from datetime import UTC, datetime, timedelta

    from retrieval.recency import Recency

    now = datetime(2024, 6, 15, 12, tzinfo=UTC)
    engine = Engine.open(":memory:", recency=Recency(14.0, 0.6))
    engine.ingest(
        [
            Article(
                title="Flood aid",
                text="Flood aid reached the valley.",
                date=now - timedelta(days=3),
            ),
            Article(
                title="Old flood",
                text="Flood aid was late that year.",
                date=now - timedelta(days=900),
            ),
        ]
    )
    result = engine.search("flood aid", 5, as_of=now, min_share=0)
    recent = result.hits[0]
    assert recent.article.title == "Flood aid"
    explained = engine.explain("flood aid", recent.passage.id, as_of=now)
    assert explained is not None
    [factor] = explained.factors
    assert factor.name == "recency"
    assert factor.value > 1.0
    assert abs(explained.score - recent.score) <= 1e-9
    assert any("recency" in line for line in explanation_lines(explained))

    ranged = engine.search("flood aid since 1 June 2024", 5, as_of=now, min_share=0)
    [hit] = ranged.hits
    explained = engine.explain("flood aid since 1 June 2024", hit.passage.id, as_of=now)
    assert explained is not None
    assert [f.name for f in explained.factors] == ["date range"]
    assert abs(explained.score - hit.score) <= 1e-9

    # Nothing before 2020 matches: the search is widened, and so is its explanation.
    widened = engine.search("flood aid until:2020-01-01", 5, as_of=now, min_share=0)
    assert widened.widened
    names = []
    for hit in widened.hits:
        explained = engine.explain("flood aid until:2020-01-01", hit.passage.id, as_of=now)
        assert explained is not None
        names.append([f.name for f in explained.factors])
        assert abs(explained.score - hit.score) <= 1e-9
    assert names == [["recency"], []]  # the old briefing's factor is 1: no line


def test_the_title_field_is_a_line_that_keeps_the_sum() -> None:
    """With titles scored as a field, a hit whose headline holds a question word explains that
    part on a "title" line, and the lines still add up to the score shown."""
    engine = Engine.open(":memory:", title_weight=1.0)
    engine.ingest(load_path(SEEDS))
    engine.ingest(MORE)
    result = engine.search("grain exports", 5, min_share=0)
    titled = [hit for hit in result.hits if "grain" in hit.article.title.lower()]
    assert titled
    for hit in result.hits:
        explained = engine.explain("grain exports", (hit.ranked or hit.passage).id)
        assert explained is not None
        assert abs(explained.score - hit.score) <= 1e-9
    first = engine.explain("grain exports", (titled[0].ranked or titled[0].passage).id)
    assert first is not None
    assert [f.name for f in first.factors] == ["title"]


def test_a_statement_says_what_its_article_next_best_passage_added() -> None:
    """Ranked as a statement, the passage an article ranked by explains its own score, then
    what the next best passage (its own explained score times the weight) added to the
    article's rank; the other passage and the same words asked as a question get no line."""
    filler = " ".join(f"filler{i}" for i in range(120))
    text = (
        f"Lagos flood defences were overwhelmed by rain. {filler}\n\n"
        f"Officials said the flood defences of Lagos will be rebuilt. {filler}"
    )
    engine = Engine.open(":memory:", statement_support=0.6, recency=Recency())
    engine.ingest([Article("Two", text, id="two"), Article("Other", "Rain in Accra.", id="o")])
    statement = "Lagos flood defences rebuilt after rain"
    hit = engine.search(statement, 5, min_share=0).hits[0]
    assert hit.article.id == "two"
    assert hit.ranked is not None
    best = engine.explain(statement, hit.ranked.id)
    assert best is not None
    assert best.support is not None
    weight = form_weight(statement, engine.query_terms(statement), False, 0.0, 0.6)
    assert best.support.weight == weight > 0
    [other_id] = {0, 1} - {hit.ranked.id}
    other = engine.explain(statement, other_id)
    assert other is not None
    assert other.support is None
    assert 0 < best.support.next_best == pytest.approx(other.score, abs=1e-9)
    last = explanation_lines(best)[-1]
    assert last.startswith(f"Score {best.score:.2f}")
    assert "Its article ranked by this score plus" in last
    question = "Were the Lagos flood defences rebuilt after rain?"
    asked = engine.explain(question, hit.ranked.id)
    assert asked is not None
    assert asked.support is None
    engine.close()
