"""Is a query a question or a statement? The form decides how articles are ranked.

Readers search in two forms. A question ("Who won the Senate race in Delaware?") asks for
one fact, which a single passage holds. A statement (a headline, a lead paragraph, a pasted
article, a few keywords) describes a whole article: an article whose second passage matches
it too is more likely the one described. So statements rank articles by their best passage
plus a share of their second best (``retrieval.support``), questions by their best alone.

The form is read from the text alone, with no data: a question mark closing the last
sentence; a leading question word or auxiliary ("who", "what is", "how many", "did", "can");
the quiz forms of the news-quiz sets ("Name the ...", "Finish the phrase: ...", "True or
false: ...", a blank "____" or a trailing "...", "this country ..." standing for the answer).
Anything else, keywords included, is a statement. A text with no words is a question: it
keeps the ranking that was there before forms. A long text is a statement whatever it ends
with (a paste quoting a question is still a paste).

``STATEMENT_SUPPORT`` is the weight statements get; measured in ``bench/README.md``
("Question forms").
"""

from __future__ import annotations

import re
from typing import Literal

QueryForm = Literal["question", "statement"]

STATEMENT_SUPPORT = 0.6
"""Weight of an article's second-best passage for statements (``[search]
statement_support``); questions keep ``article_support`` (0: off). Tuned on the even-numbered
queries (``python -m bench.quality --half even --statement-support W``), Recall@1 bbc_title /
bbc_lead: 0.3 .669/.645, 0.45 .672/.649, 0.6 .665/.655, 0.8 .663/.658, 1.0 .659/.650 (without
forms .649/.621): a plateau from 0.45 to 0.8, 0.6 in its middle. Held out (odd half): bbc_lead
.616 -> .665, bbc_title .683 -> .678. All queries (``--before`` the change): bbc_lead .618 ->
.660 ± .020, bbc_title .666 -> .671; rtqa_news_2024 passage / excerpt AnsHit@1 .163 / .146 and
rtqa_evidence_dev Recall@1 .448 unchanged (0 and 7 of their queries read as statements),
where the support on for every query cost rtqa_news_2024 .162 -> .154."""

LONG_WORDS = 80
"""From this many words a text is a statement: the longest quiz question in the dev sets
has 62, and a paste that quotes a question is still a paste."""
OPENING_CHARS = 80
"""The opening of the last sentence read for its first words."""
TAIL_CHARS = 400
"""Only the text's end is read for its last sentence: the cost stays flat for any paste."""

WH = frozenset({"who", "whom", "whose", "which", "what", "when", "where", "why", "how"})
ALWAYS = frozenset({"who", "whom", "whose", "which"})
"""Question words that open a question whatever follows; "when", "why", "how" and "what"
also open headlines ("How the Academy Awards flourished", "When technology gets personal")."""
AUX = frozenset(
    ("is", "are", "was", "were", "am", "do", "does", "did", "can", "could", "will", "would",
     "should", "shall", "has", "have", "had", "isn't", "aren't", "wasn't", "weren't", "don't",
     "doesn't", "didn't", "can't", "couldn't", "won't", "wouldn't", "shouldn't", "hasn't",
     "haven't", "hadn't")
)  # fmt: skip
"""Auxiliaries that open an inverted question ("did the Fed raise rates"). "may", "might"
and "must" are left out: "May" opens dates and names more often than questions."""
HOW_MUCH = frozenset({"many", "much", "long", "often", "far", "old", "big", "about", "come"})
"""Words that make "how" (and "what about") a question whatever follows."""
PRONOUNS = frozenset({"i", "you", "we", "they", "he", "she", "it", "people", "everyone"})
"""Subjects after which a question word opens a clause, not a question ("what you need")."""
FILLERS = frozenset({"so", "and", "but", "then", "also", "ok", "okay", "please", "hey", "now"})
"""Words a typed question may start with before its question word ("so who won")."""
QUIZ_OPENINGS = (
    "name the", "name a", "name this", "identify the", "finish the", "complete the",
    "fill in", "true or false", "guess the", "tell me who", "tell me what", "tell me which",
    "tell me when", "tell me where", "tell me why", "tell me how",
)  # fmt: skip
"""Imperative quiz forms: they ask, without a question mark."""
NOT_ANSWERS = frozenset(
    ("year", "years", "week", "weeks", "weekend", "month", "months", "summer", "winter",
     "spring", "autumn", "fall", "season", "time", "morning", "afternoon", "evening", "night",
     "century", "decade", "term", "christmas", "easter", "monday", "tuesday", "wednesday",
     "thursday", "friday", "saturday", "sunday", "is", "was", "will", "would", "could", "can",
     "has", "had", "won", "means", "one", "way")
)  # fmt: skip
"""Words after "this" that do not stand for a quiz answer ("this week", "this is")."""

