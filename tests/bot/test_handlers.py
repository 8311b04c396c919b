"""Questions, commands and buttons through PTB's own request seam, checked call by call."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from bot_harness import Bot
from html_check import html_problems
from telegram_fakes import Updates

from bot import questions
from bot.buttons import OpenButton, parse_button
from bot.commands import COMMANDS, LATEST_USAGE, SEARCH_USAGE
from bot.context import services_in
from bot.render import esc
from retrieval.engine import Engine
from retrieval.models import Article


def keyboard_data(params: dict[str, object]) -> list[str]:
    """Every callback_data in a recorded reply_markup, row by row."""
    markup = params.get("reply_markup")
    assert isinstance(markup, dict)
    return [button["callback_data"] for row in markup["inline_keyboard"] for button in row]


def asked_token(bot: Bot) -> str:
    """The query token in the buttons of the newest answer."""
    return keyboard_data(bot.api.calls_to("sendMessage")[-1].params)[0].split(":")[1]


async def test_quick_answer_needs_no_typing_indicator(bot: Bot, updates: Updates) -> None:
    """An answer ready before TYPING_AFTER goes out alone: one Bot API call, not two."""
    await bot.send(updates.message("weapons Ukraine"))
    assert bot.api.calls_to("sendChatAction") == []
    assert "[1] " in bot.texts()[-1]


async def test_saturated_bot_skips_typing_indicators(
    bot: Bot, updates: Updates, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With many questions in flight, a slow answer comes without a typing indicator."""
    monkeypatch.setattr(questions, "TYPING_AFTER", 0.0)
    bot.services.stats.in_flight = questions.TYPING_MAX_IN_FLIGHT
    await bot.send(updates.message("weapons Ukraine"))
    assert bot.api.calls_to("sendChatAction") == []
    assert "[1] " in bot.texts()[-1]
    assert bot.services.stats.in_flight == questions.TYPING_MAX_IN_FLIGHT


