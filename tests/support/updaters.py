"""Process targets that replace and remove articles in a store another process searches."""

from __future__ import annotations

from dataclasses import replace

from writers import numbered

from retrieval import Article, Engine


def update_then_remove(db: str, prefix: str, count: int) -> None:
    """Process target: replace every article of series ``prefix`` with a corrected text (one
    batch each), then remove the first of them."""
    engine = Engine.open(db, workers=1)
    try:
        for article in numbered(prefix, count):
            engine.ingest([corrected(article)])
        engine.remove([f"{prefix}-0"])
    finally:
        engine.close()


def corrected(article: Article) -> Article:
    """``article`` re-published under its URL with a correction holding the word "harbourmaster"."""
    return replace(article, text=article.text + " Corrected: harbourmaster.")
