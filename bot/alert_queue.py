"""The alert queue: matched briefings per chat, pending until sent, and when messages went.

Two tables, created here and written only here, on ``bot.watches``' connection and lock
(``WatchStore.alerts``):

- ``bot_alerts``: one row per (chat, article) a watch matched, ``sent`` NULL while pending.
- ``bot_alert_messages``: when each alert message went out, for the per-chat hourly cap.
 ``UNIQUE(chat_id, article_id)`` on ``bot_alerts`` is what
makes "the same briefing never alerts a chat twice" hold across restarts and across several
watches of one chat. Times are epoch seconds passed in by the caller (tests use a fake clock).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from retrieval import (
    ArticleInfo,
    Hit,
    Span,
    create_tables,
    transaction,
)

# Only the last hour of sends matters for the cap; older rows are pruned as new ones arrive.
HOUR = 3600.0
SCHEMA = """
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
class Alert:
    """One matched briefing waiting for (or already given) its alert message."""

    chat_id: int
    watch_id: int
    query: str
    article: ArticleInfo
    excerpt: str
    highlights: tuple[Span, ...]
    found: float
    thread_id: int | None = None
    cut_start: bool = False
    cut_end: bool = False


def _article_json(article: ArticleInfo) -> str:
    """The citation as JSON: a pending alert renders after a restart without asking the engine."""
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
    """The citation ``_article_json`` stored."""
    data = json.loads(text)
    date = datetime.fromisoformat(data["date"]) if data["date"] else None
    return ArticleInfo(
        data["id"], data["title"], date, data["url"], data["source"], data["passages"]
    )


def _marks_json(hit: Hit) -> str:
    """The excerpt's highlights and cut flags as JSON, for the ``highlights`` column.

    A plain list of spans when the excerpt is whole (what rows queued before cut flags
    existed hold), else an object that also says where the sentence was cut, so the alert
    shows "…" there as a reply does; the column keeps its type, so no migration is needed.
    """
    spans = [[s.start, s.end] for s in hit.highlights]
    if not (hit.cut_start or hit.cut_end):
        return json.dumps(spans)
    return json.dumps({"spans": spans, "cut": [hit.cut_start, hit.cut_end]})


def _marks_from(text: str) -> tuple[tuple[Span, ...], bool, bool]:
    """Highlights and cut flags as ``_marks_json`` stored them (either form)."""
    data = json.loads(text)
    if isinstance(data, dict):
        cut_start, cut_end = (bool(flag) for flag in data.get("cut", (False, False)))
        data = data.get("spans", [])
    else:
        cut_start = cut_end = False
    return tuple(Span(s, e) for s, e in data), cut_start, cut_end


