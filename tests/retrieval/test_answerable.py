"""Declining to answer: the rare-word share rule, the counts behind "N results", tiny stores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval import Article, Engine, load_path
from retrieval.answerable import (
    FLOOR,
    SPREAD_DEPTH,
    Evidence,
    could_tip,
    declines,
    evidence,
    match_share,
    needed_share,
    rarity_weights,
    scatter,
    scatter_cap,
)
from retrieval.bm25 import Index
from retrieval.engine import COUNT_DEPTH
from retrieval.ranking import diversify
from retrieval.text import Analyzer

SEEDS = Path(__file__).resolve().parents[2] / "seeds"

# Six briefings on unrelated topics; "city" and "council" are in most, each name in one.
TOPICS = {
    "harbour": "The city council voted to dredge the Kestrel harbour before the fishing season.",
    "budget": "The city council passed a budget that raises bus fares in the city from May.",
    "football": "Rovers beat the league leaders after the council reopened their city stadium.",
    "election": "Voters in the city elect a new mayor as the council loses its majority.",
    "drought": "Farmers outside the city ask the council for water as the drought deepens.",
    "museum": "A museum of maps opens in the old council hall with charts from 1700.",
}


@pytest.fixture
def topics() -> Engine:
    engine = Engine.open()
    engine.ingest(Article(name, text, id=name) for name, text in TOPICS.items())
    return engine


def test_holding_agrees_with_the_token_lists_across_segments() -> None:
    """holding() says exactly which passages contain each term, over several segments."""
    docs = [["a", "b"], ["b", "c", "c"], ["d"], ["a", "d", "e"], ["e"], ["b", "e"]]
    index = Index.build(docs[:3]).add(docs[3:5]).add(docs[5:])
    assert index.segment_count > 1
    query = ["e", "b", "zzz", "b"]
    ids = np.array([5, 0, 3, 2, 4], dtype=np.int64)
    expected = [[term in docs[i] for i in ids.tolist()] for term in ("e", "b", "zzz")]
    assert index.holding(query, ids).tolist() == expected
    assert [index.document_frequency(t) for t in ("b", "e", "zzz")] == [3, 3, 0]


def test_a_rare_word_outweighs_common_ones() -> None:
    """The passage with the question's rare word holds most of its weight; the common ones don't."""
    docs = [["city", "council", "harbour"], *[["city", "council", f"w{i}"] for i in range(20)]]
    index = Index.build(docs)
    terms = ["city", "council", "harbour"]
    assert match_share(index, terms, 0) == pytest.approx(1.0)
    assert match_share(index, terms, 5) < 0.1
    assert match_share(index, ["harbour"], 0) == pytest.approx(1.0)


def test_a_word_no_passage_holds_weighs_most() -> None:
    """An unknown word gets the highest weight, so missing it alone sinks the share."""
    index = Index.build([["city", "council"], ["city", "bus"], ["dam"]])
    weights = rarity_weights(index, ["city", "reykjavik", "dam"])
    assert weights[1] > weights[2] > weights[0] > 0
    assert match_share(index, ["dam", "reykjavik"], 2) < 0.5


def test_zero_threshold_never_abstains_on_a_hit_and_no_hit_always_abstains(
    topics: Engine,
) -> None:
    """min_share 0 keeps every search that found something; nothing found is always declined."""
    assert not topics.search("harbour in Reykjavik", min_share=0).abstained
    assert topics.search("harbour in Reykjavik", min_share=0.9).abstained
    assert topics.search("Reykjavik", min_share=0).abstained


def test_unrelated_question_abstains_but_lists_nearest(topics: Engine) -> None:
    """A question sharing only common words with the store is declined, its hits kept."""
    question = "What did the city council decide about trams in Reykjavik?"
    result = topics.search(question)
    assert result.abstained
    assert result.share < 0.17
    assert result.hits  # the nearest articles, for a reader who wants to look
    assert not topics.search(question, min_share=0).abstained


@pytest.mark.parametrize(
    "question",
    ["Why is the Kestrel harbour being dredged?", "bus fares", "drought water farmers"],
    ids=["question", "two-words", "keywords"],
)
def test_answerable_questions_are_answered(topics: Engine, question: str) -> None:
    """Questions whose telling words one briefing holds are answered, not declined."""
    assert not topics.search(question).abstained


@pytest.mark.parametrize(
    "question",
    [
        "What weapons will the U.S. send to Ukraine?",
        "Kuleba",
        "killings in Bucha",
        "Who is the foreign minister of Ukraine?",
    ],
)
def test_seed_questions_are_answered(question: str) -> None:
    """The seed briefing answers questions about it (a 1-article store)."""
    engine = Engine.open()
    engine.ingest(load_path(SEEDS))
    assert engine.count_articles() == 1
    assert not engine.search(question).abstained


def test_one_article_store_declines_what_it_does_not_hold() -> None:
    """With one article, a question half about something else is declined, a fitting one not."""
    engine = Engine.open()
    engine.ingest([Article("Dredging", TOPICS["harbour"], id="only")])
    assert not engine.search("Kestrel harbour dredging").abstained
    declined = engine.search("harbour prices in Reykjavik")
    assert declined.abstained
    assert declined.hits
    nothing = engine.search("Nvidia")
    assert nothing.abstained
    assert not nothing.hits


def test_matched_counts_articles_not_passages() -> None:
    """An article matching in many passages counts once: one article is "1" matched."""
    engine = Engine.open()
    text = "\n\n".join(f"Grain ships left port {i} today with " + "wheat " * 60 for i in range(6))
    engine.ingest([Article("Grain", text, id="grain")])
    result = engine.search("grain", k=12)
    assert result.total > 1
    assert (result.matched, result.more) == (1, False)


def test_matched_counts_every_matching_article_up_to_the_depth() -> None:
    """Counts are exact below the counting depth; beyond it the result says there are more.

    Without the article support, whose deeper list would count all of them here."""
    engine = Engine.open(statement_support=0.0)
    engine.ingest(
        Article(f"Note {i}", f"Grain shipment number {i} left the port.", id=f"n{i}")
        for i in range(COUNT_DEPTH + 5)
    )
    few = engine.search("shipment 7", k=3)
    assert (few.matched, few.more) == (COUNT_DEPTH, True)
    assert few.total == 3
    engine.ingest([Article("Other", "Barley prices rose.", id="barley")])
    assert (engine.search("barley", k=3).matched, engine.search("barley").more) == (1, False)


@pytest.mark.parametrize(
    ("found", "declined"),
    [
        (Evidence(share=0.45, unknown=0.5, spread=0.1), True),
        (Evidence(share=0.45, unknown=0.0, spread=0.1), False),
    ],
    ids=["half-unknown", "all-known"],
)
def test_words_the_collection_never_saw_raise_the_bar(found: Evidence, declined: bool) -> None:
    """A best passage holding 45% of the weight answers, unless half the words are unknown."""
    assert declines(found) is declined
    assert declines(found, min_share=0) is False


@pytest.mark.parametrize(
    ("found", "declined"),
    [
        (Evidence(share=0.15, unknown=0.0, spread=0.02), True),
        (Evidence(share=0.15, unknown=0.0, spread=0.2), False),
    ],
    ids=["flat-top", "one-stands-out"],
)
def test_top_scores_that_vary_little_raise_the_bar(found: Evidence, declined: bool) -> None:
    """15% of the weight answers when the top scores spread, not when they are flat."""
    assert declines(found) is declined


@pytest.mark.parametrize(
    ("share", "declined"), [(0.05, True), (0.15, False)], ids=["under-floor", "over-floor"]
)
def test_a_wide_spread_never_excuses_a_passage_under_the_floor(
    share: float, declined: bool
) -> None:
    """However much the top scores vary, under a tenth of the weight is no answer."""
    found = Evidence(share=share, unknown=0.0, spread=3.0)
    assert needed_share(found) == FLOOR
    assert declines(found) is declined


def test_evidence_counts_unknown_terms_and_measures_the_spread() -> None:
    """unknown is the share of distinct terms no passage holds; spread is sd over mean."""
    index = Index.build([["dam", "city"], ["city"], ["bus"]])
    found = evidence(index, ["dam", "city", "zeppelin", "dam"], 0, [3.0, 1.0])
    assert found.unknown == pytest.approx(1 / 3)
    assert found.spread == pytest.approx(0.5)
    assert found.share == pytest.approx(match_share(index, ["dam", "city", "zeppelin"], 0))
    assert evidence(index, ["dam"], 0, [2.0]).spread == 0.0


def test_the_spread_reads_past_the_first_page() -> None:
    """Ten equal best scores above forty lower ones still spread: the best stand out from the
    near misses below them, which the first page alone cannot show (scores past
    SPREAD_DEPTH are not read)."""
    index = Index.build([["dam"], ["city"]])
    page, below = [5.0] * 10, [1.0] * 40
    found = evidence(index, ["dam"], 0, page + below)
    assert found.spread == pytest.approx(np.std(page + below) / np.mean(page + below))
    assert found.spread > 0.5
    assert evidence(index, ["dam"], 0, [*page, *below, *[0.01] * 50]).spread == found.spread


def test_rankings_carry_the_scores_the_spread_reads() -> None:
    """The counting sweep already holds the SPREAD_DEPTH best scores, so the spread costs no
    second sweep; a store with fewer matches gives all it has."""
    assert 10 < SPREAD_DEPTH <= COUNT_DEPTH
    docs = [["grain", *["wheat"] * (i % 7)] for i in range(SPREAD_DEPTH + 20)] + [["barley"]]
    index = Index.build(docs)
    owners = (np.arange(index.n_docs) // 3).astype(np.int32)
    ranking = diversify(index, owners, ["grain"], 12, COUNT_DEPTH)
    assert len(ranking.top) == SPREAD_DEPTH
    assert list(ranking.top) == sorted(ranking.top, reverse=True)
    assert ranking.top[0] == ranking.passages[0][1]
    few = diversify(index, owners, ["barley"], 12, COUNT_DEPTH)
    assert len(few.top) == 1


@pytest.mark.parametrize(
    ("question", "declined"),
    [("Kestrel harbour dredging zeppelins airships", True), ("Kestrel harbour dredging", False)],
    ids=["unknown-words", "known-words"],
)
def test_a_store_declines_a_question_half_about_what_it_never_mentions(
    topics: Engine, question: str, declined: bool
) -> None:
    """The same matching words answer alone, and are not enough beside two unknown ones."""
    result = topics.search(question)
    assert result.abstained is declined
    assert result.hits[0].article.id == "harbour"


# The same words twice: the question's words in one sentence, or one to a sentence. BM25 sees
# the same bag of words either way, so only the scatter tells the two apart.
TOGETHER = (
    "Zeppelin tours will leave from the Kestrel harbour in June. "
    "Farmers sold wheat at the market on Tuesday. Buses ran late on the bridge."
)
APART = (
    "Zeppelin sold wheat at the market on Tuesday. "
    "Farmers will leave from the Kestrel bridge in June. Buses ran late on the harbour tours."
)
ANALYZER = Analyzer()


def words_index(*texts: str) -> Index:
    """An index of ``texts`` as the engine's analyzer reads them."""
    return Index.build([ANALYZER.terms(text) for text in texts])


