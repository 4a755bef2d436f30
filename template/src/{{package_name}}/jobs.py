"""Jobs that survive restarts: each saved as data (a JSON-safe spec) and run through a registry.

PTB's JobQueue keeps jobs in memory and a callback cannot be saved, so each job is kept twice:
a PTB job that runs it, and a spec (type, UTC due time, chat, user, data) that the store keeps
as an entry of its own (a row on sql and custom), so setting one writes one row however many
are pending. `restore.restore_jobs` (post_init) schedules each spec again at its time, an
overdue one at once with its lateness logged; an unknown `type` stops the start with the fix.
At most once: set, cancel and run wait for a save (save_now); docs/reminders.md.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Coroutine, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, TypedDict

from telegram.ext import ContextTypes

from .durable import NotSavedError, save_now, snapshot
from .features import BotApplication
from .persistence import BufferedPersistence, StoreError
from .upcoming import dequeue, due_time, enqueue, now

logger = logging.getLogger(__name__)

JobCallback = Callable[[ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]

JOBS_KEY = "persistent_jobs"  # where earlier versions kept the specs, in bot_data
# A job running this much after its due time was held up (usually: the bot was down); say so.
LATE_AFTER_SECONDS = 1.0
RUN_RETRY = 5.0  # seconds until a job whose run could not be saved (store down) tries again

JOB_TYPES: dict[str, JobCallback] = {}
JOB_CHECKS: dict[str, Callable[[BotApplication, Any], str | None]] = {}


class JobSpec(TypedDict):
    """One saved job; every value is JSON-safe so that every backend can store it."""

    type: str
    due: str  # ISO 8601 in UTC: readable in the JSON file and the SQL rows
    chat_id: int | None
    user_id: int | None
    data: Any


class JobRestoreError(StoreError):
    """A saved job cannot be scheduled again; the bot refuses to start rather than lose it."""


def job_type(
    name: str, check: Callable[[BotApplication, Any], str | None] | None = None
) -> Callable[[JobCallback], JobCallback]:
    """Register a callback under `name`, saved with each job; `check(application, data)` may
    refuse a saved job at start with advice (e.g. an unknown conversation name)."""

    def register(callback: JobCallback) -> JobCallback:
        known = JOB_TYPES.setdefault(name, callback)
        if known is not callback:
            raise ValueError(f"job type {name!r} is already registered to {known.__qualname__}")
        if check is not None:
            JOB_CHECKS[name] = check
        return callback

    return register


async def discard_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Retire a job type: `job_type("old_name")(discard_job)` drops its saved jobs as they run."""
    logger.info("Dropped saved job %s: its type is retired", context.job and context.job.name)


def saved_jobs(application: BotApplication) -> Mapping[str, JobSpec]:
    """The specs of all pending persistent jobs, keyed by job id (also the PTB job's name)."""
    return store_of(application).jobs


def chat_jobs(application: BotApplication, chat_id: int | None) -> dict[str, JobSpec]:
    """The specs of one chat's pending persistent jobs, keyed by job id."""
    store = store_of(application)
    return {job_id: store.jobs[job_id] for job_id in store.jobs.of_chat(chat_id)}


def store_of(application: BotApplication) -> BufferedPersistence:
    """The store that keeps the saved jobs: the template's persistence."""
    persistence = application.persistence
    if not isinstance(persistence, BufferedPersistence):
        raise RuntimeError("persistent jobs need the template's persistence (build_persistence)")
    return persistence


async def schedule_job(
    application: BotApplication,
    type_name: str,
    when: float | timedelta | datetime,
    *,
    chat_id: int | None = None,
    user_id: int | None = None,
    data: Any = None,
    job_id: str | None = None,
    save: bool = True,
) -> str:
    """Run the `type_name` callback `when` (seconds, a delay, or an aware time); save it first.

    Returns the job id. `data` must be JSON-safe, checked here rather than at the next save.
    A given `job_id` replaces the pending job of that id. `save=False` leaves the write to the
    next interval save: for a job only as durable as the state it belongs to (timeouts).
    """
    if type_name not in JOB_TYPES:
        raise ValueError(f"job type {type_name!r} is not registered: decorate its callback")
    try:
        json.dumps(data)
    except (TypeError, ValueError) as error:
        raise TypeError(f"data of a {type_name!r} job must be JSON-safe: {error}") from error
    if isinstance(when, datetime) and when.tzinfo is None:
        raise ValueError("a job's due time must be timezone-aware, e.g. in timezone.utc")
    delay = when if isinstance(when, (datetime, timedelta)) else timedelta(seconds=when)
    due = delay if isinstance(delay, datetime) else now() + delay
    store = store_of(application)
    if job_id is None:
        job_id = _new_id(type_name, store.jobs)
    else:  # replaces the pending job of that id, if any
        dequeue(application, job_id)
    utc = due.astimezone(timezone.utc).isoformat()
    spec = JobSpec(type=type_name, due=utc, chat_id=chat_id, user_id=user_id, data=data)
    store.set_job(job_id, spec)
    enqueue_saved(application, job_id, spec)
    if save:
        try:
            await save_now(application)
        except NotSavedError:  # not saved, so not set: the caller tells the user
            await cancel_jobs(application, [job_id], save=False)
            await snapshot(application)  # the store's retry must not write it
            raise
    return job_id


async def cancel_jobs(
    application: BotApplication, job_ids: Iterable[str], *, save: bool = True
) -> int:
    """Cancel jobs by id and save at once (unless `save=False`); returns how many were pending."""
    store = store_of(application)
    cancelled = 0
    for job_id in job_ids:
        cancelled += job_id in store.jobs
        store.drop_job(job_id)
        dequeue(application, job_id)
    if cancelled and save:
        await save_now(application)
    return cancelled


async def _run_saved_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Run a saved job at most once: drop its spec, save, then call its registered callback."""
    job = context.job
    if job is None or job.name is None:
        return
    store = store_of(context.application)
    spec = store.jobs.get(job.name)
    if spec is None:  # cancelled while PTB was already starting it
        return
    store.drop_job(job.name)
    late = (now() - due_time(spec)).total_seconds()
    if late > LATE_AFTER_SECONDS:
        what = spec["type"].capitalize().replace("_", " ")
        logger.warning(
            "%s for chat %s is %.1f s late (job %s was due at %s)",
            *(what, spec["chat_id"], late, job.name, spec["due"]),
        )
    try:
        await save_now(context.application)
    except NotSavedError as error:  # run it once the store takes the save: at most once
        store.set_job(job.name, spec)
        await snapshot(context.application)
        enqueue_saved(context.application, job.name, spec, retry_in=RUN_RETRY)
        logger.info("Job %s waits for the store (%s); retry in %g s", job.name, error, RUN_RETRY)
        return
    await JOB_TYPES[spec["type"]](context)


def enqueue_saved(
    application: BotApplication, job_id: str, spec: JobSpec, retry_in: float = 0.0
) -> None:
    """Run the saved job at its due time (or in `retry_in` seconds) through `_run_saved_job`."""
    enqueue(application, job_id, spec, run=_run_saved_job, retry_in=retry_in)


def _new_id(type_name: str, jobs: Mapping[str, JobSpec]) -> str:
    job_id = f"{type_name}-{secrets.token_hex(6)}"
    return job_id if job_id not in jobs else _new_id(type_name, jobs)
