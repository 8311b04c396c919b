"""Inline buttons: what their callback data says, who may press them, and their keyboards.

Callback data must fit Telegram's 64 bytes and must still mean something after a restart, so a
button never points at in-memory state: it carries the token of a stored query (see
``bot.state``) or plain numbers. Anyone can send any callback data, so the token is random (not
a counter to count through) and the stored query is bound to its owner (``owner_of``), checked
on every press. Parsing is strict and returns ``None`` for anything else, so a stale or forged
button gets a polite answer instead of an exception.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType

from bot.state import TOKEN_CHARS, Owner
from retrieval import (
    CitedPassage,
)

MAX_DATA_BYTES = 64
# What secrets.token_urlsafe makes: never a ":", so the fields still split.
TOKEN = re.compile(rf"[A-Za-z0-9_-]{{{TOKEN_CHARS}}}")


@dataclass(frozen=True, slots=True)
class PageButton:
    """Show page ``page`` (0-based) of the results of stored query ``qid`` (a token)."""

    qid: str
    page: int

    def data(self) -> str:
        return f"p:{self.qid}:{self.page}"


@dataclass(frozen=True, slots=True)
class OpenButton:
    """Show passage ``passage_id`` for stored query ``qid``; ``page`` is where "back" returns."""

    qid: str
    passage_id: int
    page: int

    def data(self) -> str:
        return f"o:{self.qid}:{self.passage_id}:{self.page}"


@dataclass(frozen=True, slots=True)
class LatestButton:
    """Show page ``page`` of the newest ``count`` briefings."""

    count: int
    page: int

    def data(self) -> str:
        return f"l:{self.count}:{self.page}"


@dataclass(frozen=True, slots=True)
class NoopButton:
    """A label (the page counter) that does nothing when pressed."""

    def data(self) -> str:
        return "n"


Button = PageButton | OpenButton | LatestButton | NoopButton
# kind -> number of fields after it
FIELDS = {"p": 2, "o": 3, "l": 2}


def _number(field: str) -> bool:
    # isdecimal() also accepts other scripts' digits; callback data we make is plain ASCII.
    return field.isascii() and field.isdigit() and len(field) <= 18


def parse_button(data: str | None) -> Button | None:
    """Return the button ``data`` encodes, or None if it is not one this bot makes.

    Buttons from before query tokens (``p:1:0``, a counter) parse to None: they have no owner
    to check, so they are answered as expired.
    """
    if not data or len(data.encode()) > MAX_DATA_BYTES:
        return None
    if data == "n":
        return NoopButton()
    kind, *fields = data.split(":")
    if kind not in FIELDS or len(fields) != FIELDS[kind]:
        return None
    if kind == "l":
        return LatestButton(int(fields[0]), int(fields[1])) if all(map(_number, fields)) else None
    token, *numbers = fields
    if not TOKEN.fullmatch(token) or not all(map(_number, numbers)):
        return None
    if kind == "p":
        return PageButton(token, int(numbers[0]))
    return OpenButton(token, int(numbers[0]), int(numbers[1]))


def owner_of(update: Update) -> Owner | None:
    """Who sent ``update`` (a question, or a press of a button under a message in a chat).

    In a group every member sees the bot's answers, so any member may page them (``shared``);
    in a private chat only its user. None when Telegram names no chat (a button on an inline
    message), which no stored query can belong to.
    """
    chat, user = update.effective_chat, update.effective_user
    if chat is None:
        return None
    return Owner(chat.id, user.id if user else chat.id, shared=chat.type != ChatType.PRIVATE)


def _button(label: str, button: Button) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=button.data())


def pager_row(page: int, pages: int, to: Callable[[int], Button]) -> list[InlineKeyboardButton]:
    """``◀ 2/4 ▶``: arrows only where there is somewhere to go; ``to(n)`` shows page ``n``."""
    row = []
    if page > 0:
        row.append(_button("◀", to(page - 1)))
    row.append(_button(f"{page + 1}/{pages}", NoopButton()))
    if page < pages - 1:
        row.append(_button("▶", to(page + 1)))
    return row


def results_keyboard(
    qid: str, page: int, pages: int, ranked: list[tuple[int, int]]
) -> InlineKeyboardMarkup:
    """Number buttons opening each shown result (``(rank, passage_id)``), then the pager."""
    rows = [[_button(str(rank), OpenButton(qid, pid, page)) for rank, pid in ranked]]
    if pages > 1:
        rows.append(pager_row(page, pages, lambda to: PageButton(qid, to)))
    return InlineKeyboardMarkup(rows)


def passage_keyboard(qid: str, opened: CitedPassage, page: int) -> InlineKeyboardMarkup:
    """Previous / back to the list / next, where "previous" and "next" stay in the article."""
    row = []
    if opened.previous is not None:
        row.append(_button("‹ Previous", OpenButton(qid, opened.previous, page)))
    row.append(_button("Back to results", PageButton(qid, page)))
    if opened.next is not None:
        row.append(_button("Next ›", OpenButton(qid, opened.next, page)))
    return InlineKeyboardMarkup([row])


def retired_keyboard(qid: str, page: int, successor: int | None) -> InlineKeyboardMarkup:
    """Under a replaced or removed passage: open the new version (if any), or go back."""
    row = [_button("Back to results", PageButton(qid, page))]
    if successor is not None:
        row.insert(0, _button("Open the new version", OpenButton(qid, successor, page)))
    return InlineKeyboardMarkup([row])


def latest_keyboard(count: int, page: int, pages: int) -> InlineKeyboardMarkup | None:
    """The pager for /latest, or nothing when everything fits on one page."""
    if pages <= 1:
        return None
    return InlineKeyboardMarkup([pager_row(page, pages, lambda to: LatestButton(count, to))])
