"""The watch and alert tables, the hourly cap rule, and alert rendering, without Telegram."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import cast

import pytest
from html_check import html_problems
from telegram import Bot

from bot.alert_queue import HOUR, Alert
from bot.alerts import cap_delay, match_new, send_pending
from bot.render import fits
from bot.render_alerts import alerts_message, watch_list
from bot.watches import Watch, WatchCapError, WatchStore
from retrieval.engine import Engine
from retrieval.models import Article, ArticleInfo, Hit, Passage, Span


@pytest.fixture
def store(tmp_path: Path) -> WatchStore:
    """A watch store in a file, so reopening it is a restart."""
    return WatchStore(tmp_path / "bot.sqlite3")


def test_watches_belong_to_their_chat(store: WatchStore) -> None:
    """A chat lists and removes only its own watches; saving a query twice keeps one watch."""
    mine, new = store.add_watch(1, 1, "grain exports")
    again, new_again = store.add_watch(1, 1, "grain exports")
    theirs, _ = store.add_watch(2, 2, "grain exports")
    assert (new, new_again, again.id) == (True, False, mine.id)
    assert [w.id for w in store.watches(1)] == [mine.id]
    assert store.remove_watch(1, theirs.id) is False
    assert [w.id for w in store.watches(2)] == [theirs.id]
    assert store.remove_watch(1, mine.id) is True
    assert store.watches(1) == []
    store.close()


def test_alerts_of_a_removed_watch_are_never_sent(store: WatchStore) -> None:
    """An alert its watch no longer exists for is not pending, even before the queue forgets it."""
    engine = Engine.open(":memory:")
    summary = engine.ingest([Article("Grain deal", "Grain exports resume.")])
    watch, _ = store.add_watch(7, 7, "grain")
    match_new(engine, store, summary, 0.1, now=1.0)
    assert len(store.alerts.pending(7)) == 1
    assert store.remove_watch(7, watch.id) is True
    assert store.alerts.pending(7) == []
    assert store.alerts.forget([watch.id]) == 1
    store.close()
    engine.close()


def test_a_burst_from_two_connections_stores_exactly_the_chat_cap(tmp_path: Path) -> None:
    """60 concurrent saves in one chat, split over two connections (like two worker processes)
    to one file, keep exactly 20; the other 40 are refused by the chat cap."""
    path = tmp_path / "bot.sqlite3"
    stores = [WatchStore(path), WatchStore(path)]

    def save(n: int) -> str:
        try:
            stores[n % 2].add_watch(1, 1 + n % 3, f"grain w{n}", per_chat=20, per_user=50)
        except WatchCapError as error:
            return error.per
        return "saved"

    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(save, range(60)))
    assert (outcomes.count("saved"), outcomes.count("chat")) == (20, 40)
    assert len(stores[0].watches(1)) == 20
    for store in stores:
        store.close()


def test_one_user_across_ten_chats_is_held_by_the_user_cap(store: WatchStore) -> None:
    """The per-user cap counts a user's watches in every chat; others in those chats go on."""
    refused = []
    for chat in range(-10, 0):
        for n in range(6):
            try:
                store.add_watch(chat, 7, f"grain w{n}", per_chat=20, per_user=50)
            except WatchCapError as error:
                refused.append((error.per, error.cap))
    assert refused == [("user", 50)] * 10
    assert len([w for w in store.watches() if w.user_id == 7]) == 50
    again, new = store.add_watch(-10, 7, "grain w0", per_chat=20, per_user=50)
    assert (again.user_id, new) == (7, False)  # an existing watch is no new one: not refused
    store.add_watch(-1, 8, "grain w9", per_chat=20, per_user=50)  # -1 was the chat refused
    assert [w.user_id for w in store.watches(-1)] == [8]
    store.close()


@pytest.mark.parametrize(
    ("per_chat", "per_user", "refused_by"),
    [(2, 0, "chat"), (0, 2, "user"), (2, 2, "chat")],
    ids=["chat-cap", "user-cap", "both"],
)
def test_the_cap_that_is_set_refuses_the_third_watch(
    store: WatchStore, per_chat: int, per_user: int, refused_by: str
) -> None:
    """A third watch of one user in one chat is refused by whichever cap is set (chat first)."""
    store.add_watch(1, 1, "grain", per_chat=per_chat, per_user=per_user)
    store.add_watch(1, 1, "wheat", per_chat=per_chat, per_user=per_user)
    with pytest.raises(WatchCapError) as refused:
        store.add_watch(1, 1, "barley", per_chat=per_chat, per_user=per_user)
    assert (refused.value.per, refused.value.cap) == (refused_by, 2)
    assert len(store.watches(1)) == 2
    store.close()