def test_one_sentence_holding_every_matched_word_has_no_scatter() -> None:
    """Scatter is 0 where one sentence holds the question's words, high where none holds two."""
    index = words_index(TOGETHER, *TOPICS.values())
    terms = ANALYZER.terms("zeppelin tours from Kestrel harbour")
    assert scatter(index, ANALYZER, terms, "", TOGETHER) == 0.0
    apart = scatter(index, ANALYZER, terms, "", APART)
    assert 0.4 < apart <= scatter_cap(len(set(terms)))


def test_title_words_count_in_every_sentence() -> None:
    """A question word held by the title joins every sentence: the headline frames the text."""
    index = words_index(TOGETHER, *TOPICS.values())
    terms = ANALYZER.terms("Kestrel zeppelin")
    text = "Zeppelin tours resume in June. Farmers sold wheat on Tuesday."
    assert scatter(index, ANALYZER, terms, "", "Kestrel news. " + text) > 0.3
    assert scatter(index, ANALYZER, terms, "Kestrel news", text) == 0.0


def test_long_questions_have_their_scatter_scaled_down() -> None:
    """A question of more distinct terms than one sentence holds is allowed more scatter."""
    assert scatter_cap(3) == 1.0
    assert scatter_cap(12) == pytest.approx(0.5)
    index = words_index(APART, *TOPICS.values())
    short = ANALYZER.terms("zeppelin kestrel harbour")
    long = short + ANALYZER.terms("farmers wheat market buses tuesday june late bridge")
    assert len(set(long)) > 6
    assert scatter(index, ANALYZER, long, "", APART) <= scatter_cap(len(set(long)))


