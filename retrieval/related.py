"""Pick the telling words of a long text, so a forwarded message or a paste can be searched.

A forwarded article or a pasted page is not a question: searching all its words would rank by
its filler and cost time in proportion to its length. Instead its terms are weighed by tf·idf
(how often the text uses a term times how rare the term is in the briefings), and the best few
become the query, each once. Terms the index has never seen weigh nothing: no passage could
match them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

RELATED_TERMS = 20
"""How many terms a long text is searched with: enough to pin its topic, few enough to be fast."""

RELATED_CHARS = 20_000
"""Only this much of a text is read, so a huge paste costs no more than a long article."""


def telling_terms(terms: Sequence[str], idf: Callable[[str], float], n: int) -> list[str]:
    """The ``n`` distinct terms with the highest tf·idf, best first.

    ``terms`` are the analysed text's terms in order and ``idf`` gives each term's weight in
    the index. A term with no positive idf is never chosen. Ties go to the term that occurs
    first in the text, so the choice is deterministic.
    """
    counts = Counter(terms)
    first = {term: position for position, term in reversed(list(enumerate(terms)))}
    weighed = [(count * idf(term), term) for term, count in counts.items()]
    kept = [(weight, term) for weight, term in weighed if weight > 0]
    kept.sort(key=lambda pair: (-pair[0], first[pair[1]]))
    return [term for _, term in kept[: max(n, 0)]]
