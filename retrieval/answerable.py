"""Whether the best passage answers a question at all, or the engine should say it does not know.

BM25 always ranks something: a question about Reykjavik's weather still gets the passages that
share "weather" and "weekend". What tells an answer from a near miss is whether the best passage
holds the question's *rare* words. So each distinct query term is weighted by its rarity in
this collection, and the best passage's share of the question's weight is compared with a
threshold::

    share = sum(w(t) for t in query if t in best passage) / sum(w(t) for t in query)
    w(t)  = idf(t) ** 2,   idf(t) = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))

A word no passage holds (df 0) gets the highest idf there is, so a question about something
the collection never mentions fails at once. Squaring the idf lets one rare word outweigh
several common ones (a plain idf share separated answerable from unanswerable dev questions
less well; see ``bench/abstain.py``). Only ratios of idf enter, so the rule reads the same on
a small store as on a million passages; but a store of a few articles cannot tell a word's
rarity from its own passages, so there each idf is drawn towards the word's rarity in English
at large (``retrieval.rarity_prior``, below).

The idf is Lucene's whichever scorer ranks, because the okapi idf can be negative or floored
on small collections and is no measure of rarity there.

The share alone asks every question for the same amount. Three more kinds of evidence say how
much *this* question needs (``Evidence``, ``needed_share``):

- **unknown words**: the share of its distinct terms no passage holds at all. A question
  about "CES 2021" or a "2023 Booker Prize" asked of 2004-05 news has words the collection
  never saw, which a near miss on the others cannot make up for;
- **no passage stands out**: when the answer is stored, its passage usually scores well
  above the rest; when it is not, the best passages each match a word or two of the
  question about equally, so the top scores vary little (``spread``: the standard deviation
  of the ``SPREAD_DEPTH`` best passage scores over their mean, a form of the literature's
  normalised query commitment). Fifty, not ten: an answer stands out from the many near
  misses below it, which the first page alone does not show;
- **the words are scattered**: a passage that answers says so in a sentence that holds the
  question's rare words together ("Hundreds of trekkers escaped from a blizzard near ..."),
  while a near miss holds them one per sentence, in unrelated remarks. ``scatter`` is the
  share of the passage's matched weight that its best sentence (with the title) lacks,
  scaled down for long questions, whose words no one sentence can hold
  (``min(1, SCATTER_TERMS / distinct terms)``). It needs the passage's text, so the engine
  reads it only when it could change the decision (``could_tip``).

The needed share is a linear rule whose constants were fitted offline by logistic regression
(``python -m bench.abstain --fit`` prints them) on the even-numbered questions of
rtqa_evidence_dev (against their own notes: answerable; against the BBC articles: not) and
bbc_title (answerable), the intercept then set so that FIT_DECLINES of the even
rtqa_evidence_dev questions against their notes are declined; the odd-numbered questions and
the other pairings are the held-out check (``python -m bench.abstain``). Every feature is a
ratio within one collection, so the rule reads the same whatever the scale of the scores; but
not at any size. In a store of a few articles the words a question asks in passing are often
unknown, and the spread is read off the few passages there are: a lone match's is 0, a long
article's weak matches spread widely. ``python -m bench.abstain_sizes`` simulates stores of
1-300 articles from the dev sets (held-out half): the rule declines more of the answerable
questions the smaller the store (BBC headlines against their article and n - 1 others: 35% at
1 article, 26% at 3, 10% at 10, 6% at 30, 2% at 100; quiz questions against their note and
others: 98%, 86%, 58%, 27%, 14%), and about as many near misses as at full size or more
(headlines against other articles of their category: 99%, 86%, 60%, 36%, 16%). Scaling the
spread by how many scores it was measured over (``min(1, n / SPREAD_DEPTH)``) declines a near
miss more often but answerable questions far more (headlines at 10 articles: 10% -> 47%);
drawing a store of under 30 passages' spread towards a neutral 0.4 answers more (headlines at 3
articles 26% -> 17%, quiz questions 86% -> 67%) but declines fewer near misses (86% -> 84%), and
a question half about what a six-briefing store never mentions was then answered. Declining,
under 30 passages, a question naming (capitalised, past its first word) what the store never
mentions took near misses at 3 articles from 86% to 88% declined, but quiz questions at 10
notes from 58% to 74%. None was adopted: on these features an answer in a tiny store and a
near miss look alike.

What was wrong was the rarity itself: in one article "What happened in Bucha?" has "happen"
in no passage (the highest idf there is, and an unknown word) and was declined, while "What did
Macron say about Russia?" weighed "Macron" little more than "say" and "Russia" and was answered
on a spread of five scores. So with a ``RarityPrior`` (the engine's default; ``[search]
rarity_prior`` 0 turns it off) each idf is drawn towards the word's rarity in English at large,
a common word the store lacks barely counts as unknown, and a small store's floor is higher
(``retrieval.rarity_prior``, whose docstring has the figures). The constants are unchanged; at
full size no rate moves by more than 0.1 point. Held out, at 1, 3, 10 articles: BBC headlines
against their article declined 34% -> 12%, 26% -> 12%, 11% -> 8%, quiz questions against their
note 99% -> 88%, 87% -> 73%, 62% -> 52% (but 26% -> 33% at 30 notes), near misses (headlines
against their category) 97% -> 96%, 88% -> 85%, 57% -> 57%.

Held out (odd questions; the same with ``[search] title_weight`` 0 and 1, these sets having no
titles), scatter took the unanswerable rtqa_evidence_dev questions against the BBC articles
declined from 34.5% (the rule before it, at 5.2% of the answerable declined) to 45.5% (at
4.0%); at 5% of the answerable declined, from 33% to 49%. Measuring the spread over the 50
best scores instead of 10 then took them to 49.3%, with fewer answerable questions declined
(rtqa_evidence_dev against its notes 4.2% -> 3.6%, bbc_title 2.4% -> 1.8%, bbc_lead 2.3% ->
2.2%; rtqa_news_2024 against BBC 51.8% -> 54.2%); at 5% of the answerable declined, from 48% to
56%. Deeper still (75, 100) declines more unanswerable questions but costs bbc_lead's long
questions theirs (about 3%).

Measured beside these and left out (``python -m bench.abstain_features`` prints the table),
as they bought little or nothing held out or cost long questions (bbc_lead paragraphs) their
answers: the best passage's article's share, capitalised names and numbers of the question
missing from the passage, adjacent question words found adjacent, the best score over the
question's highest possible score (and the mean of the ten best over it: the literature's
weighted information gain), the gap to the second article, how many top articles hold the
rarest matched word, a window of up to three sentences instead of one; the normalised query
commitment proper (the deviation of the top scores over the collection's own score for the
question: 3 points more declined, but only by declining more of bbc_lead, 2.2% -> 2.8%; at
bbc_lead's rate of today, fewer), clarity (the top passages' distribution of the question's
words against the collection's: fewer BBC headlines declined against the notes, 33% -> 24%),
the question's highest idf; for a who / where / when / how-many question, whether the best
sentence or passage lacks a name, date or number it does not already name (news passages
nearly always hold one: under a point); pairwise products of the features, and a one-split
tree with a linear rule each side (both 2-3 points more declined, at the same cost to
bbc_lead). The question's mean or lowest idf and its scope (how many passages hold its words)
separate the calibration pairs well (54-62% declined) but only because the answerable
calibration questions are asked of a smaller collection than the unanswerable ones: bbc_lead's
long questions, asked of the same collection as the unanswerable ones, were then declined
7-10%, and BBC headlines against the notes only 7-20% (33% today). No rule measured came near 80%
declined at 5% of the answerable: moving each one's bar to decline 5% of the held-out
rtqa_evidence_dev questions against their notes, today's declines 56% of those against BBC
(bbc_lead 3.8%), the best any other did without bbc_lead over 5% was 60% (NQC added, or the
spread over 100; bbc_lead 4.3-4.4%), and with every candidate 70% (bbc_lead 10%). Most
unanswerable questions left are near misses a word or two of which are common in any news
("Which two automakers are discussing a possible merger?"), which counting words cannot tell
from an answer.

Deciding after citing, and what the top hits agree on, were measured next and left out too
(``python -m bench.abstain_features``, candidates in ``bench.abstain_candidates``; held out, at
the fitted bar, against 49.3% of the unanswerable rtqa_evidence_dev questions declined today).
The calibration's answerable notes are shorter than an excerpt: hit 1's excerpt is its whole
passage for 93% of them and for 3-6% of questions against BBC, so whatever is read off the
excerpt tells the two collections apart rather than answers from near misses. A control that
holds no answer signal at all, whether the excerpt is the whole passage, "declines" 87.8%, and
with it 14% of BBC headlines, 28% of bbc_lead paragraphs and 16% of the rtqa_news_2024
questions whose answer their own articles show in the top 5 (answerable questions on long
passages, the check that exposes such features; 1.7% today). The excerpt's share in place of
the passage's: 53.2% (bbc_lead 3.6%, those 2024 questions 3.4%); at a bar declining 5% of the
answerable, 59.7% against 56.2%, but bbc_lead 5.3% and the 2024 questions 6.0%. Its gain
follows the excerpt's size against the notes' length: with excerpts of 300 characters instead
of 320 it was 58.3% at bbc_lead 4.7%. The share the passage holds outside the excerpt, scaled
like ``scatter``: 51.6%, every answerable pair up (BBC headlines 1.9% -> 2.3%, bbc_lead 2.5% ->
2.7%, the 2024 questions 1.7% -> 2.6%). Fitted on the notes, an excerpt lacking a candidate of
the asked kind (``retrieval.answers``) and the question's two rarest words lying in different
sentences each came out as evidence *for* answering (short notes hold fewer names and
sentences): +1.0 / +1.4. The top five hits agreeing on the question's words, by excerpt or by
passage: +0.3 / +0.2; on answer candidates: -1.0, the 2024 questions 6.5%. The rarest word, or
any word in the collection's rarest tenth, missing from the best passage: +2.5 / +2.2 (at 5%:
-0.4 / +1.4, the 2024 questions 5.2%). The spread of the 20 best articles' scores, and how
many articles the 20 best passages come from: +3.7 / +9.8, but bbc_lead 3.6% / 7.7% and the
2024 questions 7.3% / 25%. Every candidate at once: 62.9%, bbc_lead 7.3%, the 2024 questions
13.8%.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from retrieval.bm25 import Index
from retrieval.rarity_prior import SMALL_FLOOR, RarityPrior
from retrieval.text import Analyzer

MIN_SHARE = 0.17
"""The ``[search] min_share`` setting's default. It shifts the needed share of every question
(``needed_share``): higher declines more; 0 turns declining off."""

SPREAD_DEPTH = 50
"""How many of the best passage scores ``spread`` is measured over: deeper than the first
page, since what tells a stored answer is its passage standing out from the many near misses
below it, not only from the next few (at 10 the rule declined 45% of the held-out
unanswerable questions, at 50 49% with fewer answerable ones declined; see the docstring)."""

SCATTER_TERMS = 6
"""A question of more distinct terms than this has its ``scatter`` scaled down in proportion:
a long question's words fill several sentences of the passage that answers it."""

