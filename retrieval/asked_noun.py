"""The word a question asks *for*: "Which **country** was shaken?", "Name the **film**".

A quiz or reader question names the kind of its answer, and the answer's passage need not
repeat it: "The Philippines was shaken by a 7.0-magnitude quake" answers "Which country was
shaken ...?" without the word "country", while "Kuleba said his country will be supplied"
holds it and answers nothing. Searched like any other word (and weighed by its idf) that
noun ranks and quotes the passages that merely contain it. With ``asked_weight`` below 1 a
question's asked nouns count that times their idf in ranking (passages and the title field
alike) and in the excerpt chooser's coverage (0 drops them); they are still highlighted
where a quoted window holds them. Off by default: measured, news articles name the kind
beside the answer as often as they name it in passing (``ASKED_WEIGHT``).

What is read, with no model and nothing to download: after "which", "what", "name the",
"identify the", "this"/"these" and "what is the name of the", skipping a count ("which two
automakers"), "of the following"/"of these" and "kind/type/sort of", the next few words up
to a stopword; the first of those that names a kind of thing (``KINDS``: "country",
"company", "film", "automaker"; plural or singular, by their stems) is the asked noun, and
so are the frame words that asked for it ("name", "kind", "type", "sort", "following"). A
compound keeps its modifier ("which US state", "which tech company": "US" and "tech" are
searched as asked), and the words after the head are not read ("which city hosted": a verb
whose stem is a kind's, "host"). Only questions (:mod:`retrieval.query_form`) are read: a
headline "Country music star dies" keeps "country".

The scaled terms travel as a :class:`~retrieval.bm25_terms.ScaledTerms`, which every exact
score of the index reads (:meth:`~retrieval.bm25_scores.IndexScores._query`): the sweep's
bounds come from the scaled weights, so pruned top-k stays exact.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from retrieval.bm25_terms import ScaledTerms
from retrieval.query_form import is_statement
from retrieval.text import Analyzer

ASKED_WEIGHT = 1.0
"""Default factor on an asked noun's weight (``[search] asked_weight``): 1, off, because it
cost answers where it was tuned and gained nothing anywhere.

Even half (``python -m bench.quality --half even --asked-weight W``), weights 1 / 0.5 /
0.25 / 0: rtqa_news_2024 excerpt AnsHit@1 .164 / .154 / .156 / .154 (passage .174 / .164 /
.166 / .164), rtqa_evidence_dev Recall@1 .450 / .451 / .446 / .442 and excerpt AnsHit@1
.319 / .320 / .318 / .315; bbc_title and bbc_lead unchanged (.665, .655: their queries
read as statements). At 0.5 the news questions lose 7 and gain 2, all by ranking: over
full articles the answer's own passage names the kind beside the answer ("The comedian
will return to host ...", "the South Carolina Gamecocks team", "Singapore Airlines"), so
the noun is evidence for the answer more often than a decoy. The weight in the excerpt
chooser alone (ranking as before) changes no even-half figure. Held out (odd half, 0.5,
against the engine without it): news excerpt .145 / .143, passage .158 / .162; evidence
Recall@1 .447 / .447, excerpt .321 / .325. All queries at 0.5: news excerpt .149 against .153
(± .022), evidence Recall@1 .449 against .448 (± .019) and excerpt .320 against .322, BBC
unchanged (``bench/README.md``, "Asked nouns")."""

KINDS = frozenset(
    re.findall(
        r"\w+",
        """
        country nation state city town capital county province region island territory
        continent village neighborhood neighbourhood district area place location site
        landmark building venue stadium airport company firm corporation business brand
        automaker carmaker manufacturer maker retailer supermarket chain restaurant store shop
        airline bank lender insurer network platform app service website channel broadcaster
        outlet newspaper magazine publication publisher studio agency organization
        organisation charity group party union institution university college school
        hospital team club league tournament competition championship sport game event
        festival ceremony film movie show series sitcom documentary song album book novel
        musical play character band singer musician artist rapper actor actress comedian
        author writer director producer star celebrity personality influencer athlete player
        footballer cricketer golfer boxer driver figure leader politician president minister
        official lawmaker senator congressman congresswoman governor mayor candidate monarch
        royal king queen prince princess ruler judge court person man woman individual
        animal species disease virus illness drug medicine vaccine product device gadget
        item food dish drink beverage car vehicle aircraft plane ship vessel storm hurricane
        phenomenon technology word phrase language program programme law bill policy
        award prize position role title job profession giant billionaire entrepreneur
        executive ceo tycoon businessman businesswoman icon legend guitarist presenter host
        journalist activist scientist economist diplomat general commander footballer
        """,
    )
)
"""Nouns that name the kind of an answer (singular; plurals match by stem)."""

FRAME = frozenset({"name", "kind", "type", "sort", "following"})
"""Words of the question's frame around its asked noun: asked for, not about."""

_LEADS = frozenset({"which", "what", "name", "identify", "this", "these"})
_SKIP = frozenset(
    re.findall(
        r"\w+",
        "of the a an these those following one two three four five six seven eight nine ten"
        " kind kinds type types sort sorts is was are were name",
    )
)
_WORDS = re.compile(r"[^\W_]+(?:['’.][^\W_]+)*")
RUN = 3
"""Words read after the lead (and the skipped frame) for an asked noun."""


def asked_words(question: str, analyzer: Analyzer) -> tuple[str, ...]:
    """The words of ``question`` (lowercased, in order, once each) that ask for its answer's
    kind or frame it, read as the module says; empty for a text that is not a question."""
    if is_statement(question):
        return ()
    words = [w.lower() for w in _WORDS.findall(question)]
    kinds = _kind_terms(analyzer)
    found: dict[str, None] = {}
    for i, word in enumerate(words):
        if word not in _LEADS or (word == "name" and i > 0 and words[i - 1] not in _LEADS):
            continue
        j = i + 1
        while j < len(words) and words[j] in _SKIP:
            if words[j] in FRAME:
                found[words[j]] = None
            j += 1
        if word in ("name", "identify") and j == i + 1:
            continue  # "name" as a noun ("whose name was"), no determiner: not the frame
        if word == "name":
            found[word] = None
        for candidate in words[j : j + RUN]:
            if analyzer.is_stopword(candidate):
                break
            if not kinds.isdisjoint(analyzer.terms(candidate)):
                found[candidate] = None
                break  # the first kind is the head: "which city hosted", not "hosted"
    return tuple(found)


@lru_cache(maxsize=8)
def _kind_terms(analyzer: Analyzer) -> frozenset[str]:
    """The terms of ``KINDS`` and ``FRAME`` under ``analyzer`` (its stems)."""
    return frozenset(analyzer.terms(" ".join(KINDS | FRAME)))


def asked_terms(
    analyzer: Analyzer, question: str, terms: Sequence[str], weight: float
) -> Sequence[str]:
    """``terms`` of ``question`` with its asked nouns' terms scaled by ``weight``: a
    :class:`ScaledTerms`, or ``terms`` themselves when ``weight`` is 1 or nothing is asked."""
    if weight == 1.0:
        return terms
    kinds = _kind_terms(analyzer)
    words = asked_words(question, analyzer)
    asked = {term for word in words for term in analyzer.terms(word) if term in kinds}
    scaled = tuple((term, weight) for term in dict.fromkeys(terms) if term in asked)
    return ScaledTerms(tuple(terms), scaled) if scaled else terms
