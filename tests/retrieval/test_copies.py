"""Copies folded: MinHash signatures, the threshold's edges, which copy is shown, the engine."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

import numpy as np
import pytest

from retrieval.copies import HASHES, MIN_SHINGLES, fold, shown_copy, signature, similarity
from retrieval.engine import Engine
from retrieval.models import Article

WIRE = (
    "Rescue teams searched through the rubble of collapsed homes on Thursday after a strong "
    "earthquake struck the mountainous east of the country, killing at least 120 people and "
    "injuring hundreds more, officials said. Aid agencies warned that roads to the worst hit "
    "villages were blocked by landslides and that winter was weeks away."
)


def sig(*entries: int) -> bytes:
    """A hand-made signature whose first entries are ``entries`` and the rest zero."""
    values = np.zeros(HASHES, dtype="<u2")
    values[: len(entries)] = entries
    return values.tobytes()


def agreeing(shared: int) -> tuple[bytes, bytes]:
    """Two signatures that agree on exactly ``shared`` of their entries."""
    left = np.arange(1, HASHES + 1, dtype="<u2")
    right = left.copy()
    right[shared:] += 1000
    return left.tobytes(), right.tobytes()


def test_identical_terms_agree_fully_and_unrelated_terms_hardly() -> None:
    """Same terms give the same signature; different passages share almost no entries."""
    terms = WIRE.lower().split()
    assert signature(terms) == signature(list(terms))
    assert similarity(signature(terms), signature(terms)) == 1.0
    other = [
        "central",
        "bank",
        "held",
        "interest",
        "rates",
        "for",
        "a",
        "third",
        "month",
        "citing",
        "inflation",
    ]
    assert similarity(signature(terms), signature(other)) < 0.2
    assert len(signature(terms)) == 2 * HASHES


def test_a_lightly_edited_copy_is_similar() -> None:
    """A re-post with one sentence changed still agrees on most entries."""
    terms = WIRE.lower().split()
    edited = [*terms[:-6], "before", "the", "first", "snow", "arrives", "there"]
    assert similarity(signature(terms), signature(edited)) >= 0.5


def test_signatures_do_not_depend_on_the_process() -> None:
    """A signature computed in another interpreter (other hash seed) is byte for byte the same."""
    words = " ".join(f"w{i}" for i in range(30))
    code = f"from retrieval.copies import signature; print(signature('{words}'.split()).hex())"
    env = dict(os.environ, PYTHONHASHSEED="12345")
    other = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert other.stdout.strip() == signature(words.split()).hex() != ""


def test_short_empty_and_mismatched_signatures_are_never_similar() -> None:
    """Under MIN_SHINGLES (or no terms) a passage gets no signature; nothing matches it."""
    assert signature([]) == b""
    assert signature([f"w{i}" for i in range(MIN_SHINGLES + 1)]) == b""
    assert signature([f"w{i}" for i in range(MIN_SHINGLES + 2)]) != b""
    assert similarity(b"", b"") == 0.0
    assert similarity(sig(1), sig(1)[:10]) == 0.0


@pytest.mark.parametrize(
    ("shared", "folds"),
    [(16, True), (15, False), (32, True), (0, False)],
    ids=["exactly-threshold", "one-below", "identical", "nothing-shared"],
)
def test_threshold_edges(shared: int, folds: bool) -> None:
    """At 0.5, 16 of 32 agreeing entries fold (>=) and 15 do not."""
    left, right = agreeing(shared)
    groups = fold([10, 11], [0, 1], {10: left, 11: right}, threshold=0.5)
    assert groups == ([[0, 1]] if folds else [[0], [1]])


def test_passages_of_one_article_never_fold() -> None:
    """Two identical passages of the same article stay two results."""
    same = sig(1, 2, 3)
    assert fold([1, 2], [7, 7], {1: same, 2: same}) == [[0], [1]]


def test_a_copy_joins_the_first_matching_group_and_missing_signatures_stay_alone() -> None:
    """Groups keep rank order; a passage with no signature never folds."""
    a, b = agreeing(32)
    other = sig(*range(900, 900 + HASHES))
    groups = fold([1, 2, 3, 4], [0, 1, 2, 3], {1: a, 2: other, 3: b})
    assert groups == [[0, 2], [1], [3]]


def test_a_group_holding_the_article_already_does_not_take_its_second_passage() -> None:
    """An article's second passage matching a group that holds its first stays apart."""
    same = sig(5, 6, 7)
    groups = fold([1, 2, 3], [0, 1, 1], {1: same, 2: same, 3: same})
    assert groups == [[0, 1], [2]]


