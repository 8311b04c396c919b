"""The bundled seed briefings as test input, and the span checks text tests share."""

from __future__ import annotations

from pathlib import Path

from retrieval.models import Span

SEEDS = sorted((Path(__file__).resolve().parents[2] / "seeds").glob("*.txt"))


def seed_body(path: Path) -> str:
    """Return a seed's article text without its ``---`` metadata header."""
    raw = path.read_text(encoding="utf-8")
    if raw.startswith("---"):
        raw = raw.split("---", 2)[2]
    return raw


def check_cover(text: str, spans: list[Span]) -> None:
    """Assert spans are ordered, disjoint, trimmed, non-empty and cover every non-space char."""
    covered = [False] * len(text)
    previous_end = 0
    for span in spans:
        assert previous_end <= span.start < span.end <= len(text)
        piece = span.slice(text)
        assert piece == piece.strip()
        for i in range(span.start, span.end):
            covered[i] = True
        previous_end = span.end
    assert all(covered[i] or char.isspace() for i, char in enumerate(text))
