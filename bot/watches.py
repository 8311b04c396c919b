"""Saved searches ("watches") and their alerts, kept in the bot's sqlite file.

``bot_watches`` (prefixed ``bot_`` like ``bot.state``'s tables) holds one row per saved query,
owned by a chat (and the user who saved it); this module creates it and is the only one to
write it. The alerts watches find are ``bot.alert_queue``'s tables, worked through
``WatchStore.alerts`` on the same connection; an operation spanning both (/forgetme, a chat
that blocked the bot) calls each owner in turn.
Every method is synchronous and serialised by one lock; the bot calls them through
``asyncio.to_thread``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bot.alert_queue import AlertQueue
from retrieval import (
    BriefbotError,
    connect,
    create_tables,
    transaction,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS bot_watches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    query TEXT NOT NULL,
    created REAL NOT NULL,
    thread_id INTEGER,
    UNIQUE (chat_id, query)
);
CREATE INDEX IF NOT EXISTS bot_watches_user ON bot_watches (user_id);
"""


@dataclass(frozen=True, slots=True)
class Watch:
    """A saved query of one chat; ``id`` is what /unwatch takes."""

    id: int
    chat_id: int
    user_id: int
    query: str
    thread_id: int | None = None


class WatchCapError(BriefbotError):
    """A cap refused a new watch: ``per`` is "chat" or "user", ``cap`` the limit reached."""

    def __init__(self, per: str, cap: int) -> None:
        super().__init__(f"{per} already has {cap} watches")
        self.per = per
        self.cap = cap


@dataclass(frozen=True, slots=True)
class Forgotten:
    """How much /forgetme deleted."""

    watches: int
    alerts: int


class WatchStore:
    """Watches, pending and sent alerts, and alert send times, in one sqlite file."""

    def __init__(self, path: Path | str) -> None:
        # Calls come from asyncio.to_thread workers; the lock serialises them. The alert
        # queue works its own tables on this connection, under the same lock.
        self._db = connect(path)
        self._lock = threading.Lock()
        with self._lock:
            create_tables(self._db, SCHEMA)
        self.alerts = AlertQueue(self._db, self._lock)

    # -- watches ----------------------------------------------------------------------------

    def add_watch(
        self,
        chat_id: int,
        user_id: int,
        query: str,
        thread_id: int | None = None,
        *,
        per_chat: int = 0,
        per_user: int = 0,
    ) -> tuple[Watch, bool]:
        """Save ``query`` for ``chat_id``; return the watch and whether it is new.

        Saving the same query twice in a chat returns the existing watch instead of a copy.
        ``thread_id`` is the forum topic the watch was set in: its alerts go there. A new watch
        beyond ``per_chat`` watches in the chat or ``per_user`` of the user's across all chats
        (0: no cap) raises ``WatchCapError``. Counting and inserting happen in one write
        transaction (``BEGIN IMMEDIATE``), so a burst of /watch, even from several processes
        on the file, can never pass the caps together.
        """
        select = "SELECT id, user_id, thread_id FROM bot_watches WHERE chat_id = ? AND query = ?"
        with self._lock, transaction(self._db):
            row = self._db.execute(select, (chat_id, query)).fetchone()
            if row is not None:
                return Watch(int(row[0]), chat_id, int(row[1]), query, row[2]), False
            for per, cap, column, owner in (
                ("chat", per_chat, "chat_id", chat_id),
                ("user", per_user, "user_id", user_id),
            ):
                sql = f"SELECT count(*) FROM bot_watches WHERE {column} = ?"
                if cap and self._db.execute(sql, (owner,)).fetchone()[0] >= cap:
                    raise WatchCapError(per, cap)
            cursor = self._db.execute(
                "INSERT INTO bot_watches (chat_id, user_id, query, created, thread_id)"
                " VALUES (?, ?, ?, ?, ?)",
                (chat_id, user_id, query, time.time(), thread_id),
            )
        return Watch(int(cursor.lastrowid or 0), chat_id, user_id, query, thread_id), True

    def watches(self, chat_id: int | None = None) -> list[Watch]:
        """The watches of ``chat_id`` (every chat's when None), oldest first."""
        sql = "SELECT id, chat_id, user_id, query, thread_id FROM bot_watches"
        args: tuple[int, ...] = ()
        if chat_id is not None:
            sql += " WHERE chat_id = ?"
            args = (chat_id,)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY id", args).fetchall()
        return [Watch(int(r[0]), int(r[1]), int(r[2]), str(r[3]), r[4]) for r in rows]

    def remove_watch(self, chat_id: int, watch_id: int) -> bool:
        """Delete watch ``watch_id`` if it belongs to ``chat_id``; its pending alerts are never
        sent (``AlertQueue.pending`` skips alerts whose watch is gone) and go with
        ``AlertQueue.forget``."""
        with self._lock, transaction(self._db):
            cursor = self._db.execute(
                "DELETE FROM bot_watches WHERE id = ? AND chat_id = ?", (watch_id, chat_id)
            )
        return cursor.rowcount == 1

    def forget(self, user_id: int) -> list[int]:
        """Delete ``user_id``'s watches in every chat; return their ids (for
        ``AlertQueue.forget``, which owns the alerts they found)."""
        with self._lock, transaction(self._db):
            ids = [
                int(row[0])
                for row in self._db.execute(
                    "SELECT id FROM bot_watches WHERE user_id = ?", (user_id,)
                )
            ]
            marks = ",".join("?" * len(ids))
            self._db.execute(f"DELETE FROM bot_watches WHERE id IN ({marks})", ids)
        return ids

    def drop_chat(self, chat_id: int) -> None:
        """Forget a chat that blocked the bot or was deleted: its watches (its alerts are
        ``AlertQueue.drop_chat``'s)."""
        with self._lock, transaction(self._db):
            self._db.execute("DELETE FROM bot_watches WHERE chat_id = ?", (chat_id,))

    def close(self) -> None:
        """Close the connection; the object must not be used afterwards."""
        with self._lock:
            self._db.close()
