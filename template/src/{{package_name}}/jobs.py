"""Jobs that survive restarts: each one saved as data and found again through a registry.

PTB's JobQueue keeps jobs in memory, and a callback cannot be saved as JSON or SQL. So each
persistent job is kept twice: as a PTB job that runs it, and as a JSON-safe *spec* in
`bot_data["persistent_jobs"]`, which every persistence backend saves like other data:

    "reminder-3f9c0a1b2d4e": {"type": "reminder", "due": "2026-11-26T19:40:00.5+00:00",
                              "chat_id": 1001, "user_id": 42, "data": {"seconds": 30.0}}

`type` names a callback registered with `@job_type`; `restore_jobs` (run from post_init, when
persistence is loaded and the scheduler not yet started) schedules every spec again at its
original time, and one that fell due while the bot was down at once, logging how late it is.
Why bot_data and not chat_data: PTB saves it at every interval without marking ids, a restart
reads one dict, and a job need not belong to a chat. (All specs are one value, rewritten when
any changes: fine for thousands of pending jobs, not for millions.)

Delivery is at most once. Scheduling, cancelling and running a job each wait until the store
has *written* the change (`save_now`), and a job's spec is removed before its callback runs.
So a confirmed reminder survives a crash right after the confirmation, and a crash can never
repeat a job or revive a cancelled one; a crash between that write and the callback's message
loses that one run.

A job type of your own takes one registration line; schedule it from any handler:

    @job_type("digest")
    async def send_digest(context: ContextTypes.DEFAULT_TYPE) -> None: ...

    await schedule_job(context.application, "digest", 3600, chat_id=chat_id, data={...})

The callback sees `context.job.data` (the payload), `.chat_id`, `.user_id` and `.name` (the
job id). The type name is what is saved, so renaming the function is safe. A saved job whose
type is no longer registered stops the next start with an error naming it and the fix (the job
is kept); `job_type("old_name")(discard_job)` retires a type and drops its jobs.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Coroutine, Iterable
from datetime import datetime, timedelta, timezone
from typing import Any, TypedDict

from telegram.ext import Application, ContextTypes, JobQueue

from .persistence import StoreError

logger = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
JobCallback = Callable[[ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]

JOBS_KEY = "persistent_jobs"
# A job running this much after its due time was held up (usually: the bot was down); say so.
LATE_AFTER_SECONDS = 1.0
# APScheduler skips a job more than 1 s late by default; a saved job must run however late.
JOB_KWARGS: dict[str, Any] = {"misfire_grace_time": None}

JOB_TYPES: dict[str, JobCallback] = {}


class JobSpec(TypedDict):
    """One saved job; every value is JSON-safe so that every backend can store it."""

    type: str
    due: str  # ISO 8601 in UTC: readable in the JSON file and the SQL rows
    chat_id: int | None
    user_id: int | None
    data: Any


class JobRestoreError(StoreError):
    """A saved job cannot be scheduled again; the bot refuses to start rather than lose it."""


def job_type(name: str) -> Callable[[JobCallback], JobCallback]:
    """Register a job callback under `name`, the name saved with each of its jobs."""

    def register(callback: JobCallback) -> JobCallback:
        known = JOB_TYPES.setdefault(name, callback)
        if known is not callback:
            raise ValueError(f"job type {name!r} is already registered to {known.__qualname__}")
        return callback

    return register


async def discard_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Retire a job type: `job_type("old_name")(discard_job)` drops its saved jobs as they run."""
    name = context.job.name if context.job else None
    logger.info("Dropped saved job %s: its type is retired", name)


def saved_jobs(application: AnyApplication) -> dict[str, JobSpec]:
    """The specs of all pending persistent jobs, keyed by job id (also the PTB job's name)."""
    jobs: dict[str, JobSpec] = application.bot_data.setdefault(JOBS_KEY, {})
    return jobs


async def schedule_job(
    application: AnyApplication,
    type_name: str,
    when: float | timedelta | datetime,
    *,
    chat_id: int | None = None,
    user_id: int | None = None,
    data: Any = None,
) -> str:
    """Run the `type_name` callback `when` (seconds, a delay, or an aware time); save it first.

    Returns the job id. `data` must be JSON-safe, checked here rather than at the next save.
    """
    if type_name not in JOB_TYPES:
        raise ValueError(f"job type {type_name!r} is not registered: decorate its callback")
    try:
        json.dumps(data)
    except (TypeError, ValueError) as error:
        raise TypeError(f"data of a {type_name!r} job must be JSON-safe: {error}") from error
    if isinstance(when, datetime):
        if when.tzinfo is None:
            raise ValueError("a job's due time must be timezone-aware, e.g. in timezone.utc")
        due = when
    else:
        due = _now() + (when if isinstance(when, timedelta) else timedelta(seconds=when))
    jobs = saved_jobs(application)
    job_id = f"{type_name}-{secrets.token_hex(6)}"
    while job_id in jobs:
        job_id = f"{type_name}-{secrets.token_hex(6)}"
    spec = JobSpec(
        type=type_name,
        due=due.astimezone(timezone.utc).isoformat(),
        chat_id=chat_id,
        user_id=user_id,
        data=data,
    )
    jobs[job_id] = spec
    _add_to_queue(application, job_id, spec)
    await save_now(application)
    return job_id


