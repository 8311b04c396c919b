"""Logging: the token never appears, answers get one line each, questions stay private."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace

import pytest
from bot_harness import start_bot
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram_fakes import TOKEN, FakeBotApi, Updates

from bot.logs import (
    CHATTY_LOGGERS,
    MASK,
    NOISY_LOGGERS,
    QUIET_LOGGERS,
    TokenRedactingFilter,
    configure_logging,
)
from bot.settings import ConfigError, Settings
from retrieval.engine import Engine
from retrieval.models import SearchResult

SECRET = TOKEN.partition(":")[2]


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Undo what configure_logging does to the root logger and the HTTP loggers."""
    root = logging.getLogger()
    names = ("", *NOISY_LOGGERS, *CHATTY_LOGGERS, *QUIET_LOGGERS)
    levels = {name: logging.getLogger(name).level for name in names}
    handlers = list(root.handlers)
    filters = {handler: list(handler.filters) for handler in handlers}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    for handler, kept in filters.items():
        handler.filters = kept


def record(msg: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc else None
    return logging.LogRecord("x", logging.ERROR, __file__, 1, msg, args, exc_info)


def chained(*, cause: bool) -> BaseException:
    """An error whose explicit cause (or implicit context) quotes the token; its own text not."""
    try:
        try:
            raise OSError(f"upstream failed for POST /bot{TOKEN}/getMe")
        except OSError as inner:
            if cause:
                raise NetworkError("could not reach the Bot API") from inner
            raise NetworkError("could not reach the Bot API")  # noqa: B904
    except NetworkError as outer:
        return outer
    raise AssertionError("unreachable")


@pytest.mark.parametrize(
    "make",
    [
        lambda: record(f"calling https://host/bot{TOKEN}/getMe"),
        lambda: record("calling %s", f"https://host/bot{TOKEN}/getMe"),
        lambda: record("secret only: %s", SECRET),
        lambda: record("failed", exc=RuntimeError(f"GET /bot{TOKEN}/getUpdates")),
        lambda: record("failed", exc=chained(cause=True)),
        lambda: record("failed", exc=chained(cause=False)),
    ],
    ids=["message", "args", "secret-half", "traceback", "cause", "context"],
)
def test_filter_masks_token_everywhere(make: object) -> None:
    """Message, arguments, the secret half on its own and traceback text are all masked."""
    item = make()  # type: ignore[operator]
    TokenRedactingFilter(TOKEN).filter(item)
    formatted = logging.Formatter().format(item)
    assert TOKEN not in formatted
    assert SECRET not in formatted
    assert MASK in formatted


def test_configured_logging_masks_the_webhook_secret(
    restore_logging: None, caplog: pytest.LogCaptureFixture
) -> None:
    """The webhook's secret token is masked like the bot token, in every logged line."""
    configure_logging(Settings(token=TOKEN, secret_token="hook-secret_42"))
    logging.getLogger("bot.test").warning("setWebhook with secret_token=%s", "hook-secret_42")
    assert "hook-secret_42" not in caplog.text
    assert f"secret_token={MASK}" in caplog.text


def test_configure_logging_rejects_unknown_level(restore_logging: None) -> None:
    """A misspelt level is a configuration error naming the key, not a traceback."""
    with pytest.raises(ConfigError, match=r"\[logging\] level"):
        configure_logging(Settings(log_level="LOUD"))


async def test_debug_logs_of_a_conversation_hold_no_token(
    restore_logging: None,
    settings: Settings,
    engine: Engine,
    updates: Updates,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """At DEBUG, start-up, answers and a failure quoting the token log nothing secret."""
    configure_logging(replace(settings, log_level="DEBUG"))
    logging.getLogger("httpx").info("HTTP Request: POST https://host/bot%s/getMe", TOKEN)
    real_search = engine.search

    def search(query: str, k: int = 10, **page: int) -> SearchResult:
        if query == "explode":
            raise ConnectionError(f"POST https://host/bot{TOKEN}/sendMessage failed")
        return real_search(query, k, **page)

    monkeypatch.setattr(engine, "search", search)
    async for bot in start_bot(settings, engine, FakeBotApi()):
        await bot.send(updates.message("weapons"))
        page_two = bot.api.calls_to("sendMessage")[-1].params["reply_markup"]["inline_keyboard"]
        await bot.send(updates.message("explode"))
        await bot.send(updates.button(page_two[-1][-1]["callback_data"]))
    text = caplog.text + "".join(str(r.exc_text) for r in caplog.records)
    assert TOKEN not in text
    assert SECRET not in text
    assert f"POST https://host/bot{MASK}/sendMessage failed" in text
    assert "HTTP Request" not in text  # httpx is held at WARNING
    assert any(r.levelno == logging.DEBUG for r in caplog.records)
    answered = [r.getMessage() for r in caplog.records if r.getMessage().startswith("answered")]
    assert answered[0].startswith("answered question in private chat: ")
    assert answered[1].startswith("answered PageButton in private chat: 6 results, ")
    assert "weapons" not in caplog.text  # log_questions is off: no update or reply dumps


async def test_questions_are_logged_only_when_asked_for(
    settings: Settings, engine: Engine, updates: Updates, caplog: pytest.LogCaptureFixture
) -> None:
    """With log_questions on, the answer line carries the question."""
    caplog.set_level(logging.INFO, logger="bot.handlers")
    async for bot in start_bot(replace(settings, log_questions=True), engine, FakeBotApi()):
        await bot.send(updates.message("weapons"))
    assert "(question: 'weapons')" in caplog.text


def test_stream_handler_when_none_configured() -> None:
    """Run as a program (no handlers yet), logs go to the given stream in the set format."""
    code = (
        "import io, logging\n"
        "from bot.logs import configure_logging\n"
        "from bot.settings import Settings\n"
        f"token = {TOKEN!r}\n"
        "stream = io.StringIO()\n"
        "configure_logging(Settings(token=token, log_level='debug'), stream)\n"
        "logging.getLogger('bot').debug('url /bot%s/getMe', token)\n"
        "print(stream.getvalue(), end='')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.endswith(f"DEBUG bot: url /bot{MASK}/getMe\n")
    assert io.StringIO(out).read().count("\n") == 1


@pytest.mark.parametrize(
    "error",
    [NetworkError("aiohttp.ClientConnectorError: Cannot connect"), InvalidToken("Not Found")],
    ids=["unreachable", "rejected token"],
)
def test_setup_errors_log_as_one_line(error: TelegramError) -> None:
    """An unreachable Bot API or a rejected token is logged as one line, not tracebacks."""
    from bot.logs import SetupErrorsInOneLine

    try:
        raise error
    except TelegramError:
        record = logging.LogRecord(
            "telegram.ext", logging.ERROR, __file__, 1, "Bootstrap failed %s.", ("now",),
            sys.exc_info(),
        )  # fmt: skip
    assert SetupErrorsInOneLine().filter(record)
    assert record.exc_info is None
    text = logging.Formatter().format(record)
    assert text == f"Bootstrap failed now. ({error.message})"


def test_output_streams_mask_the_token_in_prints_and_uncaught_tracebacks() -> None:
    """After redact_output, output that bypasses logging (print, uncaught tracebacks) is masked."""
    code = (
        "from bot.logs import redact_output\n"
        f"token = {TOKEN!r}\n"
        "redact_output(token)\n"
        "print('cannot reach: upstream failed for POST /bot' + token + '/getMe')\n"
        "try:\n"
        "    raise OSError('reset on /bot' + token + '/sendMessage')\n"
        "except OSError as error:\n"
        "    raise RuntimeError('worker failed') from error\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 1
    assert f"/bot{MASK}/getMe" in done.stdout
    assert f"reset on /bot{MASK}/sendMessage" in done.stderr  # the cause, in the traceback
    assert "worker failed" in done.stderr
    for secret in (TOKEN, SECRET):
        assert secret not in done.stdout + done.stderr


def test_job_runs_log_no_scheduler_chatter_but_its_warnings_stay() -> None:
    """A job run (a feed poll) adds no APScheduler INFO lines at INFO; its warnings still show."""
    code = (
        "import asyncio, io, logging\n"
        "from apscheduler.schedulers.asyncio import AsyncIOScheduler\n"
        "from bot.logs import configure_logging\n"
        "from bot.settings import Settings\n"
        "stream = io.StringIO()\n"
        "configure_logging(Settings(log_level='INFO'), stream)\n"
        "async def main():\n"
        "    done = asyncio.Event()\n"
        "    scheduler = AsyncIOScheduler()\n"
        "    scheduler.start()\n"
        "    scheduler.add_job(done.set)\n"
        "    await asyncio.wait_for(done.wait(), 30)\n"
        "    scheduler.shutdown(wait=False)\n"
        "asyncio.run(main())\n"
        "logging.getLogger('bot.live').info('polled a feed')\n"
        "logging.getLogger('apscheduler.scheduler').warning('a job was missed')\n"
        "print(stream.getvalue(), end='')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    lines = out.splitlines()
    assert [line.split(" ", 2)[2] for line in lines] == [
        "INFO bot.live: polled a feed",
        "WARNING apscheduler.scheduler: a job was missed",
    ]
