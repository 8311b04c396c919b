"""Bot-side tables in the engine's database file, so buttons and edits survive a restart.

Two facts must outlive the process: the text behind a button's query token (buttons live on in
chats for ever) and which answer belongs to which question (so an edited question edits its
answer). They go in the same sqlite file as the articles, through a separate connection, in
tables prefixed ``bot_`` so they never collide with the store's.

A query is a user's question, so it is stored with its owner and handed out only to them: the
token in the callback data is random, and a press must come from the owning chat (and, in a
private chat, the owning user) to see anything. Anyone can send any callback data.

Every method is synchronous and guarded by one lock: handlers call them through
``asyncio.to_thread`` so a slow disk never stalls the event loop.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from retrieval import (
    connect,
    create_tables,
    transaction,
)

# 9 random bytes are 12 URL-safe characters: 72 bits no one can count through, and the longest
# button ("o:<token>:<passage>:<page>") still fits Telegram's 64 bytes of callback data.
TOKEN_BYTES = 9
TOKEN_CHARS = 12  # len(secrets.token_urlsafe(TOKEN_BYTES)): base64 without padding
# ``asked`` is the question's "today" (the message's date, epoch seconds; NULL: unknown, paged as
# of the press) and ``day`` its UTC day number (-1 when unknown): the same question asked on
# another day is another search ("yesterday" and the recency prior read from its day).
QUERIES = """
CREATE TABLE IF NOT EXISTS bot_queries (
    token TEXT PRIMARY KEY,
    chat_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    shared INTEGER NOT NULL,
    text TEXT NOT NULL,
    created REAL NOT NULL,
    asked REAL,
    day INTEGER NOT NULL,
    UNIQUE (chat_id, user_id, text, day)
)"""
SCHEMA = f"""{QUERIES};
CREATE INDEX IF NOT EXISTS bot_queries_user ON bot_queries (user_id);
CREATE TABLE IF NOT EXISTS bot_answers (
    chat_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    answer_id INTEGER NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (chat_id, message_id)
);
"""
# Telegram lets users edit a message for 48 hours; older links can never be used again.
ANSWER_LIFETIME = 48 * 3600.0
# How many times to draw a new token when one is taken (72 random bits: never, in practice).
TOKEN_TRIES = 5


@dataclass(frozen=True, slots=True)
class Owner:
    """Who asked (or presses): chat and user; ``shared`` when the chat is a group.

    A group's results message is seen by all its members, so any member may page it; a private
    chat's only by its user.
    """

    chat_id: int
    user_id: int
    shared: bool = False


@dataclass(frozen=True, slots=True)
class StoredQuery:
    """A stored question and the moment it was asked (None for questions stored before that
    was kept: their buttons search as of the press)."""

    text: str
    asked: datetime | None


def _day(asked: datetime | None) -> int:
    """The UTC day number of ``asked``; -1 when unknown."""
    return -1 if asked is None else int(asked.timestamp() // 86_400)


def _migrate(db: sqlite3.Connection) -> None:
    """Bring an older query table up to date.

    Before owners and tokens (``id`` a counter, no owner) its rows cannot be given to anyone
    safely, so the table is dropped and their buttons are answered as expired. Before ``asked``
    the rows are kept with the date unknown (their buttons search as of the press, as they did);
    SQLite cannot change a UNIQUE constraint in place, so the table is rebuilt
    (in the one transaction ``create_tables`` opens).
    """
    columns = {row[1] for row in db.execute("PRAGMA table_info(bot_queries)")}
    if columns and "token" not in columns:
        db.execute("DROP TABLE bot_queries")
    elif columns and "asked" not in columns:
        rows = db.execute(
            "SELECT token, chat_id, user_id, shared, text, created FROM bot_queries"
        ).fetchall()
        db.execute("DROP TABLE bot_queries")  # its index goes with it
        db.execute(QUERIES)
        db.executemany("INSERT INTO bot_queries VALUES (?, ?, ?, ?, ?, ?, NULL, -1)", rows)


class BotState:
    """Stored query texts with their owners (tokens go into callback data) and question ->
    answer message links."""

    def __init__(self, path: Path | str) -> None:
        # Calls arrive from asyncio.to_thread workers; the lock serialises them.
        self._db = connect(path)
        self._lock = threading.Lock()
        with self._lock:
            # The parent and worker processes open the file at once: one creates the tables.
            create_tables(self._db, SCHEMA, _migrate)
            self._db.execute(
                "DELETE FROM bot_answers WHERE created < ?", (time.time() - ANSWER_LIFETIME,)
            )

    def remember_query(self, text: str, owner: Owner, asked: datetime | None = None) -> str:
        """Return the token of ``owner``'s query ``text`` asked at ``asked``, storing it first
        if it is new.

        The same owner asking the same text on the same (UTC) day gets the same token, so
        repeated questions do not grow the table, and its buttons search as of the first time
        it was asked that day; the same text from another chat or user, or on another day, gets
        a token of its own.
        """
        select = (
            "SELECT token FROM bot_queries WHERE chat_id = ? AND user_id = ? AND text = ?"
            " AND day = ?"
        )
        key = (owner.chat_id, owner.user_id, text, _day(asked))
        stamp = None if asked is None else asked.timestamp()
        with self._lock:
            for _ in range(TOKEN_TRIES):
                row = self._db.execute(select, key).fetchone()
                if row is not None:
                    return str(row[0])
                token = secrets.token_urlsafe(TOKEN_BYTES)
                try:
                    with transaction(self._db):
                        self._db.execute(
                            "INSERT INTO bot_queries VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            (token, *key[:2], owner.shared, text, time.time(), stamp, key[3]),
                        )
                except sqlite3.IntegrityError:
                    continue  # another process stored this question first, or the token is taken
                return token
        raise RuntimeError("could not store a query under a fresh token")

    def stored(self, token: str, presser: Owner) -> StoredQuery | None:
        """Return the query stored under ``token`` if ``presser`` may see it, else None.

        None alike for an unknown token and for one of another chat (or, in a private chat,
        another user), so a forged button learns nothing, not even that the token exists.
        """
        with self._lock:
            row = self._db.execute(
                "SELECT text, asked FROM bot_queries WHERE token = ? AND chat_id = ?"
                " AND (shared OR user_id = ?)",
                (token, presser.chat_id, presser.user_id),
            ).fetchone()
        if row is None:
            return None
        asked = None if row[1] is None else datetime.fromtimestamp(row[1], UTC)
        return StoredQuery(str(row[0]), asked)

    def query(self, token: str, presser: Owner) -> str | None:
        """The text of ``stored(token, presser)``, for buttons that need no date."""
        found = self.stored(token, presser)
        return None if found is None else found.text

    def forget(self, user_id: int, chat_id: int) -> int:
        """Delete ``user_id``'s stored questions everywhere (their buttons then expire) and, in
        the user's private chat (``chat_id == user_id``), its question -> answer links; return
        how many questions went."""
        with self._lock, transaction(self._db):
            deleted = self._db.execute(
                "DELETE FROM bot_queries WHERE user_id = ?", (user_id,)
            ).rowcount
            if chat_id == user_id:
                self._db.execute("DELETE FROM bot_answers WHERE chat_id = ?", (chat_id,))
        return int(deleted)

    def link_answer(self, chat_id: int, message_id: int, answer_id: int) -> None:
        """Record that message ``answer_id`` answers question ``message_id`` in ``chat_id``."""
        with self._lock, transaction(self._db):
            self._db.execute(
                "INSERT OR REPLACE INTO bot_answers VALUES (?, ?, ?, ?)",
                (chat_id, message_id, answer_id, time.time()),
            )

    def answer_for(self, chat_id: int, message_id: int) -> int | None:
        """Return the id of the answer to question ``message_id``, if the bot answered it."""
        with self._lock:
            row = self._db.execute(
                "SELECT answer_id FROM bot_answers WHERE chat_id = ? AND message_id = ?",
                (chat_id, message_id),
            ).fetchone()
        return None if row is None else int(row[0])

    def close(self) -> None:
        """Close the connection; the object must not be used afterwards."""
        with self._lock:
            self._db.close()