def test_shown_copy_is_newest_then_longest_then_best_ranked() -> None:
    """Undated counts as oldest; equal dates go to the longer passage, then to the first."""
    old, new = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC)
    assert shown_copy([old, new, None], [5, 5, 50]) == 1
    assert shown_copy([None, None], [5, 9]) == 1
    assert shown_copy([new, new], [9, 9]) == 0
    assert shown_copy([new, new, new], [1, 9, 9]) == 1


def copies() -> list[Article]:
    """Three copies of one wire story (two sources, three dates) and one other article."""
    return [
        Article("Quake kills 120", WIRE, datetime(2024, 5, 1, tzinfo=UTC), source="Wire A", id="a"),
        Article(
            "Earthquake toll rises",
            WIRE + " More aid was promised.",
            datetime(2024, 5, 3, tzinfo=UTC),
            source="Daily B",
            id="b",
        ),
        Article("Quake", WIRE, datetime(2024, 5, 2, tzinfo=UTC), source="Wire A", id="c"),
        Article("Rates", "The bank held rates after the earthquake scare.", source="Bank", id="d"),
    ]


@pytest.mark.parametrize("title_weight", [0.0, 1.0], ids=["titles-in-passages", "title-field"])
def test_engine_folds_copies_into_the_newest(title_weight: float) -> None:
    """The three copies are one hit showing the newest (b) and naming a and c in ``also``."""
    engine = Engine.open(":memory:", title_weight=title_weight)
    engine.ingest(copies())
    result = engine.search("earthquake rubble", k=5)
    ids = [hit.article.id for hit in result.hits]
    assert ids[0] == "b"
    assert sorted(ids) == ["b", "d"]
    assert result.total == 2
    assert sorted(info.id for info in result.hits[0].also) == ["a", "c"]
    assert result.hits[1].also == ()
    engine.close()


def test_folding_off_shows_every_copy() -> None:
    """A threshold above 1 never folds: every copy is its own hit."""
    engine = Engine.open(":memory:", copy_threshold=1.01)
    engine.ingest(copies())
    hits = engine.search("earthquake rubble", k=5).hits
    assert sorted(hit.article.id for hit in hits) == ["a", "b", "c", "d"]
    assert all(hit.also == () for hit in hits)
    engine.close()


def test_passages_stored_without_signatures_still_fold() -> None:
    """A store written before signatures existed gets them computed from the passage text."""
    engine = Engine.open(":memory:")
    engine.ingest(copies())
    engine._store._db.execute("DELETE FROM passage_signatures")
    assert engine._store.signatures([0, 1, 2]) == {}
    hits = engine.search("earthquake rubble", k=5).hits
    assert hits[0].article.id == "b"
    assert len(hits[0].also) == 2
    engine.close()


def test_folding_keeps_k_results_when_copies_fold_away() -> None:
    """Ranking looks past k, so folding three copies still leaves k distinct results."""
    engine = Engine.open(":memory:")
    extra = [
        Article(f"Story {i}", f"Earthquake drill number {i} held in school {i * 7}.", id=f"x{i}")
        for i in range(4)
    ]
    engine.ingest([*copies(), *extra])
    result = engine.search("earthquake", k=4)
    assert len(result.hits) == 4
    assert len({hit.article.id for hit in result.hits}) == 4
    engine.close()