async def cancel_jobs(application: AnyApplication, job_ids: Iterable[str]) -> int:
    """Cancel jobs by id and save at once; returns how many were pending."""
    jobs = saved_jobs(application)
    queue = _job_queue(application)
    cancelled = 0
    for job_id in job_ids:
        cancelled += jobs.pop(job_id, None) is not None
        for job in queue.get_jobs_by_name(job_id):
            job.schedule_removal()
    if cancelled:
        await save_now(application)
    return cancelled


async def save_now(application: AnyApplication) -> None:
    """Hand every change to the store and wait until it is written, not just queued.

    PTB's own saves only hand data over; flush() is what waits for the write. The template's
    stores allow it mid-run (they reopen on the next write); PTB's stock classes do too.
    """
    await application.update_persistence()
    if application.persistence is not None:
        await application.persistence.flush()


async def restore_jobs(application: AnyApplication) -> None:
    """Schedule every saved job again; raise `JobRestoreError` if any cannot be."""
    jobs = saved_jobs(application)
    problems: dict[str, list[str]] = {}
    for job_id, spec in jobs.items():
        problem = _check(spec)
        if problem:
            problems.setdefault(problem, []).append(job_id)
    if problems:
        raise JobRestoreError(
            f"cannot restore saved jobs in bot_data[{JOBS_KEY!r}]: "
            + "; ".join(f"{problem} (jobs {_shorten(ids)})" for problem, ids in problems.items())
        )
    now = _now()
    overdue = sum(_due(spec) < now for spec in jobs.values())
    for job_id, spec in jobs.items():
        _add_to_queue(application, job_id, spec)
    if jobs:
        logger.info("Restored %d saved job(s); %d overdue, run now", len(jobs), overdue)


async def _run_saved_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Run a saved job at most once: drop its spec, save, then call its registered callback."""
    job = context.job
    if job is None or job.name is None:
        return
    spec = saved_jobs(context.application).pop(job.name, None)
    if spec is None:  # cancelled while PTB was already starting it
        return
    late = (_now() - _due(spec)).total_seconds()
    if late > LATE_AFTER_SECONDS:
        logger.warning(
            "%s for chat %s is %.1f s late (job %s was due at %s)",
            spec["type"].capitalize(),
            spec["chat_id"],
            late,
            job.name,
            spec["due"],
        )
    await save_now(context.application)
    await JOB_TYPES[spec["type"]](context)


def _add_to_queue(application: AnyApplication, job_id: str, spec: JobSpec) -> None:
    _job_queue(application).run_once(
        _run_saved_job,
        max(_due(spec), _now()),
        data=spec["data"],
        name=job_id,
        chat_id=spec["chat_id"],
        user_id=spec["user_id"],
        job_kwargs=JOB_KWARGS,
    )


def _job_queue(application: AnyApplication) -> JobQueue[Any]:
    queue: JobQueue[Any] | None = application.job_queue
    if queue is None:
        raise RuntimeError("no JobQueue: install python-telegram-bot[job-queue]")
    return queue


def _check(spec: object) -> str | None:
    """Why `spec` cannot be scheduled, as advice a developer can act on; None if it can."""
    if not isinstance(spec, dict) or not {"type", "due", "chat_id", "user_id"} <= spec.keys():
        return "an entry is not a job spec: restore it from a backup or delete it"
    name = spec["type"]
    if name not in JOB_TYPES:
        return (
            f"job type {name!r} is not registered: put @job_type({name!r}) on the function "
            f"that should run it, or retire the type with job_type({name!r})(discard_job)"
        )
    try:
        _due(spec)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return f"'due' of a {name!r} job is not an ISO 8601 time with a UTC offset: fix it"
    if not all(isinstance(spec[key], (int, type(None))) for key in ("chat_id", "user_id")):
        return f"'chat_id' or 'user_id' of a {name!r} job is not an integer: fix it"
    return None


def _due(spec: JobSpec) -> datetime:
    due = datetime.fromisoformat(spec["due"])
    if due.tzinfo is None:
        raise ValueError("naive due time")
    return due


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _shorten(ids: list[str], limit: int = 3) -> str:
    more = f" and {len(ids) - limit} more" if len(ids) > limit else ""
    return ", ".join(ids[:limit]) + more
