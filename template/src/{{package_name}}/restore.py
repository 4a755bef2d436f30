"""Saved jobs scheduled again at start (post_init), or a start refused with the fix.

Every saved spec is checked first (a registered type, a due time with a UTC offset, integer
ids, the type's own check); one that cannot run stops the start and stays saved. Specs that
earlier versions kept in `bot_data["persistent_jobs"]` then move to entries of their own, in
one save. Jobs due soon go to PTB's JobQueue, the rest wait (upcoming.py).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from .durable import NotSavedError, save_now
from .features import BotApplication
from .jobs import (
    JOB_CHECKS,
    JOB_TYPES,
    JOBS_KEY,
    JobRestoreError,
    enqueue_saved,
    saved_jobs,
    store_of,
)
from .upcoming import due_time, now

logger = logging.getLogger(__name__)


async def restore_jobs(application: BotApplication) -> None:
    """Schedule every saved job again; raise `JobRestoreError` if any cannot be."""
    started = time.perf_counter()
    legacy = _kept_in_bot_data(application)
    jobs = {**saved_jobs(application), **legacy}
    problems: dict[str, list[str]] = {}
    for job_id, spec in jobs.items():
        if problem := _check(application, spec):
            problems.setdefault(problem, []).append(job_id)
    if problems:
        raise JobRestoreError(
            "cannot restore saved jobs: "
            + "; ".join(f"{problem} (jobs {_shorten(ids)})" for problem, ids in problems.items())
        )
    if legacy:  # checked first: a refused start leaves the store as it was
        await _move_from_bot_data(application, legacy)
    overdue = sum(due_time(spec) < now() for spec in jobs.values())
    for job_id, spec in jobs.items():
        enqueue_saved(application, job_id, spec)
    if jobs:
        seconds = time.perf_counter() - started
        logger.info(
            "Restored %d saved job(s) in %.2f s; %d overdue, run now", len(jobs), seconds, overdue
        )


def _kept_in_bot_data(application: BotApplication) -> dict[str, Any]:
    """Specs that earlier versions kept in bot_data, by job id."""
    legacy = application.bot_data.get(JOBS_KEY, {})
    if not isinstance(legacy, dict):
        raise JobRestoreError(
            f"bot_data[{JOBS_KEY!r}] is not a dict of saved jobs: restore it from a backup "
            "or delete it"
        )
    return {str(job_id): spec for job_id, spec in legacy.items()}


async def _move_from_bot_data(application: BotApplication, legacy: dict[str, Any]) -> None:
    """Specs kept in bot_data by earlier versions become entries of their own, in one save."""
    store = store_of(application)
    for job_id, spec in legacy.items():
        store.set_job(job_id, spec)
    del application.bot_data[JOBS_KEY]
    try:
        await save_now(application)  # bot_data without them and the entries: one write
    except NotSavedError as error:  # kept in memory; the store's retries write them
        logger.warning("Saved jobs moved out of bot_data, not saved yet: %s", error)
        return
    logger.info("Moved %d saved job(s) from bot_data to entries of their own", len(legacy))


def _check(application: BotApplication, spec: object) -> str | None:
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
        due_time(spec)
    except (TypeError, ValueError):
        return f"'due' of a {name!r} job is not an ISO 8601 time with a UTC offset: fix it"
    if not all(isinstance(spec[key], (int, type(None))) for key in ("chat_id", "user_id")):
        return f"'chat_id' or 'user_id' of a {name!r} job is not an integer: fix it"
    check = JOB_CHECKS.get(name)
    return check(application, spec.get("data")) if check else None


def _shorten(ids: list[str], limit: int = 3) -> str:
    return ", ".join(ids[:limit]) + (f" and {len(ids) - limit} more" if ids[limit:] else "")
