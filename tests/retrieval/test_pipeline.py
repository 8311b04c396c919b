"""Worker processes chunk and analyze exactly as the engine's own process does."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval import pipeline
from retrieval.text import Analyzer

SEED = (Path(__file__).resolve().parents[2] / "seeds").glob("*.txt")


@pytest.fixture
def texts() -> list[str]:
    """The seed bodies plus variations, enough for several worker slices."""
    bodies = [path.read_text(encoding="utf-8").split("---\n", 2)[-1] for path in SEED]
    return [f"{body}\n\nUpdate {i}: Kyiv said talks go on." for i in range(12) for body in bodies]


def test_parallel_prepare_equals_local(texts: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Spread over two processes, prepare gives the same spans and terms, in order."""
    analyzer = Analyzer("english")
    local = pipeline.prepare(texts, analyzer, workers=1)
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_CHARS", 1)
    assert pipeline.prepare(texts, analyzer, workers=2) == local
    assert local[0][1][0] == analyzer.terms(local[0][0][0].slice(texts[0]))


def test_parallel_analyze_equals_local(texts: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Re-analysing stored passages in worker processes matches analysing them here."""
    analyzer = Analyzer("english")
    local = pipeline.analyze(texts, analyzer, workers=2)
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_CHARS", 1)
    assert pipeline.analyze(texts, analyzer, workers=2) == local
    assert local == [analyzer.terms(text) for text in texts]