_WORDS = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_SENTENCE_END = re.compile(r"[a-z0-9%][.!?…]+[\"'”’)\]]*\s+(?=[\"'“‘(]?[A-Z0-9])")
_CLOSING = " \t\r\n\"'”’“‘)]*"
_ELLIPSIS = re.compile(r"(?<![^\W\d_])[a-z]+['’]?[a-z]*\s?(?:\.\.\.|…)\W*$")
_THIS = re.compile(r"\b(?:this|these)\s+([^\W\d_]+)", re.IGNORECASE)
_ACCORDING = re.compile(r"^according to [^,]{1,80},\s*", re.IGNORECASE)


def query_form(text: str) -> QueryForm:
    """``"question"`` or ``"statement"``: the form of ``text``, read as the module says."""
    tail = text[-TAIL_CHARS:].rstrip(_CLOSING)
    if not any(c.isalnum() for c in tail):
        return "question"  # nothing to describe: keep the ranking from before forms
    if len(text) > TAIL_CHARS and len(text[: 40 * LONG_WORDS].split(None, LONG_WORDS)) > LONG_WORDS:
        return "statement"
    mark = tail.rfind("?")
    if mark >= 0 and not any(c.isalpha() for c in tail[mark:]):  # "...?" or "...? 7640"
        return "question"
    last, body = tail, tail[:-1]
    if "." in body or "?" in body or "!" in body or "…" in body:  # else one sentence
        ends = [m.end() for m in _SENTENCE_END.finditer(tail)]
        last = tail[ends[-1] :] if ends else tail
    end = last[-6:]
    if "__" in last or (("…" in end or "..." in end) and _ELLIPSIS.search(last[-24:])):
        return "question"  # a blank to fill: "out like a ____", "means we'll have…"
    words = _WORDS.findall(last[:OPENING_CHARS].lower().replace("’", "'"))[:5]
    return "question" if _asks(last, words) or _stands_for_answer(tail) else "statement"


def is_statement(text: str) -> bool:
    """Whether ``text`` reads as a statement (a headline, a lead, keywords, a paste)."""
    return query_form(text) == "statement"


def _asks(sentence: str, words: list[str]) -> bool:
    """A question without a question mark: by its opening words or a quiz form."""
    if words and words[0] in FILLERS:
        words = words[1:]
    if not words:
        return False
    if _opens_question(words):
        return True
    lowered = " ".join(words[:4])
    if lowered.startswith(QUIZ_OPENINGS):
        return True
    according = _ACCORDING.match(sentence)
    if according:
        rest = _WORDS.findall(sentence[according.end() :].lower())
        if rest and _opens_question(rest):
            return True
    return False


def _stands_for_answer(text: str) -> bool:
    """A quiz sentence naming its answer "this country", "this musician", in any sentence."""
    lowered = text.lower()
    if "this " not in lowered and "these " not in lowered:
        return False
    return any(m.group(1).lower() not in NOT_ANSWERS for m in _THIS.finditer(text))


def _opens_question(words: list[str]) -> bool:
    """A question word or an auxiliary first, as questions open and headlines rarely do."""
    first = words[0]
    head, _, clitic = first.partition("'")
    if head in WH and clitic in ("s", "re", "ll", "d"):  # "what's", "who'd"
        return True
    if first in ALWAYS or first in AUX:
        return True
    if first not in WH or len(words) < 2:
        return False
    second = words[1]
    if second in AUX or (first in ("how", "what") and second in HOW_MUCH):
        return True
    # "what year did": a noun, then the auxiliary ("what you will find" is a clause)
    return first == "what" and len(words) > 2 and words[2] in AUX and second not in PRONOUNS