class AlertQueue:
    """Pending and sent alerts and alert send times, on a connection ``WatchStore`` owns."""

    def __init__(self, db: sqlite3.Connection, lock: threading.Lock) -> None:
        self._db = db
        self._lock = lock
        with lock:
            create_tables(db, SCHEMA)

    def queue(
        self, chat_id: int, watch_id: int, query: str, hits: Iterable[Hit], now: float
    ) -> int:
        """Queue an alert per hit unless the chat already had one for that article; return
        how many were new."""
        rows = [
            (
                chat_id,
                hit.article.id,
                watch_id,
                query,
                _article_json(hit.article),
                hit.excerpt,
                _marks_json(hit),
                now,
            )
            for hit in hits
        ]
        with self._lock, transaction(self._db):
            before = self._db.total_changes
            self._db.executemany(
                "INSERT OR IGNORE INTO bot_alerts "
                "(chat_id, article_id, watch_id, query, article, excerpt, highlights, found) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            return self._db.total_changes - before

    def pending(self, chat_id: int) -> list[Alert]:
        """The chat's alerts not sent yet, in the order they were found.

        Only alerts whose watch still exists: one removed meanwhile (/unwatch, /forgetme)
        never sends what it found, whichever owner's table was cleaned first.
        """
        with self._lock:
            rows = self._db.execute(
                "SELECT a.watch_id, a.query, a.article, a.excerpt, a.highlights, a.found,"
                " w.thread_id FROM bot_alerts a JOIN bot_watches w ON w.id = a.watch_id"
                " WHERE a.chat_id = ? AND a.sent IS NULL ORDER BY a.found, a.rowid",
                (chat_id,),
            ).fetchall()
        alerts = []
        for r in rows:
            highlights, cut_start, cut_end = _marks_from(r[4])
            alerts.append(
                Alert(
                    chat_id,
                    int(r[0]),
                    str(r[1]),
                    _article_from(r[2]),
                    str(r[3]),
                    highlights,
                    float(r[5]),
                    None if r[6] is None else int(r[6]),
                    cut_start,
                    cut_end,
                )
            )
        return alerts

    def forget(self, watch_ids: Sequence[int], chat_id: int | None = None) -> int:
        """Delete the pending alerts of ``watch_ids`` and, given ``chat_id`` (a user's private
        chat, on /forgetme), that chat's alert history and send times; return how many alerts."""
        marks = ",".join("?" * len(watch_ids))
        with self._lock, transaction(self._db):
            deleted = self._db.execute(
                f"DELETE FROM bot_alerts WHERE sent IS NULL AND watch_id IN ({marks})",
                list(watch_ids),
            ).rowcount
            if chat_id is not None:
                deleted += self._db.execute(
                    "DELETE FROM bot_alerts WHERE chat_id = ?", (chat_id,)
                ).rowcount
                self._db.execute("DELETE FROM bot_alert_messages WHERE chat_id = ?", (chat_id,))
        return int(deleted)

    def drop_chat(self, chat_id: int) -> None:
        """Drop the pending alerts of a chat that can never receive them."""
        with self._lock, transaction(self._db):
            self._db.execute(
                "DELETE FROM bot_alerts WHERE chat_id = ? AND sent IS NULL", (chat_id,)
            )

    def drop_pending(self, article_ids: Sequence[str]) -> int:
        """Forget the alerts not sent yet about these (removed) articles; return how many."""
        ids = list(article_ids)
        with self._lock, transaction(self._db):
            before = self._db.total_changes
            for i in range(0, len(ids), 500):
                part = ids[i : i + 500]
                self._db.execute(
                    "DELETE FROM bot_alerts WHERE sent IS NULL"
                    f" AND article_id IN ({','.join('?' * len(part))})",
                    part,
                )
            return self._db.total_changes - before

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

    def claim(self, chat_id: int, article_ids: Sequence[str], now: float) -> bool:
        """Mark alerts sent and count one message, before sending: a crash mid-send may lose
        an alert but can never repeat one.

        All or nothing: when another process (a second webhook instance, say) claimed any of
        them first, nothing is marked and False is returned, so each alert goes out once
        however many processes read the same pending rows.
        """
        with self._lock:
            try:
                with transaction(self._db):
                    for article_id in article_ids:
                        claimed = self._db.execute(
                            "UPDATE bot_alerts SET sent = ?"
                            " WHERE chat_id = ? AND article_id = ? AND sent IS NULL",
                            (now, chat_id, article_id),
                        ).rowcount
                        if not claimed:
                            raise _ClaimedElsewhereError
                    self._db.execute("DELETE FROM bot_alert_messages WHERE sent < ?", (now - HOUR,))
                    self._db.execute("INSERT INTO bot_alert_messages VALUES (?, ?)", (chat_id, now))
            except _ClaimedElsewhereError:
                return False
        return True

    def release(self, chat_id: int, article_ids: Sequence[str], now: float) -> None:
        """Undo ``claim(chat_id, article_ids, now)`` after a send that failed, so the alerts
        are tried again (only what that claim marked: ``sent`` is its time)."""
        with self._lock, transaction(self._db):
            self._db.executemany(
                "UPDATE bot_alerts SET sent = NULL WHERE chat_id = ? AND article_id = ?"
                " AND sent = ?",
                [(chat_id, article_id, now) for article_id in article_ids],
            )
            self._db.execute(
                "DELETE FROM bot_alert_messages WHERE chat_id = ? AND sent = ?", (chat_id, now)
            )


class _ClaimedElsewhereError(Exception):
    """An alert was claimed by another process meanwhile: roll the whole claim back."""
