"""Inline buttons: what their callback data says and the keyboards built from it.

Callback data must fit Telegram's 64 bytes and must still mean something after a restart, so a
button never points at in-memory state: it carries the id of a stored query (see ``bot.state``)
or plain numbers. Parsing is strict and returns ``None`` for anything else, so a stale or forged
button gets a polite answer instead of an exception.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from retrieval.models import ArticleInfo, Passage

MAX_DATA_BYTES = 64


@dataclass(frozen=True, slots=True)
class PageButton:
    """Show page ``page`` (0-based) of the results of stored query ``qid``."""

    qid: int
    page: int

    def data(self) -> str:
        return f"p:{self.qid}:{self.page}"


@dataclass(frozen=True, slots=True)
class OpenButton:
    """Show passage ``passage_id`` for stored query ``qid``; ``page`` is where "back" returns."""

    qid: int
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
# kind -> (record, number of integer fields)
KINDS: dict[str, tuple[type[PageButton | OpenButton | LatestButton], int]] = {
    "p": (PageButton, 2),
    "o": (OpenButton, 3),
    "l": (LatestButton, 2),
}


def parse_button(data: str | None) -> Button | None:
    """Return the button ``data`` encodes, or None if it is not one this bot makes."""
    if not data or len(data.encode()) > MAX_DATA_BYTES:
        return None
    if data == "n":
        return NoopButton()
    kind, *fields = data.split(":")
    if kind not in KINDS or len(fields) != KINDS[kind][1]:
        return None
    # isdecimal() also accepts other scripts' digits; callback data we make is plain ASCII.
    if not all(field.isascii() and field.isdigit() and len(field) <= 18 for field in fields):
        return None
    return KINDS[kind][0](*(int(field) for field in fields))


def _button(label: str, button: Button) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=button.data())


def pager_row(
    page: int, pages: int, make: type[PageButton | LatestButton], key: int
) -> list[InlineKeyboardButton]:
    """``◀ 2/4 ▶``: arrows only where there is somewhere to go."""
    row = []
    if page > 0:
        row.append(_button("◀", make(key, page - 1)))
    row.append(_button(f"{page + 1}/{pages}", NoopButton()))
    if page < pages - 1:
        row.append(_button("▶", make(key, page + 1)))
    return row


def results_keyboard(
    qid: int, page: int, pages: int, ranked: list[tuple[int, int]]
) -> InlineKeyboardMarkup:
    """Number buttons opening each shown result (``(rank, passage_id)``), then the pager."""
    rows = [[_button(str(rank), OpenButton(qid, pid, page)) for rank, pid in ranked]]
    if pages > 1:
        rows.append(pager_row(page, pages, PageButton, qid))
    return InlineKeyboardMarkup(rows)


def passage_keyboard(
    qid: int, passage: Passage, article: ArticleInfo, page: int
) -> InlineKeyboardMarkup:
    """Previous / back to the list / next, where "previous" and "next" stay in the article.

    Passages of one article have contiguous ids, so neighbours are ``id - 1`` and ``id + 1``.
    """
    row = []
    if passage.ordinal > 0:
        row.append(_button("‹ Previous", OpenButton(qid, passage.id - 1, page)))
    row.append(_button("Back to results", PageButton(qid, page)))
    if passage.ordinal < article.passages - 1:
        row.append(_button("Next ›", OpenButton(qid, passage.id + 1, page)))
    return InlineKeyboardMarkup([row])


def latest_keyboard(count: int, page: int, pages: int) -> InlineKeyboardMarkup | None:
    """The pager for /latest, or nothing when everything fits on one page."""
    if pages <= 1:
        return None
    return InlineKeyboardMarkup([pager_row(page, pages, LatestButton, count)])
