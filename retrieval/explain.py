"""Why a passage scored what it did: each query word's share of the score, in plain words.

A BM25 score is a sum over the query's distinct terms of ``idf × repeats × tf part``, so the
explanation is that sum written out, one ``Contribution`` per term, each computed by the index
itself (``Index.scores_between`` on the term alone) so the parts add up to the score a search
shows. Factors that ranking applies after the sum (a recency prior, a date range, a field
weight) go in ``Explanation.factors``, applied in order; the explanation grows by a line per
factor and nobody has to change how the word lines are made.

Which words of the passage matched, and whether in the title or the text, is read again from
the stored passage through the analyzer that indexed it: the index keeps counts, not words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from retrieval.bm25 import Index
from retrieval.bm25_terms import ScaledTerms
from retrieval.models import DateRange
from retrieval.query_dates import describe
from retrieval.recency import DAY, UNDATED, DateWindow
from retrieval.recency import factor as date_weight
from retrieval.text import Analyzer
from retrieval.topk import Bonus

FORMS = 3  # surface forms named per word; more only repeat the point


@dataclass(frozen=True, slots=True)
class Contribution:
    """One distinct query term's part of a passage's score, with the facts behind it."""

    term: str  # the analyzed (stemmed) term the index holds
    asked: tuple[str, ...]  # the question's words that became it
    forms: tuple[str, ...]  # the passage's words that became it, as written (lower case)
    repeats: int  # times the term is in the query (each counts, as in BM25)
    in_title: int  # occurrences in the article's title, which every passage carries
    in_text: int  # occurrences in the passage's own text
    passages: int  # passages of the index that hold the term (document frequency)
    idf: float  # how rare the term is, as the scorer weighs it
    score: float  # what the term adds to the passage's score

    @property
    def occurrences(self) -> int:
        """How often the term occurs in the passage as indexed (title and text)."""
        return self.in_title + self.in_text


@dataclass(frozen=True, slots=True)
class Factor:
    """A step ranking applies after the word scores: ``kind`` says whether ``value`` is added
    to the score so far or multiplies it; ``description`` says why, in plain words."""

    name: str
    description: str
    value: float
    kind: Literal["add", "multiply"] = "multiply"

    def apply(self, score: float) -> float:
        """The score after this factor."""
        return score + self.value if self.kind == "add" else score * self.value


@dataclass(frozen=True, slots=True)
class Support:
    """How the passage's article ranked beyond the passage's own score
    (:mod:`retrieval.support`): by it plus ``weight`` times its ``next_best`` passage's."""

    weight: float
    next_best: float


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why passage ``passage_id`` scored ``score`` for a query: word lines, then factors.

    ``support`` is set when the search ranked the passage's article by more than this score
    (a statement's article support), and this passage is the one the article ranked by.
    """

    passage_id: int
    scorer: str
    length: int  # terms in the passage as indexed (title and text)
    total_passages: int
    contributions: tuple[Contribution, ...]
    factors: tuple[Factor, ...] = ()
    support: Support | None = None

    @property
    def words_score(self) -> float:
        """The sum of the word contributions: BM25 itself."""
        return sum(c.score for c in self.contributions)

    @property
    def score(self) -> float:
        """The final score: the word sum with each factor applied in order."""
        total = self.words_score
        for factor in self.factors:
            total = factor.apply(total)
        return total


def _forms(analyzer: Analyzer, text: str) -> dict[str, list[str]]:
    """Each term of ``text`` with the words, as written, that became it (in order, repeated)."""
    found: dict[str, list[str]] = {}
    for term, span in analyzer.term_spans(text):
        found.setdefault(term, []).append(span.slice(text))
    return found


def explain_passage(
    index: Index,
    analyzer: Analyzer,
    query: str,
    terms: Sequence[str],
    passage_id: int,
    title: str,
    text: str,
) -> Explanation:
    """Explain passage ``passage_id`` (whose article title is ``title``, own text ``text``)
    for ``query``, analyzed as ``terms`` (repeats kept, as the search counts them)."""
    asked = _forms(analyzer, query)
    in_title, in_text = _forms(analyzer, title), _forms(analyzer, text)
    repeats: dict[str, int] = {}
    for term in terms:
        repeats[term] = repeats.get(term, 0) + 1
    contributions = []
    for term, count in repeats.items():
        alone = terms.only(term) if isinstance(terms, ScaledTerms) else [term] * count
        score = float(index.scores_between(alone, passage_id, passage_id + 1)[0])
        written = in_title.get(term, []) + in_text.get(term, [])
        contributions.append(
            Contribution(
                term=term,
                asked=tuple(dict.fromkeys(w.lower() for w in asked.get(term, []))),
                forms=tuple(dict.fromkeys(w.lower() for w in written))[:FORMS],
                repeats=count,
                in_title=len(in_title.get(term, [])),
                in_text=len(in_text.get(term, [])),
                passages=index.document_frequency(term),
                idf=index.idf(term),
                score=score,
            )
        )
    length = len(analyzer.terms(title)) + len(analyzer.terms(text))
    return Explanation(passage_id, index.params.scorer, length, index.n_docs, tuple(contributions))


def _number(value: float) -> str:
    return f"{value:.2f}"


def _where(contribution: Contribution) -> str:
    """``twice (once in the title, once in the text)``, or where the one occurrence is."""

    def times(n: int) -> str:
        return {1: "once", 2: "twice"}.get(n, f"{n} times")

    title, text = contribution.in_title, contribution.in_text
    if title and text:
        return f"{times(title + text)} ({times(title)} in the title, {times(text)} in the text)"
    return f"{times(title or text)} in the {'title' if title else 'text'}"


def word_line(contribution: Contribution, total_passages: int) -> str:
    """One plain-words line for one query word, ending with what it adds."""
    c = contribution
    asked = "/".join(c.asked) or c.term
    repeated = f" (asked {c.repeats} times)" if c.repeats > 1 else ""
    if not c.occurrences:
        return f"“{asked}”{repeated}: not in this passage, adds 0"
    forms = ", ".join(f"“{form}”" for form in c.forms)
    matched = f" matched {forms}" if c.forms and c.forms != (asked,) else ""
    rarity = f"in {c.passages:,} of {total_passages:,} passages (rarity {_number(c.idf)})"
    return f"“{asked}”{repeated}{matched}: {rarity}; here {_where(c)}; adds {_number(c.score)}"


def factor_line(factor: Factor) -> str:
    """One plain-words line for a factor applied after the words."""
    how = f"+ {_number(factor.value)}" if factor.kind == "add" else f"× {factor.value:.3f}"
    return f"{factor.name}: {factor.description} ({how})"


def explanation_lines(explanation: Explanation) -> list[str]:
    """The whole explanation as plain text lines: the words found, one line naming the words
    not found (they add nothing), the factors, then the sum."""
    found = [c for c in explanation.contributions if c.occurrences]
    missing = [c for c in explanation.contributions if not c.occurrences]
    lines = [word_line(c, explanation.total_passages) for c in found]
    if missing:
        named = ", ".join(f"“{'/'.join(c.asked) or c.term}”" for c in missing)
        lines.append(f"Not in this passage (adds 0): {named}")
    lines += [factor_line(factor) for factor in explanation.factors]
    parts = " + ".join(_number(c.score) for c in explanation.contributions if c.score)
    total = f"Score {_number(explanation.score)}"
    if explanation.factors:
        total += f" (words {_number(explanation.words_score)}, then the factors above)"
    elif parts.count("+"):
        total += f" = {parts}"
    total += f"; {explanation.scorer} BM25, passage of {explanation.length} words"
    support = explanation.support
    if support is not None:  # on the same last line: the sum stays the last line
        ranked = explanation.score + support.weight * support.next_best
        total += (
            f". Its article ranked by this score plus {support.weight:.2g} × its next best "
            f"passage's {_number(support.next_best)}: {_number(ranked)} (a search that reads "
            "as a statement ranks articles, not passages)"
        )
    lines.append(total)
    return lines


def date_factors(
    dates: DateWindow, passage_id: int, named: DateRange | None = None, preferred: bool = False
) -> list[Factor]:
    """What the window did to one passage's score, as "Why?" lines: its recency factor, or that
    it lies in the range the question named; then, when that range was only ``preferred``,
    whether it lies within it. Nothing when dates changed nothing."""
    d = dates
    stamp_of = int(d.stamps[passage_id])
    value = date_weight(
        stamp_of, d.low, d.high, d.dated_only, d.weight, d.half_life, d.as_of, 0, -1, 0.0
    )
    lines: list[Factor] = []
    if named is not None and not preferred:
        where = "undated, so kept" if stamp_of == UNDATED else "published"
        return [Factor("date range", f"{where} within the range the question names", value)]
    if value != 1.0:
        days = max(d.as_of - stamp_of, 0) / DAY
        top = 1.0 + d.weight
        how = (
            f"published {days:.0f} days before the question: a new briefing weighs up to "
            f"{top:.2g}×, and the extra halves every {d.half_life / DAY:.0f} days"
        )
        lines.append(Factor("recency", how, value))
    if preferred and named is not None:
        within = stamp_of != UNDATED and d.prefer_low <= stamp_of <= d.prefer_high
        span = describe(named)
        how = (
            f"published {span}, the dates the question prefers"
            if within
            else f"{'undated' if stamp_of == UNDATED else 'not published ' + span}: the "
            "question prefers those dates, but the others are kept"
        )
        lines.append(Factor("date preference", how, 1.0 + d.prefer_weight if within else 1.0))
    return lines


def title_factor(bonus: Bonus | None, weight: float, passage_id: int) -> Factor | None:
    """What the title field (``bonus``, weighed ``weight``) added to ``passage_id``'s score,
    as a "Why?" line, if anything."""
    if bonus is None:
        return None
    at = int(np.searchsorted(bonus.ends, passage_id, side="right"))
    if at >= len(bonus) or not bonus.starts[at] <= passage_id < bonus.ends[at]:
        return None
    value = float(bonus.values[at])
    how = f"the headline holds question words (weighed {weight:g}× as a field)"
    return Factor("title", how, value, "add")
