"""Any query text and any ``k`` either searches or raises a typed ``QueryError``, nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrieval import MAX_RESULTS, Engine, QueryError, TooManyResultsError, load_path

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
PROPERTIES = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
AWKWARD_WORDS = ["weapons", "Ukraine", "the", "\x00", "\ud800", "é", " "]
queries = st.one_of(
    st.text(max_size=600),
    st.lists(st.sampled_from(AWKWARD_WORDS), max_size=8).map(" ".join),
)


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    """The seeds in an in-memory engine, shared by every example."""
    engine = Engine.open(workers=1)
    engine.ingest(load_path(SEEDS))
    yield engine
    engine.close()


@PROPERTIES
@given(queries)
def test_query_terms_of_any_text_are_terms_or_a_query_error(engine: Engine, query: str) -> None:
    """Arbitrary text (NULs, surrogates, 600 characters) analyses or raises a QueryError."""
    try:
        terms = engine.query_terms(query)
    except QueryError as error:
        terms, message = [], str(error)
    else:
        message = ""
    assert terms or message


@PROPERTIES
@given(queries, st.integers(min_value=-5, max_value=MAX_RESULTS + 5) | st.integers())
def test_search_of_any_text_and_k_is_a_result_or_a_query_error(
    engine: Engine, query: str, k: int
) -> None:
    """Any query and any k give a result of at most k hits, or a typed QueryError."""
    try:
        result = engine.search(query, k)
    except TooManyResultsError:
        assert k > MAX_RESULTS
        return
    except QueryError:
        return
    assert k <= MAX_RESULTS
    assert len(result.hits) <= max(k, 0)


def test_huge_k_is_a_typed_error_with_a_one_line_message(engine: Engine) -> None:
    """k = 10^9 raises TooManyResultsError (once a MemoryError) with a message naming the cap."""
    with pytest.raises(TooManyResultsError) as raised:
        engine.search("weapons", 1_000_000_000)
    assert str(raised.value) == "Ask for at most 1,000 results at a time, not 1,000,000,000."
    assert "\n" not in str(raised.value)


def test_k_at_the_cap_still_searches(engine: Engine) -> None:
    """Exactly MAX_RESULTS is allowed."""
    assert engine.search("weapons", MAX_RESULTS).hits
