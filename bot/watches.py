"""Saved searches ("watches") and their alerts, kept in the bot's sqlite file.

Three tables, all prefixed ``bot_`` like ``bot.state``'s:

- ``bot_watches``: one row per saved query, owned by a chat (and the user who saved it).
- ``bot_alerts``: one row per (chat, article) a watch matched, ``sent`` NULL while pending.
- ``bot_alert_messages``: when each alert message went out, for the per-chat hourly cap.

The last two are worked by ``bot.alert_queue`` (``WatchStore.alerts``) on the same connection.
Every method is synchronous and serialised by one lock; the bot calls them through
``asyncio.to_thread``.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bot.alert_queue import AlertQueue
from retrieval.errors import BriefbotError

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
CREATE TABLE IF NOT EXISTS bot_alerts (
    chat_id INTEGER NOT NULL,
    article_id TEXT NOT NULL,
    watch_id INTEGER NOT NULL,
    query TEXT NOT NULL,
    article TEXT NOT NULL,
    excerpt TEXT NOT NULL,
    highlights TEXT NOT NULL,
    found REAL NOT NULL,
    sent REAL,
    UNIQUE (chat_id, article_id)
);
CREATE INDEX IF NOT EXISTS bot_alerts_pending ON bot_alerts (chat_id, sent);
CREATE TABLE IF NOT EXISTS bot_alert_messages (
    chat_id INTEGER NOT NULL,
    sent REAL NOT NULL
);
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
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # check_same_thread=False: calls come from asyncio.to_thread workers; the lock
        # serialises them.
        self._db = sqlite3.connect(str(path), timeout=10.0, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock, self._db:
            self._db.executescript(SCHEMA)
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
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
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
        """Delete watch ``watch_id`` if it belongs to ``chat_id``; pending alerts go with it."""
        with self._lock, self._db:
            cursor = self._db.execute(
                "DELETE FROM bot_watches WHERE id = ? AND chat_id = ?", (watch_id, chat_id)
            )
            if cursor.rowcount:
                self._db.execute(
                    "DELETE FROM bot_alerts WHERE watch_id = ? AND sent IS NULL", (watch_id,)
                )
        return cursor.rowcount == 1

    def forget(self, user_id: int, chat_id: int) -> Forgotten:
        """Delete ``user_id``'s watches everywhere and their pending alerts; in the user's
        private chat (``chat_id == user_id``) also its alert history and send times (the
        stored questions and answer links are ``bot.state``'s to forget)."""
        with self._lock, self._db:
            ids = [
                row[0]
                for row in self._db.execute(
                    "SELECT id FROM bot_watches WHERE user_id = ?", (user_id,)
                )
            ]
            marks = ",".join("?" * len(ids))
            alerts = self._db.execute(
                f"DELETE FROM bot_alerts WHERE sent IS NULL AND watch_id IN ({marks})", ids
            ).rowcount
            self._db.execute(f"DELETE FROM bot_watches WHERE id IN ({marks})", ids)
            if chat_id == user_id:
                alerts += self._db.execute(
                    "DELETE FROM bot_alerts WHERE chat_id = ?", (chat_id,)
                ).rowcount
                self._db.execute("DELETE FROM bot_alert_messages WHERE chat_id = ?", (chat_id,))
        return Forgotten(len(ids), alerts)

    def drop_chat(self, chat_id: int) -> None:
        """Forget a chat that blocked the bot or was deleted: its watches and pending alerts."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM bot_watches WHERE chat_id = ?", (chat_id,))
            self._db.execute(
                "DELETE FROM bot_alerts WHERE chat_id = ? AND sent IS NULL", (chat_id,)
            )

    def close(self) -> None:
        """Close the connection; the object must not be used afterwards."""
        with self._lock:
            self._db.close()
