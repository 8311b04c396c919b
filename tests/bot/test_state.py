"""The bot's own tables: owned query tokens and question -> answer links, across restarts."""

from __future__ import annotations

import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.buttons import TOKEN
from bot.state import ANSWER_LIFETIME, BotState, Owner, StoredQuery

ANN = Owner(501, 501)  # Ann in her private chat
BEN = Owner(502, 502)
GROUP_ANN = Owner(-100, 501, shared=True)  # Ann asking in a group


def test_same_owner_and_text_same_token() -> None:
    """A query is stored once per owner; its token finds it again; unknown tokens find nothing."""
    state = BotState(":memory:")
    first = state.remember_query("weapons for Ukraine", ANN)
    assert state.remember_query("grain", ANN) != first
    assert state.remember_query("weapons for Ukraine", ANN) == first
    assert state.remember_query("weapons for Ukraine", BEN) != first
    assert state.query(first, ANN) == "weapons for Ukraine"
    assert state.query(first[::-1], ANN) is None
    assert state.query("1", ANN) is None
    state.close()


def test_a_query_keeps_the_day_it_was_asked() -> None:
    """The same question later that day shares the first asking's token and date; asked on
    another day it is another search, with a token and date of its own."""
    state = BotState(":memory:")
    morning = datetime(2024, 5, 2, 8, tzinfo=UTC)
    token = state.remember_query("quake", ANN, morning)
    assert state.remember_query("quake", ANN, morning.replace(hour=20)) == token
    assert state.stored(token, ANN) == StoredQuery("quake", morning)
    next_day = state.remember_query("quake", ANN, datetime(2024, 5, 3, 8, tzinfo=UTC))
    assert next_day != token
    assert state.stored(next_day, ANN) == StoredQuery("quake", datetime(2024, 5, 3, 8, tzinfo=UTC))
    undated = state.remember_query("quake", ANN)
    assert state.stored(undated, ANN) == StoredQuery("quake", None)
    assert state.stored(token, BEN) is None
    state.close()


@pytest.mark.parametrize(
    ("asker", "presser", "sees"),
    [
        (ANN, ANN, True),
        (ANN, BEN, False),
        (ANN, Owner(501, 502), False),  # not a real private chat, but the user must match
        (ANN, Owner(-100, 501, shared=True), False),
        (GROUP_ANN, Owner(-100, 502, shared=True), True),
        (GROUP_ANN, GROUP_ANN, True),
        (GROUP_ANN, Owner(-200, 501, shared=True), False),
        (GROUP_ANN, ANN, False),
    ],
    ids=["owner", "other-user", "other-user-in-owners-chat", "owner-in-a-group",
         "group-member", "group-asker", "asker-in-another-group", "asker-in-private"],
)  # fmt: skip
def test_only_the_owner_sees_a_query(asker: Owner, presser: Owner, sees: bool) -> None:
    """A private query is the user's alone; a group's is every member's, in that group only."""
    state = BotState(":memory:")
    token = state.remember_query("grain", asker)
    assert state.query(token, presser) == ("grain" if sees else None)
    state.close()


def test_tokens_are_random_not_sequential() -> None:
    """Tokens are 12 URL-safe characters that neither count up nor sort in creation order."""
    state = BotState(":memory:")
    tokens = [state.remember_query(f"question {n}", ANN) for n in range(50)]
    assert all(TOKEN.fullmatch(token) and not token.isdigit() for token in tokens)
    assert len(set(tokens)) == 50
    assert sorted(tokens) != tokens
    state.close()


def test_concurrent_askers_on_two_connections_share_one_token(tmp_path: Path) -> None:
    """Worker processes storing the same question at once end with one row, one token."""
    path = tmp_path / "bot.sqlite3"
    states = [BotState(path), BotState(path)]
    with ThreadPoolExecutor(8) as pool:
        tokens = set(pool.map(lambda n: states[n % 2].remember_query("grain", ANN), range(40)))
    assert len(tokens) == 1
    assert states[0].forget(501, 501) == 1
    for state in states:
        state.close()


def test_forget_deletes_the_users_questions_everywhere(tmp_path: Path) -> None:
    """/forgetme's table work: the user's questions in every chat and private answer links go."""
    state = BotState(tmp_path / "bot.sqlite3")
    mine = [state.remember_query("grain", ANN), state.remember_query("grain", GROUP_ANN)]
    theirs = state.remember_query("grain", BEN)
    state.link_answer(501, 5, 77)
    state.link_answer(502, 5, 78)
    assert state.forget(501, 501) == 2
    assert [state.query(token, ANN) for token in mine] == [None, None]
    assert state.query(mine[1], GROUP_ANN) is None
    assert state.query(theirs, BEN) == "grain"
    assert state.answer_for(501, 5) is None
    assert state.answer_for(502, 5) == 78
    state.close()


def test_pre_token_table_migrates_in_place(tmp_path: Path) -> None:
    """A store from before tokens opens: counted queries are dropped, answer links are kept."""
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE bot_queries (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE,"
            " created REAL NOT NULL)"
        )
        db.execute("INSERT INTO bot_queries VALUES (1, 'grain', 0)")
        db.execute(
            "CREATE TABLE bot_answers (chat_id INTEGER NOT NULL, message_id INTEGER NOT NULL,"
            " answer_id INTEGER NOT NULL, created REAL NOT NULL, PRIMARY KEY (chat_id, message_id))"
        )
        db.execute("INSERT INTO bot_answers VALUES (501, 5, 77, ?)", (time.time(),))
    db.close()
    state = BotState(path)
    assert state.query("1", ANN) is None
    assert state.answer_for(501, 5) == 77
    token = state.remember_query("grain", ANN)
    state.close()
    again = BotState(path)  # a second open finds the new table and keeps it
    assert again.query(token, ANN) == "grain"
    again.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM bot_queries").fetchone() == (1,)
    db.close()


def test_answers_and_queries_survive_reopening(tmp_path: Path) -> None:
    """A second connection to the same file sees what the first stored."""
    path = tmp_path / "nested" / "bot.sqlite3"
    state = BotState(path)
    qid = state.remember_query("grain", ANN)
    state.link_answer(-100, 5, 77)
    state.link_answer(-100, 5, 78)  # a later answer to the same question replaces the link
    state.close()
    again = BotState(path)
    assert again.query(qid, ANN) == "grain"
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


def test_table_before_asked_dates_migrates_keeping_its_buttons(tmp_path: Path) -> None:
    """Queries stored before their date was kept still open for their owner, undated."""
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE bot_queries (token TEXT PRIMARY KEY, chat_id INTEGER NOT NULL,"
            " user_id INTEGER NOT NULL, shared INTEGER NOT NULL, text TEXT NOT NULL,"
            " created REAL NOT NULL, UNIQUE (chat_id, user_id, text))"
        )
        db.execute("CREATE INDEX bot_queries_user ON bot_queries (user_id)")
        db.execute("INSERT INTO bot_queries VALUES ('abcdefghijkl', 501, 501, 0, 'grain', 0)")
    db.close()
    state = BotState(path)
    assert state.stored("abcdefghijkl", ANN) == StoredQuery("grain", None)
    assert state.query("abcdefghijkl", BEN) is None
    assert state.remember_query("grain", ANN) == "abcdefghijkl"
    dated = state.remember_query("grain", ANN, datetime(2024, 5, 2, tzinfo=UTC))
    assert dated != "abcdefghijkl"
    assert state.forget(501, 501) == 2  # the user index survived the copy
    state.close()
    with sqlite3.connect(path) as db:
        names = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    db.close()
    assert "bot_queries_user" in names
