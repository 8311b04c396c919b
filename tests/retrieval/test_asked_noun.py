"""The noun a question asks for weighs less: read from the question, scored exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from retrieval import Engine, load_path
from retrieval.asked_noun import ASKED_WEIGHT, asked_terms, asked_words
from retrieval.bm25 import BM25Params, Index
from retrieval.bm25_terms import ScaledTerms, scale_of
from retrieval.explain import explain_passage
from retrieval.text import Analyzer
from retrieval.topk import Bonus, select_top_k

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
ANALYZER = Analyzer()


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("Which country was shaken by a 7.0-magnitude earthquake?", ("country",)),
        ("What company bought the social network?", ("company",)),
        ("Which city hosted the 2024 Olympics?", ("city",)),
        ("Name the film that won Best Picture", ("name", "film")),
        ("Which two automakers announced a merger?", ("automakers",)),
        ("What kind of animal escaped from the zoo?", ("kind", "animal")),
        ("What type of weather event hit Texas?", ("type", "event")),
        ("Which US state passed the law?", ("state",)),
        ("Which tech company laid off staff?", ("company",)),
        ("Which of these countries joined NATO?", ("countries",)),
        ("Which of the following politicians is not a candidate?", ("following", "politicians")),
        ("What is the name of the storm that pummelled Britain?", ("name", "storm")),
        ("This country's president resigned on Monday. Who replaced him?", ("country's",)),
    ],
    ids=[
        "which-country", "what-company", "which-city-hosted", "name-the-film",
        "which-two-automakers", "what-kind-of", "what-type-of-compound", "us-state",
        "tech-company", "which-of-these", "of-the-following", "name-of-the", "this-country",
    ],
)  # fmt: skip
def test_asked_noun_forms(question: str, asked: tuple[str, ...]) -> None:
    """Each form names its asked noun (and the frame words around it), nothing else."""
    assert asked_words(question, ANALYZER) == asked


@pytest.mark.parametrize(
    "text",
    [
        "Country music star dies",
        "Which way the country votes: a guide to the election",
        "What the company told investors about its results",
        "Who won the Senate race in Delaware?",
        "What did the president say about tariffs?",
        "Kuleba says his country will be supplied with weapons",
    ],
    ids=["headline", "which-way", "what-clause", "who", "what-verb", "statement"],
)
def test_statements_and_questions_without_a_kind_keep_every_word(text: str) -> None:
    """A headline, a statement or a question not naming a kind keeps all its terms as they are."""
    terms = ANALYZER.terms(text)
    assert asked_words(text, ANALYZER) == ()
    assert asked_terms(ANALYZER, text, terms, 0.25) == terms


def test_asked_terms_scale_only_the_kind_and_keep_repeats() -> None:
    """The scaled query is the same terms in order, the kind's term (any form) scaled."""
    question = "Which country borders the country of Chile?"
    terms = ANALYZER.terms(question)
    scaled = asked_terms(ANALYZER, question, terms, 0.25)
    assert isinstance(scaled, ScaledTerms)
    assert list(scaled) == terms
    assert len(scaled) == len(terms)
    assert dict(scaled.scales) == {"countri": 0.25}
    assert scale_of(scaled, "countri") == 0.25
    assert scale_of(scaled, "chile") == 1.0
    assert asked_terms(ANALYZER, question, terms, 1.0) is terms


def corpus(seed: int, scorer: str) -> tuple[Index, list[list[str]], list[str]]:
    """300 random passages over 12 words and a query with a repeated and an unknown term."""
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(12)]
    docs = [list(rng.choice(words, size=rng.integers(1, 10))) for _ in range(300)]
    query = [*rng.choice(words, size=3).tolist(), "w0", "w0", "unknown"]
    return Index.build(docs, BM25Params(scorer=scorer)), docs, query


