"""How rare a word is in English at large: the prior a small store's rarity is drawn towards.

Declining (:mod:`retrieval.answerable`) weighs each question word by its rarity in the store.
A store of one article knows too little for that: "happened" is in none of its passages, so
by the store it is as rare as a name, and a question about the article's own subject is
declined for lacking it; while "say" and "Russia", common in any news, can weigh as much as
a name the store never mentions. So the store's idf is blended with a general one, weighted
by how little the store knows::

    idf(t) = (N * idf_store(t) + M * idf_prior(t)) / (N + M)

with N the store's passages and M (``RARITY_PRIOR``) a pseudo-count: in a store of a
handful of passages the prior decides, at tens of thousands the store does. The prior's idf
is the one a large store of ``PASSAGE_WORDS``-word passages would give a word of the table's
frequency f (``-ln(1 - exp(-f * PASSAGE_WORDS))``: its passages hold it at random); a stem
not in the table is rarer than any that is, and weighs as the table's rarest.

The table (``data/rarity/english.tsv.gz``, stem and Zipf value, the stems of wordfreq's 50,000
most frequent English words; ``python -m bench.rarity_table`` makes it) ships as package data
and is read once, without network. Only English has one: for other languages the store's idf
is used alone.

Two more readings follow the same "as far as the store is small": a word common in English
(``COMMON_ZIPF``) that the store lacks counts as unknown only by ``N / (N + M)``, and the floor
of the needed share rises to ``SMALL_FLOOR`` times ``SMALL_STORE / (N + SMALL_STORE)``, which a
spread of a few scores cannot lower (:mod:`retrieval.answerable`).

Measured (``python -m bench.abstain_sizes``, stores of 1-300 articles drawn from the dev sets,
odd questions held out, before -> after), at 1, 3, 10, 30 articles: BBC headlines against their
article declined 34% -> 12%, 26% -> 12%, 11% -> 8%, 3% -> 1%; quiz questions against their note
99% -> 88%, 87% -> 73%, 62% -> 52%, but 26% -> 33% at 30 notes (the floor; even half 30% ->
29%); near misses (headlines against their category) 97% -> 96%, 88% -> 85%, 57% -> 57%, 33% ->
23%, quiz questions against other notes 100%, 99%, 98% unchanged, 88% -> 84%, against BBC
articles 100%, 92% -> 96%, 84% -> 92%, 53% -> 56%. At full size (``bench.abstain``) no rate
moves by more than 0.1 point. The prior alone (no floor) answered more (quiz at 10 notes 42%)
but declined fewer near misses (quiz questions against BBC at 10 articles 73%) and answered the
Macron question; drawing the spread of a store under 30 passages towards a neutral 0.4 as well
answered half the quiz questions at 1 note but also "When will Finland join NATO?" of the seed
article. M of 30, 100, 300 did alike on the even questions (10 declined more answerable ones at
10 articles); counting every word the store lacks as unknown kept quiz questions at 1 note 96%
declined.
"""

from __future__ import annotations

import gzip
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

RARITY_PRIOR = 100.0
"""M, the passages the prior counts as (``[search] rarity_prior``): on the even questions of
``python -m bench.abstain_sizes`` 30, 100 and 300 did alike (10 declined more answerable
questions in stores of 10 articles), 100 is the middle."""

SMALL_STORE = 30
"""A store of this many passages counts as half small: the floor of the needed share is raised
towards ``SMALL_FLOOR`` by ``SMALL_STORE / (N + SMALL_STORE)`` (20 and 50 measured too)."""
SMALL_FLOOR = 0.35
"""The floor of the needed share in a store of no passages. In a handful of passages the spread
of the few top scores can excuse anything: "What did Macron say about Russia?", of an article
that says "said" and "Russia" but never "Macron", was answered on a spread of 0.73 over five
scores, its best passage holding 0.23 of the weight. So a small store asks for more of the
weight itself (0.3, 0.35, 0.4 measured on the even questions: alike)."""