async def test_free_text_question_gets_typing_then_cited_excerpts(
    bot: Bot, updates: Updates, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slow question shows typing, then numbered excerpts with bold words and citations."""
    monkeypatch.setattr(questions, "TYPING_AFTER", 0.0)
    await bot.send(updates.message("weapons Ukraine"))
    assert [c.method for c in bot.api.calls][-2:] == ["sendChatAction", "sendMessage"]
    assert bot.api.calls_to("sendChatAction")[0].params["action"] == "typing"
    sent = bot.api.calls_to("sendMessage")[-1].params
    text = sent["text"]
    assert html_problems(text) == []
    assert sent["parse_mode"] == "HTML"
    assert sent["link_preview_options"] == {"is_disabled": True}
    assert re.match(r"🔎 \d+ results for <i>weapons Ukraine</i> \(\d+ ms\)", text)
    assert "[1] " in text
    assert "[2] " in text
    assert "[3] " not in text  # page_size is 2
    assert "<b>weapons</b>" in text or "<b>Weapons</b>" in text
    assert '<a href="https://example.org/a/blinken?x=1&amp;y=2">' in text
    assert "RFE/RL · 7 Apr 2022" in text
    data = keyboard_data(sent)
    token = data[0].split(":")[1]
    assert [parse_button(d) for d in data[:2]] == [
        OpenButton(token, parse_button(data[0]).passage_id, 0),  # type: ignore[union-attr]
        OpenButton(token, parse_button(data[1]).passage_id, 0),  # type: ignore[union-attr]
    ]
    ranked = parse_button(data[0]).passage_id  # type: ignore[union-attr]
    assert data[2:5] == [f"v:{token}:1:u", f"v:{token}:1:d", f"w:{token}:{ranked}:0"]
    assert data[5:] == ["n", f"p:{token}:1"]


async def test_unanswerable_question_is_declined_with_nearest_titles(
    bot: Bot, updates: Updates
) -> None:
    """A question no briefing answers gets one plain sentence and linked titles, no buttons."""
    await bot.send(updates.message("weather in Reykjavik this weekend"))
    sent = bot.api.calls_to("sendMessage")[-1].params
    text = sent["text"]
    assert html_problems(text) == []
    assert text.startswith(
        "No stored briefing answers that. (<i>weather in Reykjavik this weekend</i>)"
    )
    assert "Harvest weather · 1 Apr 2022" in text
    assert "[1]" not in text
    assert "Wheat" not in text  # no excerpt is quoted
    assert "reply_markup" not in sent


async def test_page_button_edits_the_list_to_the_next_page(bot: Bot, updates: Updates) -> None:
    """Pressing ▶ edits the same message to show results 3 and 4 with a ◀ back."""
    await bot.send(updates.message("weapons"))
    token = asked_token(bot)
    await bot.send(updates.button(f"p:{token}:1"))
    edit = bot.api.calls_to("editMessageText")[-1].params
    assert "[3] " in edit["text"]
    assert "[1] " not in edit["text"]
    assert html_problems(edit["text"]) == []
    assert keyboard_data(edit)[-3:] == [f"p:{token}:0", "n", f"p:{token}:2"]
    assert bot.api.calls_to("answerCallbackQuery")[-1].params.get("text") is None


async def test_page_button_searches_as_of_the_question_not_the_press(
    bot: Bot, updates: Updates
) -> None:
    """A button pressed years later keeps the question's "yesterday" and recency as asked."""
    asked = int(datetime(2022, 4, 8, 9, tzinfo=UTC).timestamp())
    await bot.send(updates.message("weapons yesterday", date=asked))
    first = bot.api.calls_to("sendMessage")[-1].params["text"]
    header = re.sub(r" \(\d+ ms\)$", "", first.split("\n")[0])
    assert header.endswith("dated on 7 April 2022")
    assert "[1] " in first
    await bot.send(updates.button(f"p:{asked_token(bot)}:0"))
    edit = bot.api.calls_to("editMessageText")[-1].params["text"]
    assert re.sub(r" \(\d+ ms\)$", "", edit.split("\n")[0]) == header
    assert "[1] " in edit


async def test_open_button_shows_whole_passage_with_neighbours(bot: Bot, updates: Updates) -> None:
    """Opening a middle passage shows its text in bold matches and prev/back/next buttons."""
    await bot.send(updates.message("artillery shells"))
    token = asked_token(bot)
    engine = services_in(bot.app.bot_data).engine
    result = engine.search("artillery shells", k=6)
    middle = next(h for h in result.hits if 0 < h.passage.ordinal < h.article.passages - 1)
    await bot.send(updates.button(OpenButton(token, middle.passage.id, 0).data()))
    edit = bot.api.calls_to("editMessageText")[-1].params
    assert html_problems(edit["text"]) == []
    assert "<b>artillery</b>" in edit["text"]
    assert f"Passage {middle.passage.ordinal + 1} of 5" in edit["text"]
    assert "Aid report &lt;draft&gt; &amp; notes" in edit["text"]
    pid = middle.passage.id
    assert keyboard_data(edit) == [
        f"o:{token}:{pid - 1}:0",
        f"p:{token}:0",
        f"o:{token}:{pid + 1}:0",
        f"w:{token}:{pid}:0",
    ]


async def test_open_button_shows_the_passage_the_excerpt_came_from(
    bot: Bot, updates: Updates, engine: Engine
) -> None:
    """When the answer is quoted from another passage than the one that ranked, "open" shows it.

    A second matching article fills the two-hit page, so the answering passage is not a hit
    of its own there and the first hit may borrow it.
    """
    answering = (
        "Rescue teams in the Philippines searched collapsed homes after the earthquake, and"
        " schools stayed closed while engineers inspected bridges and roads for any damage to"
        " the structures that thousands of people cross every single day on their way to work."
    )
    restating = (
        "The 7.0-magnitude earthquake was the strongest to hit the country in a decade. The"
        " earthquake was felt across the whole country for almost a minute, and the earthquake"
        " magnitude surprised every seismologist who had studied the country's faults."
    )
    other = "An earthquake drill was held in the capital, and residents practised sheltering."
    engine.ingest([Article("Quake report", f"{answering}\n\n{restating}", id="quake"),
                   Article("Drill", other, id="drill")])  # fmt: skip
    question = "Which country was shaken by a 7.0-magnitude earthquake?"
    hit = engine.search(question, k=6, limit=2).hits[0]  # the bot's first page
    assert hit.ranked is not None
    assert hit.ranked.text == restating
    assert hit.passage.text == answering
    await bot.send(updates.message(question))
    sent = bot.api.calls_to("sendMessage")[-1].params
    assert "[1] Rescue teams in the Philippines" in sent["text"]
    opened = parse_button(keyboard_data(sent)[0])
    assert isinstance(opened, OpenButton)
    assert (opened.passage_id, opened.page) == (hit.passage.id, 0)
    await bot.send(updates.button(opened.data()))
    edit = bot.api.calls_to("editMessageText")[-1].params
    assert html_problems(edit["text"]) == []
    assert "Passage 1 of 2" in edit["text"]
    assert "Rescue teams in the Philippines" in edit["text"]


@pytest.mark.parametrize(
    "data",
    ["p:AAAAAAAAAAAA:0", "o:{token}:1000000000:0", "zzz", "p:{token}", "p:{token}:-1",
     "o:{token}:2:3:4", "p:{token}:١", "", "p:1:0"],
    ids=["unknown-query", "unknown-passage", "garbage", "short", "negative", "long",
         "arabic-digit", "empty", "counted-id"],
)  # fmt: skip
async def test_stale_or_malformed_button_gets_a_polite_notice(
    bot: Bot, updates: Updates, data: str
) -> None:
    """A button that points at nothing is answered with a notice, and nothing is edited."""
    await bot.send(updates.message("weapons"))  # stores a query
    await bot.send(updates.button(data.format(token=asked_token(bot))))
    answer = bot.api.calls_to("answerCallbackQuery")[-1].params
    assert "expired" in answer["text"]
    assert bot.api.calls_to("editMessageText") == []


async def test_double_press_is_not_an_error(bot: Bot, updates: Updates) -> None:
    """Telegram's "message is not modified" on a repeated press is swallowed, not apologised."""
    await bot.send(updates.message("weapons"))
    bot.api.fail_next("editMessageText", "Bad Request: message is not modified")
    await bot.send(updates.button(f"p:{asked_token(bot)}:0"))
    assert bot.api.calls_to("answerCallbackQuery")[-1].params.get("text") is None
    assert not any("went wrong" in text for text in bot.texts())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/search", esc(SEARCH_USAGE)),
        ("/search   ", esc(SEARCH_USAGE)),
        ("/search the of and", "only very common words"),
        ("x" * 501, "No briefing is related to the message you pasted"),
        ("the of and " * 60, "only very common words"),
        ("?!", "Type a few words"),
        ("zebra quantum", "No briefing matches <i>zebra quantum</i>"),
        ("/latest many", esc(LATEST_USAGE)),
        ("/latest 0", esc(LATEST_USAGE)),
        ("/frobnicate", "I don't know that command"),
        ("/stats", "I don't know that command"),
    ],
    ids=["empty-search", "blank-search", "stopwords", "long-unknown", "long-stopwords", "no-words",
         "no-hits", "latest-word", "latest-zero", "unknown", "stats-non-admin"],
)  # fmt: skip
async def test_bad_input_gets_help_not_a_search(
    bot: Bot, updates: Updates, text: str, expected: str
) -> None:
    """Each kind of unusable input gets one short, valid explanation."""
    await bot.send(updates.message(text))
    replies = bot.api.calls_to("sendMessage")
    assert len(replies) == 1
    assert expected in replies[0].params["text"]
    assert html_problems(replies[0].params["text"]) == []
    assert "reply_markup" not in replies[0].params


