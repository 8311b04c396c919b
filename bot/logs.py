"""Logging set-up for the bot process, built so the bot token can never reach a log line.

The token is part of every Bot API URL, so anything that logs a URL or an exception about a
request would leak it. Three layers stop that: the HTTP client loggers are kept at WARNING (they
log each URL at INFO); a filter on every root handler rewrites each record's message, arguments
and traceback text (chained causes included) with the token masked; and ``redact_output`` puts
the same masking on the process's stdout and stderr, for what reaches them without logging (a
one-line error, an uncaught traceback, a worker process's dying words).
"""

from __future__ import annotations

import io
import logging
import sys
from typing import IO, TextIO, cast

from telegram.error import InvalidToken, NetworkError

from bot.settings import ConfigError, Settings

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MASK = "[token]"
# HTTP client loggers: httpx and httpcore log every request URL at INFO, and the URL holds
# the token; aiohttp is kept as quiet in case it ever does.
NOISY_LOGGERS = ("httpx", "httpcore", "aiohttp")
# At DEBUG these dump whole updates and Bot API parameters, i.e. users' messages and replies
# quoting them; they stay at INFO unless the operator opted in with log_questions.
CHATTY_LOGGERS = ("telegram.Bot", "telegram.ext.ExtBot", "telegram.ext.Application")
# The job queue's scheduler logs four INFO lines per job run, i.e. per feed poll (316 of 401
# lines in a live run): kept at WARNING, so a missed or failed job still shows.
QUIET_LOGGERS = ("apscheduler",)


class TokenRedactingFilter(logging.Filter):
    """Replace the token (and its secret half on its own) in every record that passes."""

    def __init__(self, token: str, *others: str) -> None:
        super().__init__()
        # The secret after the colon identifies the bot as well as the whole token does, so it
        # is masked on its own too; the longest string goes first so the full token wins.
        # ``others`` are more secrets to mask the same way (the webhook's secret token).
        secret = token.partition(":")[2]
        every = {token, secret, *others}
        self.secrets = tuple(s for s in sorted(every, key=len, reverse=True) if s)

    def redact(self, text: str) -> str:
        """Return ``text`` with every occurrence of the token masked."""
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Fold the arguments into the message, mask it, and mask any traceback text."""
        if not self.secrets:
            return True
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            # Formatters reuse a cached exc_text, so filling it here masks what they print.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class RedactingStream(io.TextIOBase):
    """A text stream that masks the token in every string written through it.

    Masking works on each ``write`` call: a token split across two calls would pass, but
    tracebacks, log lines and ``print`` all write a line (or more) at once.
    """

    def __init__(self, inner: IO[str], redactor: TokenRedactingFilter) -> None:
        super().__init__()
        self.inner = inner
        self.redactor = redactor

    def write(self, text: str) -> int:
        """Write ``text`` with the token masked; report the whole of ``text`` as written."""
        self.inner.write(self.redactor.redact(text))
        return len(text)

    def flush(self) -> None:
        """Flush the stream underneath."""
        self.inner.flush()

    def fileno(self) -> int:
        """The descriptor underneath (faulthandler and subprocesses use it)."""
        return self.inner.fileno()

    def isatty(self) -> bool:
        """Whether the stream underneath is a terminal."""
        return self.inner.isatty()

    def writable(self) -> bool:
        """Always: this stream exists to be written to."""
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        """The encoding of the stream underneath."""
        return getattr(self.inner, "encoding", None) or "utf-8"


def redact_output(token: str, *others: str) -> None:
    """Mask ``token`` (and ``others``) in everything this process writes to stdout and stderr
    from now on."""
    redactor = TokenRedactingFilter(token, *others)
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, RedactingStream):
            # sys.stdout and sys.stderr are typed TextIO; any text stream with write() will do.
            setattr(sys, name, cast(TextIO, RedactingStream(stream, redactor)))


class SetupErrorsInOneLine(logging.Filter):
    """Log an unreachable Bot API or a rejected token as one line, not a chained traceback.

    Both are an operator's situation to fix, not a bug: python-telegram-bot logs them with
    nested tracebacks; the cause in one line says all there is.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Fold a ``NetworkError`` or ``InvalidToken`` traceback into the message."""
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, NetworkError | InvalidToken):
            record.msg = f"{record.getMessage()} ({error.message})"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def install_redaction(
    token: str, logger: logging.Logger | None = None, *others: str
) -> TokenRedactingFilter:
    """Add a redacting filter to every handler of ``logger`` (the root logger by default).

    Handler filters see records from every child logger, while a logger's own filters only see
    records logged on that exact logger, so the filter goes on the handlers.
    """
    redactor = TokenRedactingFilter(token, *others)
    for handler in (logger or logging.getLogger()).handlers:
        handler.addFilter(redactor)
    return redactor


def configure_logging(
    settings: Settings, stream: IO[str] | None = None, *, process: str = ""
) -> None:
    """Log to ``stream`` (stderr by default) at ``settings.log_level`` with the token masked.

    Users' messages reach the log only with ``settings.log_questions``. ``process`` names a
    worker process in each of its lines, which share the parent's stderr.
    """
    level = logging.getLevelName(settings.log_level.upper())
    if not isinstance(level, int):
        raise ConfigError(
            f"[logging] level: expected DEBUG, INFO, WARNING or ERROR, got {settings.log_level!r}"
        )
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(stream)
        where = f"[{process}] " if process else ""
        handler.setFormatter(logging.Formatter(FORMAT.replace("%(name)s", where + "%(name)s")))
        root.addHandler(handler)
    root.setLevel(level)
    for name in (*NOISY_LOGGERS, *QUIET_LOGGERS):
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET if settings.log_questions else logging.INFO)
    for each in root.handlers:
        each.addFilter(SetupErrorsInOneLine())  # before redaction, which then sees it all
    install_redaction(settings.token, root, settings.secret_token)
