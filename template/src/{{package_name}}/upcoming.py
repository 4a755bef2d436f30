"""Saved jobs enter PTB's JobQueue shortly before they are due; later ones wait in a heap.

APScheduler spends some 50 µs adding a job and keeps its jobs in one sorted list, so handing it
100,000 saved reminders would take seconds at every start. Only jobs due within LOOKAHEAD go to
the JobQueue; the rest wait in a heap of (due time, job id), and one wake-up job, half a
LOOKAHEAD before the earliest of them, hands over every job that is then due soon. A job
cancelled or moved while it waits leaves a stale heap entry, skipped when its turn comes.
"""

from __future__ import annotations

import heapq
import math
import time
import weakref
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from telegram.ext import ContextTypes, Job, JobQueue

from .features import BotApplication

LOOKAHEAD = 60.0  # seconds: jobs due within this are in the JobQueue
# APScheduler skips a job more than 1 s late by default; a saved job must run however late.
JOB_KWARGS: dict[str, Any] = {"misfire_grace_time": None}

Runner = Callable[[ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]
Spec = Mapping[str, Any]  # a saved job: "due" (ISO 8601), "data", "chat_id", "user_id"


@dataclass
class _Waiting:
    run: Runner
    specs: dict[str, tuple[float, Spec]] = field(default_factory=dict)  # by job id
    heap: list[tuple[float, str]] = field(default_factory=list)
    wake_at: float = math.inf
    wake: Job[Any] | None = None


_WAITING: weakref.WeakKeyDictionary[BotApplication, _Waiting] = weakref.WeakKeyDictionary()


def enqueue(
    application: BotApplication,
    job_id: str,
    spec: Spec,
    *,
    run: Runner,
    retry_in: float = 0.0,
) -> None:
    """Have `run` called for the job at its due time (or `retry_in` seconds from now)."""
    due = max(due_time(spec), now() + timedelta(seconds=retry_in))
    waiting = _WAITING.setdefault(application, _Waiting(run))
    if due.timestamp() <= time.time() + LOOKAHEAD:
        job_queue(application).run_once(
            waiting.run,
            due,
            data=spec["data"],
            name=job_id,
            chat_id=spec["chat_id"],
            user_id=spec["user_id"],
            job_kwargs=JOB_KWARGS,
        )
        return
    waiting.specs[job_id] = (due.timestamp(), spec)
    heapq.heappush(waiting.heap, (due.timestamp(), job_id))
    _arm(application, waiting)


def dequeue(application: BotApplication, job_id: str) -> None:
    """Take the job out of the JobQueue or the heap (its entry there is skipped)."""
    for job in job_queue(application).get_jobs_by_name(job_id):
        job.schedule_removal()
    waiting = _WAITING.get(application)
    if waiting is None or waiting.specs.pop(job_id, None) is None:
        return
    if not waiting.specs:  # nothing waits: no wake-up either
        if waiting.wake is not None:
            waiting.wake.schedule_removal()
        waiting.heap.clear()
        waiting.wake, waiting.wake_at = None, math.inf


def _arm(application: BotApplication, waiting: _Waiting) -> None:
    """Make sure a wake-up runs half a LOOKAHEAD before the earliest waiting job."""
    if not waiting.heap:
        return
    wake_at = waiting.heap[0][0] - LOOKAHEAD / 2
    if wake_at >= waiting.wake_at:
        return
    if waiting.wake is not None:
        waiting.wake.schedule_removal()
    waiting.wake_at = wake_at
    waiting.wake = job_queue(application).run_once(
        _wake,
        datetime.fromtimestamp(wake_at, timezone.utc),
        name="saved jobs due soon",
        job_kwargs=JOB_KWARGS,
    )


async def _wake(context: ContextTypes.DEFAULT_TYPE) -> None:
    application = context.application
    waiting = _WAITING[application]
    waiting.wake, waiting.wake_at = None, math.inf
    horizon = time.time() + LOOKAHEAD
    while waiting.heap and waiting.heap[0][0] <= horizon:
        due, job_id = heapq.heappop(waiting.heap)
        if waiting.specs.get(job_id, (None,))[0] != due:
            continue  # cancelled or moved meanwhile
        _, spec = waiting.specs.pop(job_id)
        enqueue(application, job_id, spec, run=waiting.run)
    _arm(application, waiting)


def due_time(spec: Spec) -> datetime:
    """The job's due time; ValueError unless it is an ISO 8601 time with a UTC offset."""
    due = datetime.fromisoformat(spec["due"])
    if due.tzinfo is None:
        raise ValueError("naive due time")
    return due


def now() -> datetime:
    return datetime.now(timezone.utc)


def job_queue(application: BotApplication) -> JobQueue[Any]:
    queue: JobQueue[Any] | None = application.job_queue
    if queue is None:
        raise RuntimeError("no JobQueue: install python-telegram-bot[job-queue]")
    return queue