def test_nothing_matched_has_no_scatter() -> None:
    """A passage holding none of the question's words has no scatter (its share says enough)."""
    index = words_index(TOGETHER, *TOPICS.values())
    assert scatter(index, ANALYZER, ANALYZER.terms("museum maps"), "", TOGETHER) == 0.0
    assert scatter(index, ANALYZER, [], "", TOGETHER) == 0.0


@pytest.mark.parametrize(
    ("found", "declined"),
    [
        (Evidence(share=0.6, unknown=0.0, spread=0.0, scatter=0.0), False),
        (Evidence(share=0.6, unknown=0.0, spread=0.0, scatter=0.6), True),
    ],
    ids=["together", "scattered"],
)
def test_scattered_words_raise_the_bar(found: Evidence, declined: bool) -> None:
    """The same share answers when one sentence holds it, not when it is spread thin."""
    assert declines(found) is declined
    assert declines(found, min_share=0) is False


@pytest.mark.parametrize(
    ("found", "tips"),
    [
        (Evidence(share=0.6, unknown=0.0, spread=0.0), True),
        (Evidence(share=0.05, unknown=0.0, spread=0.0), False),
        (Evidence(share=1.0, unknown=0.0, spread=0.5), False),
    ],
    ids=["in-the-band", "declined-anyway", "answered-anyway"],
)
def test_the_text_is_read_only_where_scatter_could_tip_the_decision(
    found: Evidence, tips: bool
) -> None:
    """could_tip is True only where the largest scatter would turn an answer into a decline."""
    assert could_tip(found, 3) is tips
    assert could_tip(found, 3, min_share=0) is False


