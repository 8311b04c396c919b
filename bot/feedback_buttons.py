"""The 👍 / 👎 and "Why?" buttons under an answer: their callback data and their row.

Encoded like the buttons of ``bot.buttons``: the token of the stored query plus plain numbers,
parsed strictly (anything else is None, answered as expired), and owned the same way: a press
is acted on only if the presser may see the stored query (``bot.state.BotState.query``).
The longest, ``w:<token>:<passage id>:<page>``, is 52 bytes with 18-digit numbers: within
Telegram's 64.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton

from bot.buttons import MAX_DATA_BYTES, TOKEN

# The callback data these buttons start with, for the handler's pattern in bot.app.
PATTERN = r"^[vw]:"
NUMBER_DIGITS = 18


@dataclass(frozen=True, slots=True)
class VoteButton:
    """Say whether the answer to stored query ``qid`` helped, as shown from rank ``rank``."""

    qid: str
    rank: int
    helpful: bool

    def data(self) -> str:
        return f"v:{self.qid}:{self.rank}:{'u' if self.helpful else 'd'}"


@dataclass(frozen=True, slots=True)
class WhyButton:
    """Explain why passage ``passage_id`` ranked for stored query ``qid``; ``page`` is where
    "back" returns."""

    qid: str
    passage_id: int
    page: int

    def data(self) -> str:
        return f"w:{self.qid}:{self.passage_id}:{self.page}"


FeedbackButton = VoteButton | WhyButton


def _number(field: str) -> bool:
    return field.isascii() and field.isdigit() and len(field) <= NUMBER_DIGITS


def parse_feedback(data: str | None) -> FeedbackButton | None:
    """Return the button ``data`` encodes, or None if it is not one of these."""
    if not data or len(data.encode()) > MAX_DATA_BYTES:
        return None
    kind, *fields = data.split(":")
    if len(fields) != 3 or not TOKEN.fullmatch(fields[0]):
        return None
    token, first, last = fields
    if kind == "v" and _number(first) and last in ("u", "d"):
        return VoteButton(token, int(first), last == "u")
    if kind == "w" and _number(first) and _number(last):
        return WhyButton(token, int(first), int(last))
    return None


def feedback_row(qid: str, rank: int, passage_id: int, page: int) -> list[InlineKeyboardButton]:
    """``👍 👎 Why [rank]?`` for the first result shown on a page."""
    return [
        InlineKeyboardButton("👍", callback_data=VoteButton(qid, rank, True).data()),
        InlineKeyboardButton("👎", callback_data=VoteButton(qid, rank, False).data()),
        InlineKeyboardButton(
            f"Why [{rank}]?", callback_data=WhyButton(qid, passage_id, page).data()
        ),
    ]
