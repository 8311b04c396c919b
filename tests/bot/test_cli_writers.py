"""`briefbot ingest` killed half-way or run twice at once: nothing half-stored, nothing lost."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from writers import check_store_whole, numbered, stored, unsearchable, write_jsonl

from bot.subcommands import BATCH_ARTICLES
from retrieval import Engine
from retrieval.titles import TITLE_WEIGHT

pytestmark = pytest.mark.slow

INGEST = [sys.executable, "-m", "bot.cli", "ingest"]


def environment(db: Path) -> dict[str, str]:
    """The test's environment with the store at ``db`` and no config file."""
    env = {k: v for k, v in os.environ.items() if k != "BRIEFBOT_CONFIG"}
    return env | {"BRIEFBOT_DB": str(db)}


def count_articles(db: Path) -> int:
    """Articles committed to ``db`` so far, read as another process would (0 before it exists)."""
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=30) as connection:
            return int(connection.execute("SELECT count(*) FROM articles").fetchone()[0])
    except sqlite3.OperationalError:  # the schema is not created yet
        return 0


def test_ingest_killed_mid_batch_leaves_every_stored_article_searchable(tmp_path: Path) -> None:
    """SIGKILL during a multi-batch ingest beside an engine open for writing: the store holds
    whole articles only; that engine's next ingest, a reopen, and the ingest run again to the
    end all leave every stored article searchable."""
    db = tmp_path / "b.sqlite3"
    running = Engine.open(db, title_weight=TITLE_WEIGHT)  # as the command opens it
    running.ingest(numbered("r", 1))
    articles = numbered("k", 3 * BATCH_ARTICLES)
    source = write_jsonl(tmp_path / "k.jsonl", articles)
    process = subprocess.Popen([*INGEST, str(source)], env=environment(db),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    while process.poll() is None and count_articles(db) == 1:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL, "the ingest finished before it could be killed"
    check_store_whole(db)
    assert 1 < len(stored(db)) < 1 + len(articles)
    running.ingest(numbered("r", 1, start=1))
    assert unsearchable(running, db) == []
    running.close()
    reopened = Engine.open(db, title_weight=TITLE_WEIGHT)  # as the command opens it
    assert unsearchable(reopened, db) == []
    reopened.close()
    subprocess.run([*INGEST, str(source)], env=environment(db), check=True, capture_output=True)
    check_store_whole(db)
    assert len(stored(db)) == 2 + len(articles)
    final = Engine.open(db, title_weight=TITLE_WEIGHT)  # as the command opens it
    assert unsearchable(final, db) == []
    final.close()


def test_two_ingests_beside_a_running_engine_leave_nothing_unsearchable(tmp_path: Path) -> None:
    """Two `briefbot ingest` runs at once on one store, while an engine holds it open for
    writing: after that engine's next ingest, and after a restart, every article is found."""
    db = tmp_path / "b.sqlite3"
    running = Engine.open(db, title_weight=TITLE_WEIGHT)  # as the command opens it
    running.ingest(numbered("r", 1))
    sources = [
        write_jsonl(tmp_path / f"{prefix}.jsonl", numbered(prefix, 2 * BATCH_ARTICLES))
        for prefix in "xy"
    ]
    processes = [
        subprocess.Popen(
            [*INGEST, str(source)],
            env=environment(db),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for source in sources
    ]
    for process in processes:
        _, errors = process.communicate()
        assert process.returncode == 0, errors
    running.ingest(numbered("r", 1, start=1))
    assert len(stored(db)) == 2 + 4 * BATCH_ARTICLES
    assert unsearchable(running, db) == []
    running.close()
    check_store_whole(db)
    reopened = Engine.open(db, title_weight=TITLE_WEIGHT)  # as the command opens it
    assert unsearchable(reopened, db) == []
    reopened.close()
