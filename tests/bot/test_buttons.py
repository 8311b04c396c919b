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
from retrieval.models import ArticleInfo, Passage, Span

BIG = 10**18 - 1  # the largest number a field may hold


@pytest.mark.parametrize(
    "button",
    [PageButton(1, 0), PageButton(BIG, BIG), OpenButton(BIG, BIG, BIG), LatestButton(100, 33),
     NoopButton()],
    ids=["page", "page-huge", "open-huge", "latest", "noop"],
)  # fmt: skip
def test_round_trip_fits_telegram(button: PageButton | OpenButton | LatestButton) -> None:
    """Every button survives encode/parse and its data fits Telegram's 64 bytes."""
    data = button.data()
    assert len(data.encode()) <= MAX_DATA_BYTES
    assert parse_button(data) == button


@pytest.mark.parametrize(
    "data",
    [None, "", "p", "p:1", "p:1:2:3", "o:1:2", "x:1:2", "p:a:1", "p:-1:0", "p: 1:0", "p:1:0 ",
     "p:²:0", "p:1" + "0" * 18 + ":0", "n:1", "P:1:0", "p:1:" + "1" * 70],
    ids=["none", "empty", "bare-kind", "missing", "extra", "open-short", "unknown-kind",
         "letters", "negative", "space", "trailing-space", "superscript", "too-big", "noop-args",
         "upper", "over-64-bytes"],
)  # fmt: skip
def test_malformed_data_is_rejected(data: str | None) -> None:
    """Anything this bot did not make parses to None instead of raising."""
    assert parse_button(data) is None


def data_rows(markup: object) -> list[list[str]]:
    rows = markup.inline_keyboard  # type: ignore[attr-defined]
    return [[button.callback_data for button in row] for row in rows]


@pytest.mark.parametrize(
    ("page", "pages", "pager"),
    [(0, 1, None), (0, 3, ["n", "p:9:1"]), (1, 3, ["p:9:0", "n", "p:9:2"]), (2, 3, ["p:9:1", "n"])],
    ids=["single", "first", "middle", "last"],
)
def test_results_keyboard_pager(page: int, pages: int, pager: list[str] | None) -> None:
    """Open buttons first; arrows appear only where there is a page to go to."""
    rows = data_rows(results_keyboard(9, page, pages, [(5, 40), (6, 41)]))
    assert rows[0] == [f"o:9:40:{page}", f"o:9:41:{page}"]
    assert rows[1:] == ([pager] if pager else [])


@pytest.mark.parametrize(
    ("ordinal", "row"),
    [
        (0, ["p:9:1", "o:9:21:1"]),
        (1, ["o:9:20:1", "p:9:1", "o:9:22:1"]),
        (2, ["o:9:21:1", "p:9:1"]),
    ],
    ids=["first", "middle", "last"],
)
def test_passage_keyboard_stays_inside_the_article(ordinal: int, row: list[str]) -> None:
    """Previous/next exist only when the article has a passage there."""
    article = ArticleInfo("a", "T", None, None, None, passages=3)
    passage = Passage(20 + ordinal, "a", ordinal, Span(0, 1), "x")
    assert data_rows(passage_keyboard(9, passage, article, 1)) == [row]


def test_latest_keyboard_only_when_paged() -> None:
    """One page of /latest needs no buttons."""
    assert latest_keyboard(3, 0, 1) is None
    assert data_rows(latest_keyboard(7, 0, 3)) == [["n", "l:7:1"]]
