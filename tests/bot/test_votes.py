"""The votes table: one vote per user per answer, the 7-day share, hashes, forgetting."""

from __future__ import annotations

import re
from pathlib import Path

from bot.votes import WEEK, Share, Votes

NOW = 1_800_000_000.0


def test_one_vote_per_user_per_answer_last_one_counts(tmp_path: Path) -> None:
    """Voting again replaces the vote; only a real change reports True."""
    votes = Votes(tmp_path / "db.sqlite3")
    assert votes.vote("tok", 1, 1, helpful=True, now=NOW)
    assert not votes.vote("tok", 1, 1, helpful=True, now=NOW + 1)
    assert votes.vote("tok", 1, 1, helpful=False, now=NOW + 2)
    assert votes.vote("other", 1, 3, helpful=True, now=NOW + 3)
    assert votes.share(NOW) == Share(2, 1)
    votes.close()


def test_week_share_leaves_older_votes_out(tmp_path: Path) -> None:
    """Votes older than seven days do not count towards /stats' share."""
    votes = Votes(tmp_path / "db.sqlite3")
    votes.vote("old", 1, 1, helpful=False, now=NOW - WEEK - 1)
    votes.vote("new", 1, 1, helpful=True, now=NOW - 10)
    votes.vote("new", 2, 1, helpful=False, now=NOW - 5)
    assert votes.last_week(now=NOW) == Share(2, 1)
    assert votes.last_week(now=NOW).fraction == 0.5
    assert Share(0, 0).fraction is None
    votes.close()


def test_votes_and_voter_hashes_survive_a_restart(tmp_path: Path) -> None:
    """Reopening the file keeps the votes and the salt, so one person keeps one hash."""
    path = tmp_path / "db.sqlite3"
    first = Votes(path)
    first.vote("tok", 42, 1, helpful=True, now=NOW)
    hashed = first.voter(42)
    first.close()
    again = Votes(path)
    (vote,) = again.export()
    assert (vote.voter, vote.token, vote.rank, vote.helpful) == (hashed, "tok", 1, True)
    assert vote.stored_text is None  # no bot ever stored a query in this file
    assert again.voter(43) != hashed
    assert re.fullmatch(r"[0-9a-f]{16}", hashed)
    again.close()


def test_forget_deletes_only_that_users_votes(tmp_path: Path) -> None:
    """/forgetme's table work: the user's votes go, everyone else's stay."""
    votes = Votes(tmp_path / "db.sqlite3")
    votes.vote("a", 1, 1, helpful=True, now=NOW)
    votes.vote("b", 1, 1, helpful=True, now=NOW)
    votes.vote("a", 2, 1, helpful=False, now=NOW)
    assert votes.forget(1) == 2
    assert votes.forget(1) == 0
    assert votes.share(0) == Share(1, 0)
    votes.close()
