"""Bot-side tables in the engine's database file, so buttons and edits survive a restart.

Two facts must outlive the process: the text behind a button's query id (buttons live on in
chats for ever) and which answer belongs to which question (so an edited question edits its
answer). They go in the same sqlite file as the articles, through a separate connection, in
tables prefixed ``bot_`` so they never collide with the store's.

Every method is synchronous and guarded by one lock: handlers call them through
``asyncio.to_thread`` so a slow disk never stalls the event loop.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS bot_queries (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL UNIQUE,
    created REAL NOT NULL
);
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


class BotState:
    """Stored query texts (ids go into callback data) and question -> answer message links."""

    def __init__(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # check_same_thread=False: calls arrive from asyncio.to_thread workers; the lock
        # serialises them.
        self._db = sqlite3.connect(str(path), timeout=10.0, check_same_thread=False)
        # The store puts this file in WAL mode, where NORMAL skips the fsync on each commit yet
        # never corrupts the file; a power cut may forget the last links, a crash loses none.
        # With FULL, two fsyncs per answer (~4 ms each here) under the lock capped it at ~125/s.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._lock = threading.Lock()
        with self._lock, self._db:
            self._db.executescript(SCHEMA)
            self._db.execute(
                "DELETE FROM bot_answers WHERE created < ?", (time.time() - ANSWER_LIFETIME,)
            )

    def remember_query(self, text: str) -> int:
        """Return the id of ``text``, storing it first if it is new.

        The same text always gets the same id, so repeated questions do not grow the table.
        """
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR IGNORE INTO bot_queries (text, created) VALUES (?, ?)",
                (text, time.time()),
            )
            row = self._db.execute("SELECT id FROM bot_queries WHERE text = ?", (text,)).fetchone()
        return int(row[0])

    def query(self, qid: int) -> str | None:
        """Return the text stored under ``qid``, or None if there is none (a stale button)."""
        with self._lock:
            row = self._db.execute("SELECT text FROM bot_queries WHERE id = ?", (qid,)).fetchone()
        return None if row is None else str(row[0])

    def link_answer(self, chat_id: int, message_id: int, answer_id: int) -> None:
        """Record that message ``answer_id`` answers question ``message_id`` in ``chat_id``."""
        with self._lock, self._db:
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
