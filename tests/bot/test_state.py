"""The bot's own tables: stable query ids and question -> answer links, across restarts."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from bot.state import ANSWER_LIFETIME, BotState


def test_same_text_same_id_and_lookup() -> None:
    """A query text is stored once; its id finds it again; unknown ids find nothing."""
    state = BotState(":memory:")
    first = state.remember_query("weapons for Ukraine")
    assert state.remember_query("grain") != first
    assert state.remember_query("weapons for Ukraine") == first
    assert state.query(first) == "weapons for Ukraine"
    assert state.query(first + 100) is None
    state.close()


def test_answers_and_queries_survive_reopening(tmp_path: Path) -> None:
    """A second connection to the same file sees what the first stored."""
    path = tmp_path / "nested" / "bot.sqlite3"
    state = BotState(path)
    qid = state.remember_query("grain")
    state.link_answer(-100, 5, 77)
    state.link_answer(-100, 5, 78)  # a later answer to the same question replaces the link
    state.close()
    again = BotState(path)
    assert again.query(qid) == "grain"
    assert again.answer_for(-100, 5) == 78
    assert again.answer_for(-100, 6) is None
    again.close()


def test_links_older_than_telegram_edit_window_are_dropped(tmp_path: Path) -> None:
    """Opening the store forgets answers whose questions can no longer be edited."""
    path = tmp_path / "bot.sqlite3"
    BotState(path).close()
    with sqlite3.connect(path) as db:
        old = time.time() - ANSWER_LIFETIME - 1
        db.execute("INSERT INTO bot_answers VALUES (1, 2, 3, ?)", (old,))
        db.execute("INSERT INTO bot_answers VALUES (1, 4, 5, ?)", (time.time(),))
    db.close()
    state = BotState(path)
    assert state.answer_for(1, 2) is None
    assert state.answer_for(1, 4) == 5
    state.close()
