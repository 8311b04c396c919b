"""Inline mode, votes and "Why?" in a real `briefbot run` against the fake Bot API on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest
from html_check import html_problems
from test_end_to_end import briefbot_run

from bot.feedback import THANKS
from bot.inline import DECLINED

pytestmark = pytest.mark.slow


def test_inline_votes_and_why_over_http(tmp_path: Path) -> None:
    """Over HTTP: scoped menus at start, inline results and declines, a vote, an explanation."""
    with briefbot_run(tmp_path, "[access]\nadmin_ids = [900]\n") as chat:
        build = chat.updates
        chat.api.wait_for("setMyCommands", 3, timeout=60)
        scopes = [call.params["scope"]["type"] for call in chat.api.calls_to("setMyCommands")]
        assert scopes == ["all_private_chats", "all_group_chats", "chat"]

        inline = chat.say(build.inline("Blinken weapons"), "answerInlineQuery").params
        assert inline["is_personal"] == "true"  # form-encoded over HTTP
        first = inline["results"][0]
        assert first["title"].startswith("Blinken Reaffirms U.S. Commitment")
        text = first["input_message_content"]["message_text"]
        assert html_problems(text) == []
        assert "RFE/RL · 7 Apr 2022" in text

        declined = chat.say(build.inline("zebra migration"), "answerInlineQuery").params
        assert declined["results"] == []
        assert declined["button"]["text"] == DECLINED

        answer = chat.say(build.message("Blinken weapons"))
        feedback = answer.params["reply_markup"]["inline_keyboard"][1]
        up, why = feedback[0]["callback_data"], feedback[2]["callback_data"]
        thanked = chat.say(build.button(up), "answerCallbackQuery")
        assert thanked.params["text"] == THANKS[True]
        explained = chat.say(build.button(why), "editMessageText").params["text"]
        assert html_problems(explained) == []
        assert explained.startswith("<b>Why this result ranked</b>")
        assert "“blinken”" in explained
        stats = chat.say(build.message("/stats", user_id=900)).params["text"]
        assert "Helpful answers (7 days): 100% (1 of 1 votes)" in stats
    logged = chat.log.read_text()
    assert chat.exit_code == 0, logged
    assert "answered inline query" in logged
    assert "Blinken weapons" not in logged