COMMON_ZIPF = 4.5
"""From this Zipf value (30 times in a million words: "happen", "join", "weapon") a word a
small store lacks does not count as unknown to it; "NATO" (4.0) or "Macron" (3.0) still do."""

PASSAGE_WORDS = 100
"""Words of running text per passage (stopwords included), for the chance that a passage holds
a word of a given frequency: at 100 the prior's idf of the stems the dev collections hold is
closest to theirs (mean difference -0.3 on the BBC articles, +0.2 on the RealTime QA notes)."""


@dataclass(frozen=True, slots=True)
class RarityPrior:
    """A language's general idf per stem (``idf_of``), that of a stem the table lacks, and
    the stems too common to count as unknown to a small store."""

    idf_of: Mapping[str, float]
    rarest: float
    common: frozenset[str]
    pseudo: float = RARITY_PRIOR

    def idf(self, terms: Sequence[str]) -> np.ndarray:
        """The prior's idf of each of ``terms``."""
        return np.array([self.idf_of.get(t, self.rarest) for t in terms], dtype=np.float64)

    def blend(self, n_docs: int, store_idf: np.ndarray, terms: Sequence[str]) -> np.ndarray:
        """``store_idf`` (of ``terms``, in a store of ``n_docs`` passages) drawn towards the
        prior's by the pseudo-count: ``(N * store + M * prior) / (N + M)``."""
        if self.pseudo <= 0:
            return store_idf
        total = n_docs + self.pseudo
        blended: np.ndarray = (n_docs * store_idf + self.pseudo * self.idf(terms)) / total
        return blended

    def small(self, n_docs: int) -> float:
        """How small a store of ``n_docs`` passages is: ``SMALL_STORE / (N + SMALL_STORE)``,
        1 for an empty one, 0.001 at 30,000 passages."""
        return SMALL_STORE / (n_docs + SMALL_STORE)

    def unknown(self, n_docs: int, terms: Sequence[str]) -> np.ndarray:
        """How much each of ``terms``, none of which the store holds, counts as unknown: 1 for
        a rare word, for a common one (``COMMON_ZIPF``) only as far as the store is large
        (``N / (N + M)``): a handful of passages not saying "happened" is no news."""
        known = n_docs / (n_docs + self.pseudo)
        return np.array([known if t in self.common else 1.0 for t in terms], dtype=np.float64)


def prior_idf(zipf: float, words: int = PASSAGE_WORDS) -> float:
    """The idf of a word of Zipf value ``zipf`` in a large store of ``words``-word passages."""
    held = -math.expm1(-(10.0 ** (zipf - 9.0)) * words)
    return -math.log(held)


@cache
def zipf_table(language: str) -> Mapping[str, float]:
    """The shipped table of ``language`` (stem to Zipf value); empty if none ships."""
    if not language.isalpha():
        return {}
    resource = resources.files("retrieval").joinpath("data", "rarity", f"{language}.tsv.gz")
    if not resource.is_file():
        return {}
    text = gzip.decompress(resource.read_bytes()).decode("utf-8")
    table = {}
    for line in text.splitlines():
        stem, _, value = line.partition("\t")
        table[stem] = float(value)
    return table


def load_prior(language: str, pseudo: float = RARITY_PRIOR) -> RarityPrior | None:
    """The rarity prior of ``language`` with pseudo-count ``pseudo``; None where no table
    ships or ``pseudo`` is 0 (the store's idf alone)."""
    table = zipf_table(language)
    if not table or pseudo <= 0:
        return None
    idf_of = _idf_table(language)
    common = frozenset(stem for stem, zipf in table.items() if zipf >= COMMON_ZIPF)
    return RarityPrior(idf_of, max(idf_of.values()), common, pseudo)


@cache
def _idf_table(language: str) -> Mapping[str, float]:
    return {stem: prior_idf(zipf) for stem, zipf in zipf_table(language).items()}
