"""Who may use the bot and how often: pure decisions, no Telegram calls.

The handlers ask and act on the answer; keeping the rules here (with an injectable clock) lets
the tests check them exactly without sending anything.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import Enum


class Access(Enum):
    """What to do with an update from someone."""

    ALLOW = "allow"
    REFUSE = "refuse"  # not allowed: say so politely, once per chat
    IGNORE = "ignore"  # not allowed and already told: stay silent


@dataclass(frozen=True, slots=True)
class RateVerdict:
    """Whether a question may run; if not, whether to say when to retry (once per block)."""

    allowed: bool
    tell: bool = False
    retry_after: float = 0.0


class Guard:
    """The allowlist and a sliding-window limit of ``limit`` questions per ``window`` seconds."""

    def __init__(
        self,
        allowed_ids: Collection[int],
        limit: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.allowed_ids = frozenset(allowed_ids)
        self.limit = limit
        self.window = window
        self._clock = clock
        self._refused_chats: set[int] = set()
        self._asked: dict[int, deque[float]] = {}
        self._told: set[int] = set()

    def access(self, user_id: int | None, chat_id: int | None) -> Access:
        """Allow everyone when the allowlist is empty, else members or anyone in a listed chat.

        A refused chat hears the refusal once per process; repeating it would let strangers make
        the bot spam a group.
        """
        if not self.allowed_ids or {user_id, chat_id} & self.allowed_ids:
            return Access.ALLOW
        key = chat_id if chat_id is not None else user_id
        if key is None or key in self._refused_chats:
            return Access.IGNORE
        self._refused_chats.add(key)
        return Access.REFUSE

    def question(self, user_id: int) -> RateVerdict:
        """Count one question for ``user_id`` unless the window is full.

        A limit of 0 means no limit. When full, the first refusal tells the user when to try
        again and later ones stay silent, until a question is allowed again.
        """
        if self.limit <= 0:
            return RateVerdict(allowed=True)
        now = self._clock()
        asked = self._asked.setdefault(user_id, deque())
        while asked and asked[0] <= now - self.window:
            asked.popleft()
        if len(asked) < self.limit:
            asked.append(now)
            self._told.discard(user_id)
            return RateVerdict(allowed=True)
        retry_after = asked[0] + self.window - now
        if user_id in self._told:
            return RateVerdict(allowed=False, retry_after=retry_after)
        self._told.add(user_id)
        return RateVerdict(allowed=False, tell=True, retry_after=retry_after)

    def forget(self, user_id: int) -> None:
        """Drop what the rate limiter remembers of ``user_id`` (for /forgetme)."""
        self._asked.pop(user_id, None)
        self._told.discard(user_id)
