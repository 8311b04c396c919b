"""Saved searches ("watches") and their alerts, kept in the bot's sqlite file.

Three tables, all prefixed ``bot_`` like ``bot.state``'s:

- ``bot_watches``: one row per saved query, owned by a chat (and the user who saved it).
- ``bot_alerts``: one row per (chat, article) a watch matched, ``sent`` NULL while pending.
  ``UNIQUE(chat_id, article_id)`` is what makes "the same briefing never alerts a chat twice"
  hold across restarts and across several watches of one chat.
- ``bot_alert_messages``: when each alert message went out, for the per-chat hourly cap.

Every method is synchronous and serialised by one lock; the bot calls them through
``asyncio.to_thread``. Times are plain epoch seconds passed in by the caller, so tests can use a
fake clock.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from retrieval.models import ArticleInfo, Hit, Span

SCHEMA = """
CREATE TABLE IF NOT EXISTS bot_watches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    query TEXT NOT NULL,
    created REAL NOT NULL,
    UNIQUE (chat_id, query)
);
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
# Only the last hour of sends matters for the cap; older rows are pruned as new ones arrive.
HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class Watch:
    """A saved query of one chat; ``id`` is what /unwatch takes."""

    id: int
    chat_id: int
    user_id: int
    query: str


@dataclass(frozen=True, slots=True)
class Alert:
    """One matched briefing waiting for (or already given) its alert message."""

    chat_id: int
    watch_id: int
    query: str
    article: ArticleInfo
    excerpt: str
    highlights: tuple[Span, ...]
    found: float


@dataclass(frozen=True, slots=True)
class Forgotten:
    """How much /forgetme deleted."""

    watches: int
    alerts: int


def _article_json(article: ArticleInfo) -> str:
    return json.dumps(
        {
            "id": article.id,
            "title": article.title,
            "date": article.date.isoformat() if article.date else None,
            "url": article.url,
            "source": article.source,
            "passages": article.passages,
        }
    )


def _article_from(text: str) -> ArticleInfo:
    data = json.loads(text)
    date = datetime.fromisoformat(data["date"]) if data["date"] else None
    return ArticleInfo(
        data["id"], data["title"], date, data["url"], data["source"], data["passages"]
    )


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

    # -- watches ----------------------------------------------------------------------------

    def add_watch(self, chat_id: int, user_id: int, query: str) -> tuple[Watch, bool]:
        """Save ``query`` for ``chat_id``; return the watch and whether it is new.

        Saving the same query twice in a chat returns the existing watch instead of a copy.
        """
        with self._lock, self._db:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO bot_watches (chat_id, user_id, query, created) "
                "VALUES (?, ?, ?, ?)",
                (chat_id, user_id, query, time.time()),
            )
            row = self._db.execute(
                "SELECT id, user_id FROM bot_watches WHERE chat_id = ? AND query = ?",
                (chat_id, query),
            ).fetchone()
        return Watch(int(row[0]), chat_id, int(row[1]), query), cursor.rowcount == 1

    def watches(self, chat_id: int | None = None) -> list[Watch]:
        """The watches of ``chat_id`` (every chat's when None), oldest first."""
        sql = "SELECT id, chat_id, user_id, query FROM bot_watches"
        args: tuple[int, ...] = ()
        if chat_id is not None:
            sql += " WHERE chat_id = ?"
            args = (chat_id,)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY id", args).fetchall()
        return [Watch(int(r[0]), int(r[1]), int(r[2]), str(r[3])) for r in rows]

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
        private chat (``chat_id == user_id``) also its alert history, send times and the
        links from questions to answers."""
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
                # bot.state's question -> answer links of this chat (only there in a file db).
                if self._db.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'bot_answers'"
                ).fetchone():
                    self._db.execute("DELETE FROM bot_answers WHERE chat_id = ?", (chat_id,))
        return Forgotten(len(ids), alerts)

    # -- alerts -----------------------------------------------------------------------------

    def queue(self, watch: Watch, hits: Iterable[Hit], now: float) -> int:
        """Queue an alert per hit unless the chat already had one for that article."""
        rows = [
            (
                watch.chat_id,
                hit.article.id,
                watch.id,
                watch.query,
                _article_json(hit.article),
                hit.excerpt,
                json.dumps([[s.start, s.end] for s in hit.highlights]),
                now,
            )
            for hit in hits
        ]
        with self._lock, self._db:
            before = self._db.total_changes
            self._db.executemany(
                "INSERT OR IGNORE INTO bot_alerts "
                "(chat_id, article_id, watch_id, query, article, excerpt, highlights, found) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            return self._db.total_changes - before

    def pending(self, chat_id: int) -> list[Alert]:
        """The chat's alerts not sent yet, in the order they were found."""
        with self._lock:
            rows = self._db.execute(
                "SELECT watch_id, query, article, excerpt, highlights, found FROM bot_alerts "
                "WHERE chat_id = ? AND sent IS NULL ORDER BY found, rowid",
                (chat_id,),
            ).fetchall()
        return [
            Alert(
                chat_id,
                int(r[0]),
                str(r[1]),
                _article_from(r[2]),
                str(r[3]),
                tuple(Span(s, e) for s, e in json.loads(r[4])),
                float(r[5]),
            )
            for r in rows
        ]

    def chats_with_pending(self) -> list[int]:
        """Every chat that has alerts waiting (after a restart, their sends are rescheduled)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT chat_id FROM bot_alerts WHERE sent IS NULL ORDER BY chat_id"
            ).fetchall()
        return [int(r[0]) for r in rows]

    def sends_since(self, chat_id: int, since: float) -> list[float]:
        """When alert messages went to ``chat_id`` at or after ``since``, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT sent FROM bot_alert_messages WHERE chat_id = ? AND sent >= ? ORDER BY sent",
                (chat_id, since),
            ).fetchall()
        return [float(r[0]) for r in rows]

    def claim(self, chat_id: int, article_ids: Sequence[str], now: float) -> None:
        """Mark alerts sent and count one message, before sending: a crash mid-send may lose
        an alert but can never repeat one."""
        with self._lock, self._db:
            self._db.executemany(
                "UPDATE bot_alerts SET sent = ? WHERE chat_id = ? AND article_id = ?",
                [(now, chat_id, article_id) for article_id in article_ids],
            )
            self._db.execute("DELETE FROM bot_alert_messages WHERE sent < ?", (now - HOUR,))
            self._db.execute("INSERT INTO bot_alert_messages VALUES (?, ?)", (chat_id, now))

    def release(self, chat_id: int, article_ids: Sequence[str], now: float) -> None:
        """Undo ``claim`` after a send that failed, so the alerts are tried again."""
        with self._lock, self._db:
            self._db.executemany(
                "UPDATE bot_alerts SET sent = NULL WHERE chat_id = ? AND article_id = ?",
                [(chat_id, article_id) for article_id in article_ids],
            )
            self._db.execute(
                "DELETE FROM bot_alert_messages WHERE chat_id = ? AND sent = ?", (chat_id, now)
            )

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