async def test_long_paste_is_answered_with_related_briefings(bot: Bot, updates: Updates) -> None:
    """A text over max_query_chars is searched by its telling words; the header says so."""
    paste = "Officials talked for hours. " * 20 + "Russia and Ukraine, Blinken said in Brussels."
    await bot.send(updates.message(paste))
    text = bot.texts()[-1]
    assert html_problems(text) == []
    assert re.match(
        r"🔎 Briefings related to the message you pasted \(\d+ results?, \d+ ms\)", text
    )
    assert "Blinken Reaffirms" in text
    assert esc(paste[:100]) not in text  # the paste is not quoted back
    await bot.send(updates.button(keyboard_data(bot.api.calls_to("sendMessage")[-1].params)[-1]))
    page = bot.api.calls_to("editMessageText")[-1].params["text"]
    assert page.startswith("🔎 Briefings related to the message you pasted (")
    assert "[3] " in page


@pytest.mark.parametrize(
    ("query", "related_to"),
    [("grain", ""), ("grain", "forwarded"), ("\x1epasted\x1etyped by hand", ""), ("", "pasted")],
    ids=["question", "forwarded", "typed-mark", "empty"],
)
def test_remembered_text_reads_back_as_it_was(query: str, related_to: str) -> None:
    """A stored query reads back with how it arrived; a typed text is never taken for a paste."""
    stored = questions.stored_text(query, related_to)
    assert questions.parse_stored(stored) == (query, related_to)
    assert (stored == query) == (not related_to and not query.startswith("\x1e"))


