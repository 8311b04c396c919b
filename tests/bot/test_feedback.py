"""👍 / 👎 and "Why?" under answers: owned votes, one per user, /stats, /forgetme, the reasons."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from bot_harness import Bot, start_bot
from html_check import html_problems
from telegram_fakes import FakeBotApi, Updates

from bot.browse import STALE
from bot.buttons import MAX_DATA_BYTES, PageButton
from bot.feedback import SAME, THANKS, share_line
from bot.feedback_buttons import VoteButton, WhyButton, feedback_row, parse_feedback
from bot.render import fits
from bot.settings import Settings
from bot.votes import Share
from bot.why import why_text
from retrieval.engine import Engine
from retrieval.models import Article

TOKEN = "AbCdEfGhIj_-"


def keyboard(bot: Bot, method: str = "sendMessage") -> list[str]:
    """Every callback_data under the newest message sent (or edited) with ``method``."""
    markup = bot.api.calls_to(method)[-1].params["reply_markup"]
    return [button["callback_data"] for row in markup["inline_keyboard"] for button in row]


def notice(bot: Bot) -> str | None:
    """What the last answer to a button press said."""
    text = bot.api.calls_to("answerCallbackQuery")[-1].params.get("text")
    return None if text is None else str(text)


async def ask(
    bot: Bot, updates: Updates, text: str = "weapons Ukraine", **who: object
) -> list[str]:
    """Ask a question and return the data of the vote and Why? buttons under the answer."""
    await bot.send(updates.message(text, **who))  # type: ignore[arg-type]
    return [data for data in keyboard(bot) if data[:2] in ("v:", "w:")]


async def test_answer_carries_votes_and_why(bot: Bot, updates: Updates) -> None:
    """Under the numbers: 👍, 👎 and "Why [1]?" for the first result; the pager stays last."""
    await bot.send(updates.message("weapons Ukraine"))
    rows = bot.api.calls_to("sendMessage")[-1].params["reply_markup"]["inline_keyboard"]
    assert [button["text"] for button in rows[1]] == ["👍", "👎", "Why [1]?"]
    up, down, why = (parse_feedback(button["callback_data"]) for button in rows[1])
    assert isinstance(up, VoteButton)
    assert up.helpful
    assert up.rank == 1
    assert isinstance(down, VoteButton)
    assert not down.helpful
    assert isinstance(why, WhyButton)
    assert why.page == 0
    assert rows[-1][-1]["callback_data"].startswith("p:")


async def test_vote_once_per_user_changeable_and_counted(bot: Bot, updates: Updates) -> None:
    """A vote is thanked, a repeat is not counted twice, a change replaces it; /stats shows it."""
    up, down, _ = await ask(bot, updates)
    await bot.send(updates.button(up))
    assert notice(bot) == THANKS[True]
    await bot.send(updates.button(up))
    assert notice(bot) == SAME
    assert bot.services.votes.last_week() == Share(1, 1)
    await bot.send(updates.button(down))
    assert notice(bot) == THANKS[False]
    assert bot.services.votes.last_week() == Share(1, 0)
    await bot.send(updates.message("/stats", user_id=900))
    assert "Helpful answers (7 days): 0% (0 of 1 votes)" in bot.texts()[-1]


async def test_group_members_vote_each_once(bot: Bot, updates: Updates) -> None:
    """In a group every member may vote on an answer, each counted once."""
    group = {"chat_id": -100, "chat_type": "supergroup"}
    up, down, _ = await ask(bot, updates, "@BriefTestBot weapons Ukraine", user_id=501, **group)
    await bot.send(updates.button(up, user_id=501, **group))  # type: ignore[arg-type]
    await bot.send(updates.button(down, user_id=502, **group))  # type: ignore[arg-type]
    assert notice(bot) == THANKS[False]
    assert bot.services.votes.last_week() == Share(2, 1)


@pytest.mark.parametrize(
    "presser",
    [{"user_id": 502}, {"user_id": 501, "chat_id": -100, "chat_type": "supergroup"}],
    ids=["other-user", "owner-in-another-chat"],
)
async def test_foreign_or_forged_votes_and_why_show_nothing(
    bot: Bot, updates: Updates, presser: dict[str, object]
) -> None:
    """A press from someone who may not see the question, or a made-up token, changes nothing."""
    up, _, why = await ask(bot, updates)
    forged = VoteButton(TOKEN, 1, True).data()
    for data in (up, why, forged, "v:short:1:u", "w:" + TOKEN + ":x:0"):
        before = len(bot.api.calls)
        await bot.send(updates.button(data, **presser))  # type: ignore[arg-type]
        after = bot.api.calls[before:]
        assert [call.method for call in after] == ["answerCallbackQuery"]
        assert after[0].params["text"] == STALE
    assert bot.services.votes.last_week() == Share(0, 0)


async def test_why_explains_the_first_result_in_plain_words(bot: Bot, updates: Updates) -> None:
    """Why? edits the answer into each word's part, summing to the score, with a way back."""
    _, _, why = await ask(bot, updates)
    await bot.send(updates.button(why))
    edit = bot.api.calls_to("editMessageText")[-1].params
    text = edit["text"]
    assert html_problems(text) == []
    assert fits(text)
    assert text.startswith("<b>Why this result ranked</b>")
    assert "“weapons”" in text or "“weapon”" in text
    assert "passages (rarity " in text
    assert "<i>Score " in text
    button = parse_feedback(why)
    assert isinstance(button, WhyButton)
    assert keyboard(bot, "editMessageText") == [PageButton(button.qid, 0).data()]


