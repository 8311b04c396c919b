"""Failed Bot API calls: repeated where that cannot send a reply twice, one log line otherwise."""

from __future__ import annotations

import logging

import pytest
from bot_harness import Bot
from telegram.error import BadRequest, NetworkError, TimedOut
from telegram_fakes import FakeBotApi, Updates

from bot import retry
from bot.handlers import APOLOGY
from bot.retry import SEND_BUDGET, START_BUDGET, Budget, NotDoneError, may_have_arrived, repeatable
from bot.transport import ConnectTimedOutError, NotSentError


@pytest.fixture(autouse=True)
def short_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same attempts as in production, with back-off delays a hundred times shorter."""
    for name in ("SEND_BUDGET", "START_BUDGET"):
        budget: Budget = getattr(retry, name)
        monkeypatch.setattr(retry, name, Budget(budget.attempts, budget.first_delay / 100,
                                                budget.max_delay / 100))  # fmt: skip


def answers(api: FakeBotApi) -> list[str]:
    """The texts of the messages that reached the chat."""
    return [call.params["text"] for call in api.answered("sendMessage")]


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Log records that carry a traceback."""
    return [record for record in caplog.records if record.exc_info]


async def test_send_answered_500_is_repeated_and_answered_once(
    bot: Bot, api: FakeBotApi, updates: Updates, caplog: pytest.LogCaptureFixture
) -> None:
    """A 500 answer to sendMessage is repeated: the question is answered once, no apology."""
    api.fail_next("sendMessage", "Internal Server Error", 500)
    await bot.send(updates.message("weapons"))
    [answer] = answers(api)
    assert "[1] " in answer
    assert len(api.calls_to("sendMessage")) == 2
    assert tracebacks(caplog) == []


async def test_send_dropped_after_it_arrived_is_not_repeated_nor_apologised(
    bot: Bot, api: FakeBotApi, updates: Updates, caplog: pytest.LogCaptureFixture
) -> None:
    """A connection lost after sendMessage was done is not repeated: one answer, one line."""
    api.drop_next("sendMessage", after=True)
    await bot.send(updates.message("weapons"))
    [answer] = answers(api)
    assert "[1] " in answer
    assert len(api.calls_to("sendMessage")) == 1
    assert tracebacks(caplog) == []
    [line] = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert "may or may not have been done" in line


async def test_edit_dropped_is_repeated(
    bot: Bot, api: FakeBotApi, updates: Updates, caplog: pytest.LogCaptureFixture
) -> None:
    """An edit whose connection dropped is sent again: a second identical edit changes nothing."""
    await bot.send(updates.message("weapons"))
    markup = api.calls_to("sendMessage")[-1].params["reply_markup"]
    next_page = markup["inline_keyboard"][-1][-1]["callback_data"]
    assert next_page.startswith("p:")
    api.drop_next("editMessageText")
    await bot.send(updates.button(next_page))
    assert len(api.answered("editMessageText")) == 1
    assert len(api.calls_to("editMessageText")) == 2
    assert tracebacks(caplog) == []


async def test_send_failing_every_attempt_is_apologised_in_one_line(
    bot: Bot, api: FakeBotApi, updates: Updates, caplog: pytest.LogCaptureFixture
) -> None:
    """After the whole budget of 502 answers the user gets the apology, the log one line."""
    for _ in range(retry.SEND_BUDGET.attempts):
        api.fail_next("sendMessage", "Bad Gateway", 502)
    await bot.send(updates.message("weapons"))
    assert answers(api) == [APOLOGY]
    assert len(api.calls_to("sendMessage")) == retry.SEND_BUDGET.attempts + 1
    assert tracebacks(caplog) == []
    [line] = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert "failed on every attempt (Bad Gateway (502): Bad Gateway)" in line


async def test_flood_control_is_waited_out(bot: Bot, api: FakeBotApi, updates: Updates) -> None:
    """A 429 with retry_after is honoured by waiting, then the answer goes out once."""
    api.fail_next("sendMessage", "Too Many Requests: retry after 1", 429, retry_after=1)
    await bot.send(updates.message("weapons"))
    [answer] = answers(api)
    assert "[1] " in answer


@pytest.mark.parametrize(
    ("method", "error", "status", "again"),
    [
        ("sendMessage", NotSentError("refused"), None, True),
        ("sendMessage", ConnectTimedOutError("no connection"), None, True),
        ("sendMessage", None, 500, True),
        ("sendMessage", None, 502, True),
        ("sendMessage", None, 503, True),
        ("sendMessage", None, 504, False),
        ("sendMessage", NetworkError("reset"), None, False),
        ("sendMessage", TimedOut(), None, False),
        ("answerCallbackQuery", NetworkError("reset"), None, False),
        ("editMessageText", NetworkError("reset"), None, True),
        ("getMe", TimedOut(), None, True),
        ("setMyCommands", None, 504, True),
        ("sendMessage", None, 501, False),
    ],
    ids=["refused", "connect-timeout", "500", "502", "503", "504", "reset", "read-timeout",
         "callback-reset", "edit-reset", "getme-timeout", "commands-504", "501"],
)  # fmt: skip
def test_policy_table(method: str, error: NetworkError | None, status: int | None,
                      again: bool) -> None:  # fmt: skip
    """Each row of the policy in bot.retry's docstring: which failure is repeated for which call."""
    assert repeatable(method, error, status) is again


@pytest.mark.parametrize(
    ("error", "arrived"),
    [
        (NotSentError("refused"), False),
        (ConnectTimedOutError("no connection"), False),
        (NotDoneError("Bad Gateway"), False),
        (NetworkError("aiohttp.ServerDisconnectedError"), True),
        (TimedOut(), True),
        (BadRequest("Bad Request: chat not found"), False),
    ],
    ids=["refused", "connect-timeout", "5xx", "reset", "read-timeout", "bad-request"],
)
def test_what_may_have_arrived(error: NetworkError, arrived: bool) -> None:
    """Only a connection never made and an error answer prove Telegram did nothing."""
    assert may_have_arrived(error) is arrived


def test_budgets_are_bounded() -> None:
    """Answers wait at most a few seconds in back-off, start-up about half a minute."""
    assert SEND_BUDGET.most_seconds() <= 5  # the real budgets, as imported before any fixture
    assert 10 <= START_BUDGET.most_seconds() <= 40
    assert retry.budget_for("getUpdates").attempts == 1  # PTB's polling loop retries it