async def test_forwarded_message_finds_related_briefings_on_every_page(
    bot: Bot, updates: Updates
) -> None:
    """A forwarded message, even a short one, is answered as related; page 2 says so too."""
    await bot.send(updates.message("Weapons and artillery shells for Ukraine", forwarded=True))
    sent = bot.api.calls_to("sendMessage")[-1].params
    assert sent["text"].startswith("🔎 Briefings related to the message you forwarded (")
    assert "[1] " in sent["text"]
    next_page = keyboard_data(sent)[-1]
    assert next_page.startswith("p:")
    await bot.send(updates.button(next_page))
    edit = bot.api.calls_to("editMessageText")[-1].params
    assert edit["text"].startswith("🔎 Briefings related to the message you forwarded (")
    assert "[3] " in edit["text"]
    opened = next(d for d in keyboard_data(edit) if d.startswith("o:"))
    await bot.send(updates.button(opened))
    assert "<b>" in bot.api.calls_to("editMessageText")[-1].params["text"]


async def test_forwarded_text_matching_nothing_says_so(bot: Bot, updates: Updates) -> None:
    """A forwarded message with no word the briefings use gets a plain no-result reply."""
    await bot.send(updates.message("zebra quantum", forwarded=True))
    assert bot.texts()[-1].startswith("No briefing is related to the message you forwarded.")


async def test_start_offers_an_example_from_the_briefings(bot: Bot, updates: Updates) -> None:
    """/start welcomes and suggests a question made from the newest headline."""
    await bot.send(updates.message("/start"))
    text = bot.texts()[-1]
    assert "For example: <i>Aid report draft notes</i>" in text
    assert html_problems(text) == []


@pytest.mark.parametrize(
    ("user_id", "sees_stats"), [(501, False), (900, True)], ids=["user", "admin"]
)
async def test_help_lists_the_registry_and_hides_admin_commands(
    bot: Bot, updates: Updates, user_id: int, sees_stats: bool
) -> None:
    """/help shows every public command from the registry; /stats only for admins."""
    await bot.send(updates.message("/help", user_id=user_id))
    text = bot.texts()[-1]
    for command in COMMANDS:
        assert (f"/{command.name}" in text) == (not command.admin or sees_stats)
    assert html_problems(text) == []


