"""Access and rate decisions, checked exactly with a hand-driven clock."""

from __future__ import annotations

import pytest

from bot.guard import Access, Guard, RateVerdict


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("allowed", "user", "chat", "expected"),
    [
        ((), 5, 5, Access.ALLOW),
        ((5,), 5, 5, Access.ALLOW),
        ((-100,), 6, -100, Access.ALLOW),
        ((5,), 6, 6, Access.REFUSE),
        ((5,), None, None, Access.IGNORE),
    ],
    ids=["empty-list-allows-all", "listed-user", "listed-chat", "stranger", "anonymous"],
)
def test_access(
    allowed: tuple[int, ...], user: int | None, chat: int | None, expected: Access
) -> None:
    """An empty allowlist admits everyone; otherwise the user or the chat must be listed."""
    assert Guard(allowed, 0, 60).access(user, chat) is expected


def test_refusal_is_said_once_per_chat() -> None:
    """The second update from a refused chat is ignored; another chat hears its own refusal."""
    guard = Guard({1}, 0, 60)
    assert [guard.access(7, -50) for _ in range(3)] == [Access.REFUSE, Access.IGNORE, Access.IGNORE]
    assert guard.access(8, -50) is Access.IGNORE
    assert guard.access(8, 8) is Access.REFUSE


def test_rate_limit_window_slides_and_tells_once() -> None:
    """Two questions per 60 s: the third is refused with the wait, the fourth silently."""
    clock = Clock()
    guard = Guard((), 2, 60.0, clock)
    assert guard.question(1) == RateVerdict(allowed=True)
    clock.now += 10
    assert guard.question(1) == RateVerdict(allowed=True)
    clock.now += 5
    assert guard.question(1) == RateVerdict(allowed=False, tell=True, retry_after=45.0)
    assert guard.question(1) == RateVerdict(allowed=False, tell=False, retry_after=45.0)
    assert guard.question(2).allowed  # other users have their own window
    clock.now += 45  # the first question leaves the window
    assert guard.question(1) == RateVerdict(allowed=True)
    assert guard.question(1).tell  # a new block is announced again


def test_zero_limit_means_unlimited() -> None:
    """rate_limit = 0 switches limiting off."""
    guard = Guard((), 0, 60.0, Clock())
    assert all(guard.question(1).allowed for _ in range(1000))


def test_forget_clears_the_users_rate_memory() -> None:
    """After forget (used by /forgetme) a limited user starts with an empty window."""
    guard = Guard((), 1, 60.0, Clock())
    assert guard.question(1).allowed
    assert not guard.question(1).allowed
    guard.forget(1)
    assert guard.question(1).allowed
