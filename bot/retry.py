"""Retrying Bot API calls that failed for a passing reason, without ever sending a reply twice.

``RetryingRequest`` wraps the transport (``bot.transport``) and repeats a failed call with
back-off within a bounded budget, but only where repeating cannot duplicate what the user sees.
What a failure says about whether Telegram acted decides that:

================================  =========================  ===============================
failure                           did Telegram act?          repeated for
================================  =========================  ===============================
connection not made (refused,     no: nothing was sent       every method
unreachable, connect timeout)
HTTP 500, 502, 503                no: Telegram answered      every method
                                  that the call failed
HTTP 429 (flood control)          no                         every method, after the wait
                                                             Telegram names (PTB's
                                                             ``AIORateLimiter``, not here)
connection reset or closed after  unknown: the request was   ``REPEATABLE`` methods only,
the request was written, read     written and may have been  whose second call changes
timeout, HTTP 504                 done                       nothing the user sees
================================  =========================  ===============================

So ``sendMessage`` (a new message each time) is repeated after a refused connection or a 5xx
answer, but not after a reset or a read timeout once the request was out: the answer may have
arrived, and a second copy is worse than the rare lost one. The error handler then logs one
line ("may or may not have been done, not repeated") and sends no apology (it could land under
an answer that did arrive). Edits (the same text again changes nothing), the command menu,
``getMe`` and the typing indicator are repeated after any of these failures.
``answerCallbackQuery`` is not: a second answer to one button press is an error at Telegram.

Budgets: a call made while answering gets ``SEND_BUDGET`` (4 attempts, at most 3.5 s of
waiting between them, so a user waits little longer than for a slow answer); ``getMe``,
``setMyCommands`` and ``deleteWebhook``, which only run at start-up, get ``START_BUDGET``
(6 attempts, at most 23 s of waiting), after which ``briefbot run`` exits with one line.
``getUpdates`` is never repeated here: PTB's polling loop already retries it for ever with its
own back-off; ``PollWatch`` only makes that quiet, one line when an outage starts and one when
it ends, instead of a traceback per poll. (PTB's ``bootstrap_retries`` is not used: it covers
``getMe`` but not ``setMyCommands``, and repeats a timeout at once, without waiting.)
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.request import BaseRequest, RequestData

from bot.transport import NotSentError, Timeout

log = logging.getLogger(__name__)

# Answers that mean "the call failed and was not done": repeating it cannot duplicate anything.
NOT_DONE = frozenset({HTTPStatus.INTERNAL_SERVER_ERROR, HTTPStatus.BAD_GATEWAY,
                      HTTPStatus.SERVICE_UNAVAILABLE})  # fmt: skip
# A gateway that gave up waiting cannot tell whether Telegram acted.
MAYBE_DONE = frozenset({HTTPStatus.GATEWAY_TIMEOUT})
# Methods whose second call, after a first one that did arrive, changes nothing users see.
REPEATABLE = frozenset({"getMe", "setMyCommands", "deleteMyCommands", "deleteWebhook",
                        "getUpdates", "editMessageText", "editMessageReplyMarkup",
                        "sendChatAction", "getChat"})  # fmt: skip
# How much of an error page that is not JSON (a proxy's) a log line quotes.
DESCRIBE_CHARS = 200
START_METHODS = frozenset({"getMe", "setMyCommands", "deleteWebhook"})
POLL_METHOD = "getUpdates"


@dataclass(frozen=True, slots=True)
class Budget:
    """How many attempts a call gets and how long to wait before each repeat."""

    attempts: int
    first_delay: float
    max_delay: float

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1-based): doubling, with jitter.

        The jitter (half to all of the doubled delay) keeps the calls of many chats that failed
        together from all coming back at the same instant.
        """
        base = min(self.first_delay * 2.0 ** (attempt - 1), self.max_delay)
        return base * random.uniform(0.5, 1.0)

    def most_seconds(self) -> float:
        """The longest the waits between attempts can add up to."""
        return sum(min(self.first_delay * 2.0**n, self.max_delay) for n in range(self.attempts - 1))


SEND_BUDGET = Budget(attempts=4, first_delay=0.5, max_delay=2.0)
START_BUDGET = Budget(attempts=6, first_delay=1.0, max_delay=8.0)
POLL_BUDGET = Budget(attempts=1, first_delay=0.0, max_delay=0.0)


def budget_for(method: str) -> Budget:
    """The budget of one Bot API method."""
    if method == POLL_METHOD:
        return POLL_BUDGET
    return START_BUDGET if method in START_METHODS else SEND_BUDGET


class NotDoneError(NetworkError):
    """Telegram answered that the call failed (HTTP 500, 502 or 503) on every attempt."""


def may_have_arrived(error: BaseException) -> bool:
    """Whether a call that failed with ``error`` may still have been done by Telegram.

    Only a few failures say for certain that it was not: no connection (``NotSentError``), an
    error answer (``NotDoneError``) and a refusal (``BadRequest``). A reset, a timeout or an
    error from another transport may have come after Telegram acted.
    """
    if not isinstance(error, NetworkError):
        return False
    return not isinstance(error, NotSentError | NotDoneError | BadRequest)