FIT_DECLINES = 0.035
"""The share of the calibration's answerable questions (even half) the fitted rule declines."""

# The fitted rule (see the module docstring):
# needed share = min_share + BASE + UNKNOWN * unknown - SPREAD * spread + SCATTER * scatter,
# at least FLOOR.
BASE = 0.379
UNKNOWN = 1.299
SPREAD = 2.843
SCATTER = 0.963
FLOOR = 0.1
"""Whatever else says, a passage holding under a tenth of the question's weight is no answer:
in a handful of passages the spread of a few scores can be large enough to excuse anything
(on the dev sets this floor changes nothing)."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """What says whether the best passage answers: each a ratio from 0 (``spread`` up to ~3)."""

    share: float  # the best passage's share of the question's rarity weight
    unknown: float  # the share of the question's distinct terms that no passage holds
    spread: float  # standard deviation over mean of the SPREAD_DEPTH best passage scores
    scatter: float = 0.0  # matched weight outside the best sentence, scaled (0 if not read)
    small: float = 0.0  # how small the store is, with a rarity prior (raises the floor)


def evidence(
    index: Index,
    terms: Sequence[str],
    best: int,
    top_scores: Sequence[float],
    prior: RarityPrior | None = None,
) -> Evidence:
    """The evidence for passage ``best`` answering ``terms``.

    ``top_scores`` are the best passage scores of the whole index in rank order, whichever
    articles hold them (``SPREAD_DEPTH`` of them are read).
    """
    distinct = list(dict.fromkeys(terms))
    missing = [t for t in distinct if index.document_frequency(t) == 0]
    unknown = unknown_share(index.n_docs, missing, len(distinct), prior)
    top = np.asarray(top_scores[:SPREAD_DEPTH], dtype=np.float64)
    mean = float(top.mean()) if top.size else 0.0
    spread = float(top.std()) / mean if mean > 0 else 0.0
    small = 0.0 if prior is None else prior.small(index.n_docs)
    return Evidence(match_share(index, terms, best, prior), unknown, spread, small=small)


def unknown_share(
    n_docs: int, missing: Sequence[str], n_terms: int, prior: RarityPrior | None = None
) -> float:
    """``Evidence.unknown``: the share of a question's ``n_terms`` distinct terms that are
    ``missing`` from every passage of a store of ``n_docs``; with a ``prior``, a word common
    in English counts only as far as the store is large (``RarityPrior.unknown``)."""
    if prior is None:
        return len(missing) / max(n_terms, 1)
    return float(prior.unknown(n_docs, missing).sum()) / max(n_terms, 1)


def needed_share(found: Evidence, min_share: float = MIN_SHARE) -> float:
    """The share of its rarity weight the best passage must hold to answer this question.

    ``min_share`` moves the whole rule (the default is the calibrated one); unknown words
    and scattered matches raise the bar, top scores that vary widely (something stands out)
    lower it, never below ``FLOOR`` (in a small store, ``SMALL_FLOOR`` as far as it is small).
    """
    return max(
        FLOOR,
        SMALL_FLOOR * found.small,
        min_share
        + BASE
        + UNKNOWN * found.unknown
        - SPREAD * found.spread
        + SCATTER * found.scatter,
    )


def declines(found: Evidence, min_share: float = MIN_SHARE) -> bool:
    """Whether the best passage holds too little of the question to be its answer.

    ``min_share`` 0 never declines (a search that found nothing always does, elsewhere).
    """
    return min_share > 0 and found.share < needed_share(found, min_share)


def could_tip(found: Evidence, n_terms: int, min_share: float = MIN_SHARE) -> bool:
    """Whether ``scatter``, not read yet (0 in ``found``), could turn an answer into a decline.

    Scatter only raises the bar, by at most ``SCATTER * scatter_cap(n_terms)``: a question
    already declined, or answered with room to spare, needs no passage text read.
    """
    if declines(found, min_share):
        return False
    return declines(replace(found, scatter=scatter_cap(n_terms)), min_share)


def scatter_cap(n_terms: int) -> float:
    """The largest ``scatter`` a question of ``n_terms`` distinct terms can have."""
    return min(1.0, SCATTER_TERMS / max(n_terms, 1))


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)\]]*\s+|\n\s*")
"""Where a sentence ends, roughly: after . ! ? (and closing quotes) before space, or at a line
break. Cheap on purpose (it runs on searches); the fit reads sentences the same way."""


def scatter(
    index: Index,
    analyzer: Analyzer,
    terms: Sequence[str],
    title: str,
    text: str,
    prior: RarityPrior | None = None,
) -> float:
    """How scattered the question's words are over the sentences of a passage (0-1).

    1 minus the best sentence's share of the weight the passage (``text``, with ``title``
    counted in every sentence) holds, times ``scatter_cap``: 0 when one sentence holds every
    matched word, or when nothing matched at all (the share already says that).
    """
    distinct = list(dict.fromkeys(terms))
    if not distinct:
        return 0.0
    weights: dict[str, float] = dict(
        zip(distinct, rarity_weights(index, distinct, prior).tolist(), strict=True)
    )
    headline = {t for t in analyzer.terms(title) if t in weights}
    best, held = 0.0, set(headline)
    for sentence in _SENTENCE_END.split(text):
        found = headline.union(t for t in analyzer.terms(sentence) if t in weights)
        held |= found
        best = max(best, sum(weights[t] for t in found))
    total = sum(weights[t] for t in held)
    if total <= 0:
        return 0.0
    return (1.0 - best / total) * scatter_cap(len(distinct))


def rarity_weights(
    index: Index, terms: Sequence[str], prior: RarityPrior | None = None
) -> np.ndarray:
    """Squared Lucene idf of each distinct term of ``terms``, first appearance first; with a
    ``prior``, the idf drawn towards the language's general one as far as the store is small
    (:mod:`retrieval.rarity_prior`)."""
    distinct = list(dict.fromkeys(terms))
    df = np.array([index.document_frequency(term) for term in distinct], dtype=np.float64)
    idf = np.log1p((index.n_docs - df + 0.5) / (df + 0.5))
    if prior is not None:
        idf = prior.blend(index.n_docs, idf, distinct)
    weights: np.ndarray = idf**2
    return weights


def match_share(
    index: Index, terms: Sequence[str], passage_id: int, prior: RarityPrior | None = None
) -> float:
    """The share (0-1) of the question's rarity weight that passage ``passage_id`` holds."""
    weights = rarity_weights(index, terms, prior)
    total = float(weights.sum())
    if total <= 0:
        return 0.0
    held = index.holding(terms, np.array([passage_id], dtype=np.int64))[:, 0]
    return float(weights[held].sum()) / total
