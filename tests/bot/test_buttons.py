"""Callback data: round trips, strict parsing, 64 bytes, and the keyboards built from it."""

from __future__ import annotations

import pytest

from bot.buttons import (
    MAX_DATA_BYTES,
    LatestButton,
    NoopButton,
    OpenButton,
    PageButton,
    latest_keyboard,
    parse_button,
    passage_keyboard,
    results_keyboard,
)
from retrieval.models import ArticleInfo, CitedPassage, Passage, Span

BIG = 10**18 - 1  # the largest number a field may hold
T = "Ab-_0123456z"  # a query token: 12 URL-safe characters


@pytest.mark.parametrize(
    "button",
    [PageButton(T, 0), PageButton(T, BIG), OpenButton(T, BIG, BIG), LatestButton(100, 33),
     LatestButton(BIG, BIG), NoopButton()],
    ids=["page", "page-huge", "open-huge", "latest", "latest-huge", "noop"],
)  # fmt: skip
def test_round_trip_fits_telegram(button: PageButton | OpenButton | LatestButton) -> None:
    """Every button survives encode/parse and its data fits Telegram's 64 bytes."""
    data = button.data()
    assert len(data.encode()) <= MAX_DATA_BYTES
    assert parse_button(data) == button


@pytest.mark.parametrize(
    "data",
    [None, "", "p", f"p:{T}", f"p:{T}:2:3", f"o:{T}:2", f"x:{T}:2", f"p:{T}:a", f"p:{T}:-1",
     f"p:{T}: 1", f"p:{T}:0 ", f"p:{T}:²", f"p:{T}:1" + "0" * 18, "n:1", f"P:{T}:0",
     f"o:{T}:1:" + "1" * 70, "p:1:0", "o:1:20:0", f"p:{T[:-1]}:0", f"p:{T}x:0", f"p:{T[:-1]}.:0",
     f"p:{T[:-1]}é:0", "l:a:0", "l:1:-1", "l:1:²"],
    ids=["none", "empty", "bare-kind", "missing", "extra", "open-short", "unknown-kind",
         "letters", "negative", "space", "trailing-space", "superscript", "too-big", "noop-args",
         "upper", "over-64-bytes", "counted-page", "counted-open", "short-token", "long-token",
         "dot-in-token", "accent-in-token", "latest-letters", "latest-negative",
         "latest-superscript"],
)  # fmt: skip
def test_malformed_data_is_rejected(data: str | None) -> None:
    """Anything this bot did not make parses to None instead of raising."""
    assert parse_button(data) is None


def data_rows(markup: object) -> list[list[str]]:
    rows = markup.inline_keyboard  # type: ignore[attr-defined]
    return [[button.callback_data for button in row] for row in rows]


@pytest.mark.parametrize(
    ("page", "pages", "pager"),
    [(0, 1, None), (0, 3, ["n", f"p:{T}:1"]), (1, 3, [f"p:{T}:0", "n", f"p:{T}:2"]),
     (2, 3, [f"p:{T}:1", "n"])],
    ids=["single", "first", "middle", "last"],
)  # fmt: skip
def test_results_keyboard_pager(page: int, pages: int, pager: list[str] | None) -> None:
    """Open buttons first; arrows appear only where there is a page to go to."""
    rows = data_rows(results_keyboard(T, page, pages, [(5, 40), (6, 41)]))
    assert rows[0] == [f"o:{T}:40:{page}", f"o:{T}:41:{page}"]
    assert rows[1:] == ([pager] if pager else [])


@pytest.mark.parametrize(
    ("ordinal", "row"),
    [
        (0, [f"p:{T}:1", f"o:{T}:21:1"]),
        (1, [f"o:{T}:20:1", f"p:{T}:1", f"o:{T}:22:1"]),
        (2, [f"o:{T}:21:1", f"p:{T}:1"]),
    ],
    ids=["first", "middle", "last"],
)
def test_passage_keyboard_stays_inside_the_article(ordinal: int, row: list[str]) -> None:
    """Previous/next exist only when the opened passage has a neighbour there."""
    article = ArticleInfo("a", "T", None, None, None, passages=3)
    passage = Passage(20 + ordinal, "a", ordinal, Span(0, 1), "x")
    previous = passage.id - 1 if ordinal > 0 else None
    following = passage.id + 1 if ordinal < 2 else None
    opened = CitedPassage(passage, article, (), previous, following)
    assert data_rows(passage_keyboard(T, opened, 1)) == [row]


def test_latest_keyboard_only_when_paged() -> None:
    """One page of /latest needs no buttons."""
    assert latest_keyboard(3, 0, 1) is None
    assert data_rows(latest_keyboard(7, 0, 3)) == [["n", "l:7:1"]]