@pytest.mark.parametrize("scorer", ["lucene", "okapi"])
@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("scale", [0.0, 0.3, 0.5], ids=["s0", "s0.3", "s0.5"])
def test_scaled_top_k_equals_exhaustive_scoring(seed: int, scale: float, scorer: str) -> None:
    """With an asked term scaled, the pruned top ``k`` (with and without a title bonus) is
    the exhaustive scores' top ``k`` to the bit, and every other exact score agrees."""
    index, _, query = corpus(seed, scorer)
    scaled = ScaledTerms(tuple(query), (("w0", scale),))
    every = np.arange(index.n_docs, dtype=np.int64)
    bonus = Bonus(np.array([10, 50]), np.array([20, 90]), np.array([0.7, 1.3]))
    for b in (None, bonus):
        expected = index.scores(scaled, b)
        for k in (1, 5, 20, 300):
            ids, scores = index.top_k(scaled, k, bonus=b)
            want_ids, want = select_top_k(every, expected, k)
            assert ids.tolist() == want_ids.tolist()
            assert scores.tolist() == want.tolist()
    plain = index.scores(scaled)
    held, sums = index.matching_scores(scaled)
    assert sums.tolist() == plain[held].tolist()
    assert index.scores_between(scaled, 40, 120).tolist() == plain[40:120].tolist()
    ranges = index.scores_in(scaled, np.array([0, 100]), np.array([30, 180]))
    assert ranges.tolist() == [*plain[0:30].tolist(), *plain[100:180].tolist()]


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("scale", [0.0, 0.3, 1.0], ids=["s0", "s0.3", "s1"])
def test_scaled_okapi_scores_are_the_references_weighted_sum(seed: int, scale: float) -> None:
    """``okapi`` with a term scaled is the reference's per-term scores summed with that
    weight (repeats counted), within 1e-9: at scale 1 plain ``BM25Okapi.get_scores``."""
    index, docs, query = corpus(seed, "okapi")
    reference = BM25Okapi(docs)
    want = sum((scale if term == "w0" else 1.0) * reference.get_scores([term]) for term in query)
    got = index.scores(ScaledTerms(tuple(query), (("w0", scale),)))
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)
    if scale == 1.0:
        np.testing.assert_allclose(got, reference.get_scores(query), rtol=0, atol=1e-9)


def test_explained_words_add_up_to_the_scaled_score() -> None:
    """ "Why?" scores each word as the search weighs it, the asked noun scaled."""
    index, _docs, query = corpus(3, "lucene")
    scaled = ScaledTerms(tuple(query), (("w0", 0.4),))
    passage = int(index.top_k(scaled, 1)[0][0])
    found = explain_passage(index, ANALYZER, " ".join(query), scaled, passage, "", "")
    total = sum(c.score for c in found.contributions)
    assert total == pytest.approx(float(index.scores(scaled)[passage]), abs=1e-12)
    w0 = next(c for c in found.contributions if c.term == "w0")
    alone = float(index.scores_between(["w0", "w0"], passage, passage + 1)[0])
    assert w0.score == pytest.approx(0.4 * alone, abs=1e-12)


@pytest.fixture(scope="module")
def seeded() -> Engine:
    engine = Engine.open()
    engine.ingest(load_path(SEEDS))
    return engine


def test_seeds_question_no_longer_quotes_the_word_it_asks_for(seeded: Engine) -> None:
    """Asked weight on, "Which country did Russia invade?" does not lead with "his country":
    that sentence holds the asked noun and answers nothing (weight 1 quotes it first)."""
    question = "Which country did Russia invade?"
    seeded.asked_weight = 0.25
    try:
        first = seeded.search(question).hits[0]
    finally:
        seeded.asked_weight = ASKED_WEIGHT
    assert "his country" not in first.excerpt
    seeded.asked_weight = 1.0
    try:
        assert "his country" in seeded.search(question).hits[0].excerpt
    finally:
        seeded.asked_weight = ASKED_WEIGHT


def test_a_statement_is_searched_with_every_word_as_asked(seeded: Engine) -> None:
    """A headline that names a kind is not a question: its terms and scores are unchanged."""
    headline = "Ukraine country weapons supplied by NATO"
    seeded.asked_weight = 0.0
    try:
        on = seeded.search(headline)
    finally:
        seeded.asked_weight = ASKED_WEIGHT
    seeded.asked_weight = 1.0
    try:
        off = seeded.search(headline)
    finally:
        seeded.asked_weight = ASKED_WEIGHT
    assert [(h.passage.id, h.score) for h in on.hits] == [(h.passage.id, h.score) for h in off.hits]
