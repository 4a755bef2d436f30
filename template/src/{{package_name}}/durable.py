"""Durable saves a handler can wait for: a confirmation goes out only after its data is written.

PTB's own saves only hand data to the store on a timer. A handler that promises something
("Timer successfully set!") must first know the promise is on disk, and must not hang when the
store does not answer: `save_now` waits a bounded time and says plainly when it could not save.

In write-through mode (BOT_PERSISTENCE_INTERVAL=0) these functions are the only way data
reaches the store: `snapshot` hands the changes of finished updates over together with the
ids of the updates applied (`mark_applied`), and `save_now` writes both in one atomic write
before Telegram is told (checkpoint.Checkpoint calls them).
"""

from __future__ import annotations

import asyncio
import contextlib

from telegram.ext import ContextTypes

from .features import BotApplication
from .persistence import BufferedPersistence, StoreError

# How long a handler waits for a durable save before it gives up (the store is hung or down);
# the write itself goes on, and the store's retries take the changes along. Kept well under a
# webhook request's timeout (the stand-in's relay gives up after 10 s), so /set is not resent.
SAVE_WAIT = 5.0
# Write-through: how many applied update ids the store remembers. Telegram redelivers only
# what was not acknowledged, at most 100 per poll or 40 webhook requests in flight.
KEEP_APPLIED = 1000
SWEEP = 1.0  # write-through: seconds between saves of what jobs changed outside any update


class NotSavedError(StoreError):
    """A save that had to be durable now did not happen: the store failed or did not answer."""


def mark_applied(persistence: BufferedPersistence, update_id: int) -> int:
    """Write-through: list a finished update as applied; returns the snapshots begun so far
    (its changes are in the store's hands once a later one began)."""
    applied = persistence.applied
    applied[update_id] = None
    while len(applied) > KEEP_APPLIED:
        del applied[next(iter(applied))]
    return persistence.snapshots


async def snapshot(application: BotApplication) -> None:
    """Hand the changes of finished updates to the store; in write-through mode with the ids of
    the updates applied (`mark_applied`).

    PTB marks an update's data for saving as the update's last step, and copies marked data
    at the start of update_persistence. The ids are taken right before that copy, and a save
    takes the batch only between two snapshots (`handover`): the store never holds changes
    of an update it does not list as applied, nor lists one whose changes it lacks."""
    persistence = application.persistence
    if not isinstance(persistence, BufferedPersistence) or not persistence.write_through:
        await application.update_persistence()
        return
    async with persistence.handover:
        persistence.snapshots += 1
        ids = list(persistence.applied)
        await application.update_persistence()
        persistence.note_applied(ids)


async def save_now(application: BotApplication) -> None:
    """Hand every change to the store and wait until it is written, not just queued: PTB's
    own saves only hand data over (a stock PTB class gets flush(), allowed mid-run).

    Raises NotSavedError when the store fails or takes over SAVE_WAIT seconds (the write goes
    on in the background, shielded, so two writes never overlap)."""
    await snapshot(application)
    persistence = application.persistence
    if persistence is None:
        return
    write = persistence.save() if isinstance(persistence, BufferedPersistence) else None
    try:
        await asyncio.wait_for(asyncio.shield(write or persistence.flush()), SAVE_WAIT)
    except asyncio.TimeoutError:
        raise NotSavedError(f"the store did not answer within {SAVE_WAIT:g} s") from None
    except Exception as error:
        raise NotSavedError(f"saving failed ({type(error).__name__}: {error})") from error


def register_write_through(application: BotApplication) -> None:
    """Write-through mode: save what jobs changed outside any update every SWEEP seconds
    (PTB's own timer only hands data over then). Interval mode needs nothing."""
    persistence = application.persistence
    if isinstance(persistence, BufferedPersistence) and persistence.write_through:
        assert application.job_queue is not None, "python-telegram-bot[job-queue] is required"
        application.job_queue.run_repeating(_sweep, interval=SWEEP, name="write-through save")


async def _sweep(context: ContextTypes.DEFAULT_TYPE) -> None:
    with contextlib.suppress(NotSavedError):  # the store logs its outage once
        await save_now(context.application)