async def test_stats_for_admin(bot: Bot, updates: Updates) -> None:
    """/stats reports corpus size, questions answered and answer times to an admin."""
    await bot.send(updates.message("weapons", user_id=900))
    await bot.send(updates.message("/stats", user_id=900))
    text = bot.texts()[-1]
    assert "Articles: 4" in text
    assert "Questions answered: 1" in text
    assert re.search(r"p50 / p95: \d+ ms / \d+ ms", text)


async def test_latest_lists_newest_first_and_pages(bot: Bot, updates: Updates) -> None:
    """/latest 3 shows the two newest (page_size 2) with a pager to the third."""
    await bot.send(updates.message("/latest 3"))
    sent = bot.api.calls_to("sendMessage")[-1].params
    text = sent["text"]
    assert html_problems(text) == []
    assert text.index("Aid report") < text.index("Blinken")
    assert "(1–2 of 3)" in text
    assert "9 Apr 2022" in text
    assert keyboard_data(sent) == ["n", "l:3:1"]
    await bot.send(updates.button("l:3:1"))
    edit = bot.api.calls_to("editMessageText")[-1].params["text"]
    assert "3. Harvest weather · 1 Apr 2022" in edit


async def test_start_set_my_commands_for_users_and_admins(bot: Bot) -> None:
    """post_init publishes a menu per scope: private chats, groups, and each admin's chat."""
    assert bot.app.post_init is not None
    await bot.app.post_init(bot.app)
    calls = bot.api.calls_to("setMyCommands")
    menus = {
        json.dumps(call.params["scope"], sort_keys=True): [
            command["command"] for command in call.params["commands"]
        ]
        for call in calls
    }
    public = [c.name for c in COMMANDS if not c.admin]
    assert len(calls) == 3
    assert menus['{"type": "all_private_chats"}'] == public
    groups = menus['{"type": "all_group_chats"}']
    assert groups == [name for name in public if name not in ("start", "forgetme")]
    admin = menus['{"chat_id": 900, "type": "chat"}']
    assert admin == [c.name for c in COMMANDS]
    assert {"stats", "sources", "ingest"} <= set(admin) - set(public)


async def test_edited_question_edits_its_answer(bot: Bot, updates: Updates) -> None:
    """Editing a question edits the bot's answer in place instead of sending another."""
    await bot.send(updates.message("zebra", message_id=50))
    answer_id = 10_001
    await bot.send(updates.message("weapons", message_id=50, edited=True))
    assert len(bot.api.calls_to("sendMessage")) == 1
    edit = bot.api.calls_to("editMessageText")[-1].params
    assert edit["message_id"] == answer_id
    assert "[1] " in edit["text"]


async def test_edit_of_a_deleted_answer_sends_a_new_one(bot: Bot, updates: Updates) -> None:
    """If the old answer cannot be edited any more, the edited question gets a fresh reply."""
    await bot.send(updates.message("zebra", message_id=51))
    bot.api.fail_next("editMessageText", "Bad Request: message to edit not found")
    await bot.send(updates.message("weapons", message_id=51, edited=True))
    assert len(bot.api.calls_to("sendMessage")) == 2
    assert "[1] " in bot.texts()[-1]


async def test_copies_of_a_story_are_one_hit_saying_also_in(
    bot: Bot, updates: Updates, engine: Engine
) -> None:
    """A wire story stored three times is one hit citing the newest, "also in" the others."""
    story = (
        "Rescue teams searched the rubble of collapsed homes after an earthquake struck the "
        "mountainous east, killing at least 120 people, officials said on Thursday."
    )
    engine.ingest(
        [
            Article("Quake kills 120", story, source="Wire <A>", id="w1"),
            Article("Quake toll", story, source="Daily B", id="w2"),
            Article("Quake", story, source="Wire <A>", id="w3"),
        ]
    )
    await bot.send(updates.message("earthquake rubble"))
    reply = bot.texts()[-1]
    assert "[1] " in reply
    assert "[2] " not in reply
    assert "1 result for" in reply
    assert (
        "\nQuake · Wire &lt;A&gt; · date unknown\nalso in: Daily B" in reply
    )  # not its own source
    assert not html_problems(reply)