def test_a_store_declines_a_near_miss_whose_words_are_scattered() -> None:
    """Same words, same scores: one sentence holding them answers, one word a sentence does not."""
    results = []
    for text in (TOGETHER, APART):
        engine = Engine.open()
        engine.ingest([*(Article(k, v, id=k) for k, v in TOPICS.items()), Article("Notes", text)])
        results.append(engine.search("zeppelin tours from Kestrel harbour in Reykjavik"))
    together, apart = results
    assert together.hits[0].article.title == apart.hits[0].article.title == "Notes"
    assert together.share == apart.share
    assert (together.abstained, apart.abstained) == (False, True)


@pytest.mark.parametrize(
    "text",
    ["", "   \n\n ", "zeppelin kestrel harbour with no full stop", "...!?\n\n?!", "Kestrel." * 500],
    ids=["empty", "blank", "one-sentence", "punctuation-only", "many-tiny-sentences"],
)
def test_scatter_stays_in_range_on_odd_text(text: str) -> None:
    """Whatever the text, scatter is a number from 0 to its cap, never an error."""
    index = words_index(TOGETHER, *TOPICS.values())
    terms = ANALYZER.terms("zeppelin kestrel harbour")
    value = scatter(index, ANALYZER, terms, "", text)
    assert 0.0 <= value <= scatter_cap(len(set(terms)))
