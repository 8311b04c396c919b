"""Articles each findable by one word of its own, writer processes, and the check that counts.

Every article made here carries a marker word no other article has, so "is this stored article
searchable?" is one search for its marker whose single hit must be that article.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from retrieval import Article, Engine


def marker(prefix: str, number: int) -> str:
    """The one word only article ``number`` of series ``prefix`` contains."""
    return f"{prefix}{number:06d}q"


def numbered(prefix: str, count: int, *, start: int = 0) -> list[Article]:
    """``count`` short articles of series ``prefix``, each with its own marker word and URL."""
    return [
        Article(
            title=f"Briefing {marker(prefix, n)}",
            text=f"Grain shipments and port news, item {marker(prefix, n)}. Markets were calm.",
            url=f"https://{prefix}.test/{n}",
            id=f"{prefix}-{n}",
        )
        for n in range(start, start + count)
    ]


def write_jsonl(path: Path, articles: list[Article]) -> Path:
    """Write ``articles`` as a JSON Lines file the ``ingest`` command reads."""
    lines = [json.dumps({"id": a.id, "title": a.title, "text": a.text, "url": a.url})
             for a in articles]  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def ingest_one_by_one(db: str, prefix: str, count: int) -> None:
    """Process target: open ``db`` for writing and ingest ``count`` articles, one per batch.

    One article per batch makes as many store transactions and index saves as possible, so
    two of these running at once interleave their writes.
    """
    engine = Engine.open(db, workers=1)
    try:
        for article in numbered(prefix, count):
            engine.ingest([article])
    finally:
        engine.close()


def stored(db: Path | str) -> list[tuple[str, str]]:
    """``(article id, title)`` of every live article in the store, read straight from SQLite
    (replaced and removed ones are left out)."""
    with sqlite3.connect(db) as connection:
        return connection.execute(
            "SELECT id, title FROM articles WHERE seq NOT IN (SELECT seq FROM removed) ORDER BY seq"
        ).fetchall()


def check_store_whole(db: Path | str) -> None:
    """Assert no article is half-stored: passage ids run 0..N-1, each article's in one block."""
    with sqlite3.connect(db) as connection:
        spans = connection.execute(
            "SELECT first_passage, passages, (SELECT count(*) FROM passages p"
            " WHERE p.article_seq = a.seq) FROM articles a ORDER BY seq"
        ).fetchall()
        ids = [row[0] for row in connection.execute("SELECT id FROM passages ORDER BY id")]
    assert ids == list(range(len(ids)))
    expected = 0
    for first, count, rows in spans:
        assert (first, rows) == (expected, count)
        expected += count
    assert expected == len(ids)


def unsearchable(engine: Engine, db: Path | str) -> list[str]:
    """Ids of the stored articles whose marker word does not find exactly that article."""
    lost = []
    for article_id, title in stored(db):
        word = title.split()[-1]
        hits = engine.search(word, k=2).hits
        if [hit.article.id for hit in hits] != [article_id]:
            lost.append(article_id)
    return lost