async def test_forgetme_deletes_votes(bot: Bot, updates: Updates) -> None:
    """/forgetme deletes the user's votes and says so; other users' votes stay."""
    group = {"chat_id": -100, "chat_type": "supergroup"}
    up, _, _ = await ask(bot, updates, "@BriefTestBot weapons Ukraine", user_id=501, **group)
    await bot.send(updates.button(up, user_id=501, **group))  # type: ignore[arg-type]
    await bot.send(updates.button(up, user_id=502, **group))  # type: ignore[arg-type]
    await bot.send(updates.message("/forgetme", user_id=501))
    assert "Your 1 vote on answers went too." in bot.texts()[-1]
    assert bot.services.votes.last_week() == Share(1, 1)


async def test_logged_question_is_kept_only_when_logging(
    settings: Settings, engine: Engine, api: FakeBotApi, updates: Updates
) -> None:
    """The question is copied beside a vote only with log_questions on."""
    for logging_on in (False, True):
        async for bot in start_bot(replace(settings, log_questions=logging_on), engine, api):
            up, _, _ = await ask(bot, updates)
            await bot.send(updates.button(up))
            (vote,) = bot.services.votes.export()
            assert vote.question == ("weapons Ukraine" if logging_on else None)
            assert re.fullmatch(r"[0-9a-f]{16}", vote.voter)


def test_longest_feedback_buttons_fit_callback_data() -> None:
    """With 18-digit numbers the buttons still fit Telegram's 64 bytes and parse back."""
    big = 10**18 - 1
    for button in (VoteButton(TOKEN, big, False), WhyButton(TOKEN, big, big)):
        assert len(button.data().encode()) <= MAX_DATA_BYTES
        assert parse_feedback(button.data()) == button
    row = feedback_row(TOKEN, big, big, big)
    assert all(len(b.callback_data.encode()) <= MAX_DATA_BYTES for b in row)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "data",
    ["v:AbCdEfGhIj_-:1:x", "v:AbCdEfGhIj_-:-1:u", "v:AbCdEfGhIj_-:1", "w:AbCdEfGhIj_-:1:2:3",
     "v:AbCdEfGhIj_!:1:u", "w:AbCdEfGhIj_-:١:0", "x:AbCdEfGhIj_-:1:u", "", None,
     "w:AbCdEfGhIj_-:1:" + "9" * 19],
    ids=["bad-vote", "negative", "short", "long", "bad-token", "arabic-digit", "other-kind",
         "empty", "none", "huge"],
)  # fmt: skip
def test_parse_feedback_rejects_what_the_bot_never_makes(data: str | None) -> None:
    """Anything but a well-formed vote or Why? button parses to None."""
    assert parse_feedback(data) is None


def test_share_line() -> None:
    """/stats' line says the share and counts, or that nobody voted yet."""
    assert share_line(Share(0, 0)) == "Helpful answers (7 days): no votes yet"
    assert share_line(Share(4, 3)) == "Helpful answers (7 days): 75% (3 of 4 votes)"


async def test_opened_passage_has_why_for_itself(bot: Bot, updates: Updates) -> None:
    """An opened passage carries "Why?" for that passage, which any engine score bears out."""
    await bot.send(updates.message("artillery shells"))
    opened = next(data for data in keyboard(bot) if data.startswith("o:"))
    await bot.send(updates.button(opened))
    why = keyboard(bot, "editMessageText")[-1]
    button = parse_feedback(why)
    assert isinstance(button, WhyButton)
    assert button.passage_id == int(opened.split(":")[2])
    await bot.send(updates.button(why))
    text = bot.texts()[-1]
    assert html_problems(text) == []
    assert "“artillery”" in text
    explanation = bot.services.engine.explain("artillery shells", button.passage_id)
    assert explanation is not None
    assert f"<i>Score {explanation.score:.2f}" in text


def test_why_text_of_a_long_question_fits_one_message() -> None:
    """A question of many matched words still gives valid HTML under 4096, ending with the sum."""
    words = [f"word{n}" for n in range(70)]
    engine = Engine.open(":memory:")
    engine.ingest([Article(title="All the words", text=" ".join(words), url="https://x.org/?a&b")])
    engine.ingest([Article(title="Other", text="Nothing of note.")])
    query = " ".join(words)[:500]
    explanation = engine.explain(query, 0)
    article = engine.article(engine.passage(0).article_id)  # type: ignore[union-attr]
    engine.close()
    assert explanation is not None
    assert article is not None
    assert len(explanation.contributions) > 50
    text = why_text(article, explanation)
    assert fits(text)
    assert html_problems(text) == []
    assert "…" in text
    assert text.endswith("</i>")
    assert f"Score {explanation.score:.2f}" in text
