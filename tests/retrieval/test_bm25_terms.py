"""Term ids for a batch: the batched encoding gives what a plain loop per token gives."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from retrieval.bm25_terms import encode

WORDS = st.sampled_from(["a", "b", "é", "ukraine", "aid", ""])


def plain_encode(
    token_lists: Iterable[Sequence[str]], vocabulary: dict[str, int]
) -> tuple[dict[str, int], list[int], list[int]]:
    """The reference: a new term takes the next free id, in order of first appearance."""
    table, flat, lengths = dict(vocabulary), [], []
    for tokens in token_lists:
        lengths.append(len(tokens))
        for token in tokens:
            flat.append(table.setdefault(token, len(table)))
    return table, flat, lengths


@given(st.lists(st.lists(WORDS, max_size=6), max_size=8), st.lists(WORDS, unique=True))
def test_batched_encoding_equals_a_loop_per_token(
    documents: list[list[str]], known: list[str]
) -> None:
    """Lists or a generator of documents, some terms already known: same ids, same lengths."""
    vocabulary = {term: number for number, term in enumerate(known)}
    want_table, want_flat, want_lengths = plain_encode(documents, vocabulary)
    for given_as in (documents, (tokens for tokens in documents), tuple(documents)):
        table, flat, lengths = encode(given_as, vocabulary)
        assert table == want_table
        assert flat.dtype == np.int32
        assert flat.tolist() == want_flat
        assert lengths.tolist() == want_lengths
    assert vocabulary == {term: number for number, term in enumerate(known)}  # not changed


class Headline(str):
    """A str subclass: still a string, not a list of tokens."""


@pytest.mark.parametrize("documents", [["a b"], [["a"], "b c"], iter([["a"], Headline("x")])])
def test_a_string_among_documents_is_refused(documents: Iterable[Sequence[str]]) -> None:
    """A bare string would index its characters, so any in the batch is a TypeError."""
    with pytest.raises(TypeError, match="sequence of tokens"):
        encode(documents, {})