def test_caps_of_zero_mean_no_cap(store: WatchStore) -> None:
    """With both caps 0, a chat keeps every watch it is given."""
    for n in range(30):
        store.add_watch(1, 1, f"grain w{n}")
    assert len(store.watches(1)) == 30
    store.close()


def test_one_alert_per_chat_and_article_across_watches_and_restarts(
    store: WatchStore, tmp_path: Path
) -> None:
    """Two watches matching one article queue one alert, and a reopened store still knows it."""
    engine = Engine.open(":memory:")
    summary = engine.ingest([Article("Grain deal", "Grain exports resume from Odesa ports.")])
    first, _ = store.add_watch(1, 1, "grain exports")
    store.add_watch(1, 1, "Odesa ports")
    assert match_new(engine, store, summary, 0.1, now=10.0) == [1]
    assert len(store.alerts.pending(1)) == 1
    store.close()
    reopened = WatchStore(tmp_path / "bot.sqlite3")
    assert match_new(engine, reopened, summary, 0.1, now=20.0) == []
    [alert] = reopened.alerts.pending(1)
    assert (alert.watch_id, alert.article.title, alert.found) == (first.id, "Grain deal", 10.0)
    assert alert.highlights
    reopened.alerts.claim(1, [alert.article.id], now=30.0)
    assert reopened.alerts.pending(1) == []
    assert match_new(engine, reopened, summary, 0.1, now=40.0) == []
    reopened.close()
    engine.close()


def test_release_puts_alerts_back_and_uncounts_the_message(store: WatchStore) -> None:
    """A failed send releases its alerts and does not count against the cap."""
    engine = Engine.open(":memory:")
    summary = engine.ingest([Article("Grain deal", "Grain exports resume.")])
    store.add_watch(5, 5, "grain")
    match_new(engine, store, summary, 0.1, now=1.0)
    article_id = store.alerts.pending(5)[0].article.id
    store.alerts.claim(5, [article_id], now=2.0)
    assert store.alerts.sends_since(5, 0.0) == [2.0]
    store.alerts.release(5, [article_id], now=2.0)
    assert store.alerts.sends_since(5, 0.0) == []
    assert len(store.alerts.pending(5)) == 1
    assert store.alerts.chats_with_pending() == [5]
    store.close()
    engine.close()


def test_forget_removes_the_users_watches_and_alerts_only(store: WatchStore) -> None:
    """/forgetme's table work, owner by owner: the user's watches, then their pending alerts and
    (in the private chat) its send times; others stay."""
    engine = Engine.open(":memory:")
    summary = engine.ingest([Article("Grain deal", "Grain exports resume.")])
    store.add_watch(7, 7, "grain")
    store.add_watch(-100, 7, "exports")
    store.add_watch(-100, 8, "grain")
    match_new(engine, store, summary, 0.1, now=1.0)
    store.alerts.claim(7, [store.alerts.pending(7)[0].article.id], now=2.0)
    gone = store.forget(7)
    assert len(gone) == 2
    assert store.alerts.forget(gone, 7) == 2
    assert store.watches(7) == []
    assert [w.user_id for w in store.watches(-100)] == [8]
    assert store.alerts.sends_since(7, 0.0) == []
    # The group's alert was queued by user 7's watch (the first to match), so it goes too.
    assert store.alerts.pending(-100) == []
    store.close()
    engine.close()


@pytest.mark.parametrize(
    ("sends", "cap", "expected"),
    [
        ([], 3, 0.0),
        ([100.0, 200.0], 3, 0.0),
        ([100.0, 200.0, 300.0], 3, 100.0 + HOUR - 1000.0),
        ([100.0, 200.0, 300.0], 2, 200.0 + HOUR - 1000.0),
        ([100.0, 200.0, 300.0], 0, 0.0),
        ([1000.0 - HOUR, 900.0], 1, 900.0 + HOUR - 1000.0),
        ([1000.0 - HOUR - 1, 1000.0 - HOUR], 1, 0.0),
    ],
    ids=["none", "under", "at-cap", "over-cap", "no-cap", "one-old-one-new", "all-old"],
)
def test_cap_delay(sends: list[float], cap: int, expected: float) -> None:
    """The wait is until the oldest of the last ``cap`` sends is an hour old; 0 lifts the cap."""
    assert cap_delay(sends, cap, now=1000.0) == pytest.approx(expected)