def is_outage(error: BaseException | None) -> bool:
    """Whether ``error`` says Telegram could not be reached or would not act, not a bug here.

    A ``BadRequest`` (PTB makes it a ``NetworkError`` too) is a call Telegram refused as
    malformed: that is a bug, and its traceback is worth logging.
    """
    outage = isinstance(error, NetworkError | RetryAfter | InvalidToken)
    return outage and not isinstance(error, BadRequest)


def failure_line(error: TelegramError) -> str:
    """One line for a call that failed for good: the cause and whether it may have arrived."""
    if isinstance(error, RetryAfter):
        return f"Telegram's flood control still said wait after retries ({error.message})"
    if isinstance(error, InvalidToken):
        return f"Telegram rejected the token ({error.message})"
    if may_have_arrived(error):
        return f"the Bot API call may or may not have been done, not repeated ({error.message})"
    return f"the Bot API call failed on every attempt ({error.message})"


def repeatable(method: str, error: NetworkError | None, status: int | None) -> bool:
    """Whether a call of ``method`` that failed this way (an error or an answer) may be repeated."""
    if status is not None:
        return status in NOT_DONE or (status in MAYBE_DONE and method in REPEATABLE)
    return isinstance(error, NotSentError) or method in REPEATABLE


def description(status: int, body: bytes) -> str:
    """What an error answer says: the Bot API's description, or the start of a proxy's page."""
    text = body.decode("utf-8", "replace")
    try:
        said = json.loads(text).get("description")
    except (ValueError, AttributeError):
        said = " ".join(text.split())[:DESCRIBE_CHARS]  # HTML or text: one line, short
    try:
        phrase = f"{HTTPStatus(status).phrase} ({status})"
    except ValueError:
        phrase = f"HTTP {status}"
    return f"{phrase}: {said}" if said else phrase


class RetryingRequest(BaseRequest):
    """PTB's request seam around another ``BaseRequest``, repeating calls the policy allows."""

    __slots__ = ("inner", "watch")

    def __init__(self, inner: BaseRequest, watch: PollWatch | None = None) -> None:
        self.inner = inner
        self.watch = watch

    @property
    def read_timeout(self) -> float | None:
        """The wrapped request's read timeout."""
        return self.inner.read_timeout

    async def initialize(self) -> None:
        """Initialise the wrapped request."""
        await self.inner.initialize()

    async def shutdown(self) -> None:
        """Shut the wrapped request down."""
        await self.inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        write_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        connect_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        pool_timeout: Timeout = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send the call; repeat it after a failure the policy allows, within its budget."""
        name = url.rsplit("/", 1)[-1]
        budget = budget_for(name)
        watch = self.watch if name == POLL_METHOD else None
        attempt = 1
        while True:
            try:
                status, body = await self.inner.do_request(
                    url, method, request_data, read_timeout, write_timeout, connect_timeout,
                    pool_timeout,
                )  # fmt: skip
            except NetworkError as error:
                if watch is not None:
                    watch.failed(error.message)
                if attempt >= budget.attempts or not repeatable(name, error, None):
                    raise
                reason = error.message
            else:
                if watch is not None and watch.answered(status, body):
                    # The token was just rejected and the bot is stopping: hold this poll
                    # until polling stops it, so PTB's loop ends as on any stop instead of
                    # dying of the error (which would skip the application's shutdown).
                    await asyncio.Future()
                if status < 500:
                    return status, body
                if attempt >= budget.attempts or not repeatable(name, None, status):
                    if status in NOT_DONE:
                        raise NotDoneError(description(status, body))
                    return status, body  # PTB raises a NetworkError: maybe done
                reason = description(status, body)
            delay = budget.delay(attempt)
            log.debug("%s failed (%s); attempt %d of %d in %.1f s",
                      name, reason, attempt + 1, budget.attempts, delay)  # fmt: skip
            await asyncio.sleep(delay)
            attempt += 1


class PollWatch:
    """Logs a polling outage in two lines (its start and its end) instead of once per poll.

    PTB's polling loop retries ``getUpdates`` for ever and hands each failure to the error
    handlers; ``bot.handlers.on_error`` drops those, this class says what matters. A token
    Telegram rejects while running (revoked) is no outage: ``on_rejected`` stops the bot.
    """

    def __init__(self, on_rejected: Callable[[], None] | None = None) -> None:
        self.on_rejected = on_rejected
        self.rejected = False
        self.down_since: float | None = None
        self.failures = 0

    def failed(self, reason: str) -> None:
        """A poll failed: log the first failure of an outage, count the rest."""
        self.failures += 1
        if self.down_since is None:
            self.down_since = time.monotonic()
            log.warning("polling failed (%s); retrying quietly until the Bot API answers", reason)

    def answered(self, status: int, body: bytes) -> bool:
        """A poll got an answer: an error answer continues an outage, any other ends it.

        Returns True for the first answer rejecting the token, after asking the bot to stop.
        """
        if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND):
            if self.rejected:
                return False
            self.rejected = True
            log.error("Telegram rejected the token while polling (%s); stopping",
                      description(status, body))  # fmt: skip
            if self.on_rejected is not None:
                self.on_rejected()
            return True
        if status >= 500:
            self.failed(description(status, body))
        elif self.down_since is not None and status < 300:
            log.warning("polling works again after %.0f s (%d failed poll%s)",
                        time.monotonic() - self.down_since, self.failures,
                        "" if self.failures == 1 else "s")  # fmt: skip
            self.down_since = None
            self.failures = 0
        return False
