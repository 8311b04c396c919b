"""Showing why a result ranked: in the terminal (``search --explain``), as JSON and as HTML.

The arithmetic and its plain-words lines are ``retrieval.explain``'s; this module only asks
the engine and lays the lines out for each place they are shown.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import TextIO

from bot import render
from retrieval import (
    ArticleInfo,
    Engine,
    Explanation,
    Hit,
    explanation_lines,
)


def explain_hit(
    engine: Engine, query: str, related: bool, hit: Hit, *, as_of: datetime | None = None
) -> Explanation | None:
    """Why ``hit`` scored what it did: the passage that ranked, not the one quoted."""
    return engine.explain(query, (hit.ranked or hit.passage).id, related=related, as_of=as_of)


def explanation_json(explanation: Explanation | None) -> dict[str, object] | None:
    """The explanation as ``search --json --explain`` prints it: parts, factors and score."""
    if explanation is None:
        return None
    return {
        "score": explanation.score,
        "scorer": explanation.scorer,
        "length": explanation.length,
        "passages": explanation.total_passages,
        "words": [asdict(part) for part in explanation.contributions],
        "factors": [asdict(factor) for factor in explanation.factors],
        "support": None if explanation.support is None else asdict(explanation.support),
        "lines": explanation_lines(explanation),
    }


def print_explanation(explanation: Explanation | None, out: TextIO) -> None:
    """Print the plain-words lines under a hit, indented like its citation."""
    if explanation is None:
        print("    (this passage is no longer searchable)", file=out)
        return
    for line in explanation_lines(explanation):
        print(f"    why: {line}", file=out)


def why_text(article: ArticleInfo, explanation: Explanation) -> str:
    """The "Why?" reply: the result's citation, then one escaped line per word and factor."""
    head = f"<b>Why this result ranked</b>\n{render.citation(article)}"
    lines = explanation_lines(explanation)
    body = [f"• {render.esc(line)}" for line in lines[:-1]]
    text = "\n".join([head, "", *body, "", f"<i>{render.esc(lines[-1])}</i>"])
    if render.fits(text):
        return text
    # A question of many words: keep the sum and as many word lines as fit.
    while body and not render.fits(text):
        body.pop()
        text = "\n".join([head, "", *body, "…", "", f"<i>{render.esc(lines[-1])}</i>"])
    return text