def _alert(n: int, text: str) -> Alert:
    article = ArticleInfo(
        f"a{n}", f"<b>Title</b> & {n} " * 20, None, "https://x.example/?a=1&b=2", "Src"
    )
    return Alert(1, 1, "grain <exports>", article, text, (Span(0, 5),), 0.0)


def test_alert_batches_fit_one_message_and_escape_everything() -> None:
    """A huge batch renders as valid HTML under the limit, holding as many alerts as fit."""
    alerts = [_alert(n, "Grain <script>& " + "word " * 400) for n in range(40)]
    text, shown = alerts_message(alerts)
    assert 1 <= shown < 40
    assert fits(text)
    assert html_problems(text) == []
    assert "&lt;script&gt;" in text
    assert "<i>grain &lt;exports&gt;</i>" in text


def test_watch_list_is_valid_html_with_ids() -> None:
    """/watches shows each id and escaped query."""
    text = watch_list([Watch(3, 1, 1, "a <b> & c"), Watch(9, 1, 1, "grain")])
    assert html_problems(text) == []
    assert "#3 <i>a &lt;b&gt; &amp; c</i>" in text
    assert "#9" in text


@pytest.mark.parametrize(
    ("cut_start", "cut_end"), [(False, False), (True, False), (False, True), (True, True)]
)
def test_an_alert_cut_inside_a_sentence_shows_ellipses_after_a_restart(
    tmp_path: Path, cut_start: bool, cut_end: bool
) -> None:
    """A queued hit's cut flags survive the store and put "…" where its sentence goes on."""
    article = ArticleInfo("a1", "Grain deal", None, None, None, 1)
    text = "Grain exports resume from Odesa ports today."
    passage = Passage(0, "a1", 0, Span(0, len(text)), text)
    excerpt = "exports resume from Odesa"
    found = Hit(1, 1.0, article, passage, excerpt, Span(6, 31), (Span(0, 7),),
                cut_start=cut_start, cut_end=cut_end)  # fmt: skip
    store = WatchStore(tmp_path / "bot.sqlite3")
    watch, _ = store.add_watch(1, 1, "grain exports")
    store.alerts.queue(1, watch.id, watch.query, [found], now=1.0)
    store.close()
    reopened = WatchStore(tmp_path / "bot.sqlite3")
    [alert] = reopened.alerts.pending(1)
    reopened.close()
    assert (alert.cut_start, alert.cut_end, alert.highlights) == (cut_start, cut_end, (Span(0, 7),))
    text, _ = alerts_message([alert])
    assert html_problems(text) == []
    line = text.split("\n")[3]
    assert line.startswith("…<b>exports</b>") == cut_start
    assert line.startswith("<b>exports</b>") != cut_start
    assert line.endswith("Odesa…") == cut_end
    assert line.endswith("Odesa") != cut_end


def test_two_processes_reading_the_same_pending_alerts_send_them_once(tmp_path: Path) -> None:
    """Two instances on one store (webhook replicas) that both saw the batch pending: the first
    claim wins, the second changes nothing and sends nothing, and release undoes only its own."""
    path = tmp_path / "bot.sqlite3"
    first, second = WatchStore(path), WatchStore(path)
    engine = Engine.open(":memory:")
    summary = engine.ingest([Article("Grain deal", "Grain exports resume.")])
    first.add_watch(5, 5, "grain")
    match_new(engine, first, summary, 0.1, now=1.0)
    stale = second.alerts.pending(5)
    ids = [alert.article.id for alert in stale]
    assert first.alerts.claim(5, ids, now=2.0) is True
    assert second.alerts.claim(5, ids, now=3.0) is False
    assert second.alerts.sends_since(5, 0.0) == [2.0]
    second.alerts.release(5, ids, now=3.0)  # a release of a claim that never happened
    assert first.alerts.pending(5) == []
    assert first.alerts.sends_since(5, 0.0) == [2.0]

    sent: list[str] = []

    class Recorder:
        async def send_message(self, chat_id: int, text: str, **_: object) -> None:
            sent.append(text)

    class Stale:
        """The second instance's view, read before the first claimed."""

        def __init__(self, store: WatchStore) -> None:
            self.alerts = self
            self._store = store

        def pending(self, chat_id: int) -> list[Alert]:
            return stale

        def __getattr__(self, name: str) -> object:
            return getattr(self._store.alerts, name)

    bot = cast(Bot, Recorder())
    later = asyncio.run(send_pending(bot, cast(WatchStore, Stale(second)), 5, 0, now=4.0))
    assert (later, sent) == (0.0, [])
    assert asyncio.run(send_pending(bot, second, 5, 0, now=5.0)) is None  # nothing left
    assert sent == []
    for store in (first, second):
        store.close()
    engine.close()
