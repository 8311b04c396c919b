"""The running bot's background work: source polls and alert sends on the application's JobQueue.

Each source with ``every > 0`` has one ``run_once`` job that polls it in a worker thread and
reschedules itself with the tracker's ``next_delay``, so a failing source backs off on its own and
can never stop the others. New passages go through ``after_ingest``, the one entry point shared
by scheduled polls and /ingest: it queues alerts and schedules one send per chat after
``alert_window`` seconds, which is what batches several matches into one message.

Another process may write the store too (``briefbot ingest`` beside the running bot): every
``CATCH_UP_EVERY`` seconds a job indexes what it stored, has the worker processes do the same
and alerts on it, so an operator's ingest becomes searchable without a restart.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from typing import Any

from telegram.ext import Application, CallbackContext, JobQueue

from bot import alerts
from bot.context import BotData, Live, services_in
from bot.render import counted
from bot.settings import Settings, Source
from retrieval import (
    Engine,
    IngestSummary,
    SourceTracker,
)

log = logging.getLogger(__name__)

# A send that failed for a passing reason (network, flood control after retries) is retried.
RETRY_SEND = 60.0
# How often to look for passages another process stored: one cheap query when there are none.
CATCH_UP_EVERY = 30.0

AnyApp = Application[Any, Any, Any, Any, Any, JobQueue[Any]]
AnyContext = CallbackContext[Any, Any, Any, Any]


def open_live(engine: Engine, clock: Callable[[], float] = time.time) -> Live:
    """The background services of a role that runs background work: a source tracker."""
    return Live(tracker=SourceTracker(engine, clock=clock), clock=clock)


def install(
    app: AnyApp,
    settings: Settings,
    engine: Engine,
    *,
    tracker: SourceTracker | None = None,
    clock: Callable[[], float] = time.time,
) -> Live:
    """Replace the application's background services (tests: a fake clock, short timeouts)."""
    services = services_in(app.bot_data)
    if services.live is not None:
        services.live.close()
    live = Live(tracker=tracker or SourceTracker(engine, clock=clock), clock=clock)
    app.bot_data.services = dataclasses.replace(services, live=live)
    return live


def live_in(bot_data: BotData) -> Live:
    """The background services of the application (operators' commands and jobs)."""
    return services_in(bot_data).background()


def _jobs(app: AnyApp) -> JobQueue[Any]:
    if app.job_queue is None:  # only when PTB was installed without its job-queue extra
        raise RuntimeError("the bot needs python-telegram-bot[job-queue] for polls and alerts")
    return app.job_queue


def start(app: AnyApp) -> None:
    """Schedule every repeating source and any alerts a previous run left pending."""
    settings = services_in(app.bot_data).settings
    tracker = live_in(app.bot_data).tracker
    for source in settings.sources:
        if source.every > 0:
            delay = first_delay(tracker, source)
            _jobs(app).run_once(poll_job, delay, data=source, name=f"poll {source.location}")
    for chat_id in services_in(app.bot_data).watches.alerts.chats_with_pending():
        schedule_send(app, chat_id, settings.alert_window)
    _jobs(app).run_repeating(catch_up_job, CATCH_UP_EVERY, name="catch up with the store")


def first_delay(tracker: SourceTracker, source: Source) -> float:
    """Seconds from start to a repeating source's first scheduled poll: one interval (the CLI
    just polled it), or what is left of its back-off if it is failing (kept across restarts)."""
    return tracker.wait(source.location) or source.every


async def catch_up(app: AnyApp) -> int:
    """Index what other processes stored since the engine last looked, here and in the
    workers, and alert on it like on a poll; return how many passages."""
    engine, live = services_in(app.bot_data).engine, live_in(app.bot_data)
    # Read first: a poll ingesting meanwhile only widens the range, and alerts never repeat.
    before = engine.stats()
    since = before.passages
    try:
        added = await live.run(engine.refresh)
    except Exception:
        log.exception("indexing what another process stored failed; trying again later")
        return 0
    pool = services_in(app.bot_data).pool
    if pool is not None and not added and engine.stats().retired != before.retired:
        pool.refresh()  # another process removed articles: the workers mask them too
    if added:
        log.info("indexed %d passages another process stored", added)
        await after_ingest(app, IngestSummary(passages=added, first_passage=since))
    return added


async def catch_up_job(context: AnyContext) -> None:
    """Job callback: ``catch_up``."""
    await catch_up(context.application)


async def poll_source(app: AnyApp, source: Source) -> float:
    """Poll one source now, alert on what it added; return the delay until the next poll."""
    live = live_in(app.bot_data)
    try:
        result = await live.run(live.tracker.poll, source.location, source.every)
    except Exception:
        # StoreError and the like: log it, keep this source scheduled, keep the others going.
        log.exception("polling %s failed", source.location)
        return max(source.every, RETRY_SEND)
    if result.summary is not None and (result.summary.added or result.summary.updated):
        updated = len(result.summary.updated)
        log.info(
            "%s: added %s%s",
            source.location,
            counted(len(result.summary.added), "briefing"),
            f", updated {updated}" if updated else "",
        )
        await after_ingest(app, result.summary)
    return result.next_delay if result.next_delay > 0 else source.every


async def poll_job(context: AnyContext) -> None:
    """Job callback: poll ``job.data`` and schedule the next poll of the same source."""
    job = context.job
    if job is None or not isinstance(job.data, Source):
        return
    delay = await poll_source(context.application, job.data)
    _jobs(context.application).run_once(poll_job, delay, data=job.data, name=job.name)


async def after_ingest(app: AnyApp, summary: IngestSummary) -> list[int]:
    """Tell the worker processes, queue alerts for what ``summary`` added and schedule the
    sends; return the alerted chats."""
    services, live = services_in(app.bot_data), live_in(app.bot_data)
    if services.pool is not None:
        services.pool.refresh()
    chats = await live.run(
        alerts.match_new,
        services.engine,
        services.watches,
        summary,
        services.settings.alert_min_match,
        live.clock(),
    )
    for chat_id in chats:
        schedule_send(app, chat_id, services.settings.alert_window)
    return chats


def send_job_name(chat_id: int) -> str:
    """The one pending send job of a chat; a second match in the window joins it."""
    return f"alerts {chat_id}"


def schedule_send(app: AnyApp, chat_id: int, delay: float) -> None:
    """Send the chat's alerts after ``delay`` seconds unless a send is already scheduled."""
    name = send_job_name(chat_id)
    if any(not job.removed for job in _jobs(app).get_jobs_by_name(name)):
        return
    _jobs(app).run_once(send_job, max(delay, 0.0), chat_id=chat_id, name=name)


async def send_alerts(app: AnyApp, chat_id: int) -> float | None:
    """Send the chat's pending alerts if its hourly cap allows; return when to try again."""
    services, live = services_in(app.bot_data), live_in(app.bot_data)
    try:
        return await alerts.send_pending(
            app.bot, services.watches, chat_id, services.settings.alert_cap_per_hour, live.clock()
        )
    except Exception:
        log.exception("sending alerts to chat %s failed; retrying later", chat_id)
        return RETRY_SEND


async def send_job(context: AnyContext) -> None:
    """Job callback: send ``job.chat_id``'s alerts; reschedule while some must wait."""
    job = context.job
    if job is None or job.chat_id is None:
        return
    app = context.application
    delay = await send_alerts(app, job.chat_id)
    if delay is not None:
        # This job is still running under the same name: schedule past the name check.
        _jobs(app).run_once(send_job, delay, chat_id=job.chat_id, name=job.name)
