"""Readers' 👍 / 👎 on answers: the one table that holds them, and the only code that writes it.

A vote names the answer by the token of its stored query (``bot.state``), the rank of the
result it was cast on, whether it was helpful, and when. One vote per user per answer: voting
again changes it. The question itself is not copied here unless ``log_questions`` is on; the
export reads the stored query through its token and hands out only its analysed terms, with
the voter's id replaced by a salted hash, so the operator can study which questions fail
without learning who asked what.

Synchronous and guarded by one lock, like ``bot.state``: handlers call it through
``asyncio.to_thread``.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from retrieval import (
    connect,
    create_tables,
    transaction,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS bot_votes (
    token TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    rank INTEGER NOT NULL,
    helpful INTEGER NOT NULL,
    created REAL NOT NULL,
    question TEXT,
    PRIMARY KEY (token, user_id)
);
CREATE INDEX IF NOT EXISTS bot_votes_user ON bot_votes (user_id);
CREATE INDEX IF NOT EXISTS bot_votes_created ON bot_votes (created);
CREATE TABLE IF NOT EXISTS bot_votes_salt (salt TEXT NOT NULL);
"""
WEEK = 7 * 24 * 3600.0


@dataclass(frozen=True, slots=True)
class Vote:
    """One stored vote, as the export shows it: who only as a salted hash."""

    token: str
    voter: str  # salted hash of the user id: tells votes of one person apart, names nobody
    rank: int
    helpful: bool
    created: float
    stored_text: str | None  # the stored query (to analyse), None once it was forgotten
    question: str | None  # the question as asked, only if it was logged when voting


@dataclass(frozen=True, slots=True)
class Share:
    """Votes cast in a period: how many, and how many said the answer helped."""

    votes: int
    helpful: int

    @property
    def fraction(self) -> float | None:
        """The share of helpful answers, or None without votes."""
        return self.helpful / self.votes if self.votes else None


class Votes:
    """The ``bot_votes`` table beside the bot's other tables in the store's file."""

    def __init__(self, path: Path | str) -> None:
        self._db = connect(path)
        self._lock = threading.Lock()
        with self._lock:
            create_tables(self._db, SCHEMA)
            with transaction(self._db):  # several processes open the file at once
                row = self._db.execute("SELECT salt FROM bot_votes_salt").fetchone()
                if row is None:
                    # The salt never leaves the file: a hash in an export cannot be matched
                    # against a list of known user ids.
                    row = (secrets.token_hex(16),)
                    self._db.execute("INSERT INTO bot_votes_salt VALUES (?)", row)
        self._salt = str(row[0])

    def vote(
        self,
        token: str,
        user_id: int,
        rank: int,
        helpful: bool,
        question: str | None = None,
        now: float | None = None,
    ) -> bool:
        """Record ``user_id``'s vote on the answer to query ``token``; True if it changed.

        A second vote on the same answer replaces the first (rank and time too), so each
        person counts once per answer.
        """
        when = time.time() if now is None else now
        with self._lock, transaction(self._db):
            old = self._db.execute(
                "SELECT helpful, rank FROM bot_votes WHERE token = ? AND user_id = ?",
                (token, user_id),
            ).fetchone()
            self._db.execute(
                "INSERT OR REPLACE INTO bot_votes VALUES (?, ?, ?, ?, ?, ?)",
                (token, user_id, rank, int(helpful), when, question),
            )
        return old is None or (bool(old[0]), int(old[1])) != (helpful, rank)

    def share(self, since: float) -> Share:
        """How many votes were cast (or last changed) since ``since``, and how many helpful."""
        with self._lock:
            votes, helpful = self._db.execute(
                "SELECT count(*), coalesce(sum(helpful), 0) FROM bot_votes WHERE created >= ?",
                (since,),
            ).fetchone()
        return Share(int(votes), int(helpful))

    def last_week(self, now: float | None = None) -> Share:
        """``share`` over the last seven days."""
        return self.share((time.time() if now is None else now) - WEEK)

    def export(self) -> list[Vote]:
        """Every vote, oldest first, with the stored query it was cast on (if still kept)."""
        with self._lock:
            queries = self._db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'bot_queries'"
            ).fetchone()
            # No bot has run on this file yet (only bot.state creates that table).
            text = "q.text" if queries else "NULL"
            join = " LEFT JOIN bot_queries q ON q.token = v.token" if queries else ""
            rows = self._db.execute(
                f"SELECT v.token, v.user_id, v.rank, v.helpful, v.created, {text}, v.question"
                f" FROM bot_votes v{join} ORDER BY v.created, v.token, v.user_id"
            ).fetchall()
        return [
            Vote(token, self.voter(user), rank, bool(helpful), created, stored, question)
            for token, user, rank, helpful, created, stored, question in rows
        ]

    def voter(self, user_id: int) -> str:
        """The salted hash that stands for ``user_id`` in exports (16 hex digits)."""
        return hashlib.sha256(f"{self._salt}:{user_id}".encode()).hexdigest()[:16]

    def forget(self, user_id: int) -> int:
        """Delete every vote of ``user_id`` (for /forgetme); return how many went."""
        with self._lock, transaction(self._db):
            deleted = self._db.execute("DELETE FROM bot_votes WHERE user_id = ?", (user_id,))
        return int(deleted.rowcount)

    def close(self) -> None:
        """Close the connection; the object must not be used afterwards."""
        with self._lock:
            self._db.close()


def forgot_votes(count: int) -> str:
    """What /forgetme adds about votes (plain text, nothing to escape)."""
    return f" Your {count} {'vote' if count == 1 else 'votes'} on answers went too."
