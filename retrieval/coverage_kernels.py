"""The coverage factor compiled: one function for the sweep and the exhaustive reference.

:mod:`retrieval.coverage` says what coverage is; this is the arithmetic both the pruned
sweep (:mod:`retrieval.topk_kernels`, one candidate at a time) and the reference
(:func:`covered_all`, every passage) run, so their scores agree to the bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from retrieval.jit import compiled


def covered_score(words: float, bonus: float, share: float, alpha: float) -> float:
    """``words * share ** alpha + bonus``: a passage's words' score (``words``) scaled by its
    share of the question (clamped to [0, 1]), then the title bonus added. A negative words'
    sum (``okapi``'s negative idf) is left as it is, so the result never exceeds
    ``words + bonus``."""
    if words > 0.0 and share < 1.0:
        words = words * (share**alpha if share > 0.0 else 0.0)
    return words + bonus


def _covered_all(words: Any, bonus: Any, shares: Any, alpha: float) -> Any:
    """:func:`covered_score` of every passage."""
    out = np.empty(words.shape[0])
    for i in range(words.shape[0]):
        out[i] = covered_score(words[i], bonus[i], shares[i], alpha)
    return out


# nogil like the sweep that calls it.
covered_score = compiled(covered_score)
covered_all = compiled(_covered_all)
