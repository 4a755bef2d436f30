"""Durable saves a handler can wait for: a confirmation goes out only after its data is written.

PTB's own saves only hand data to the store on a timer. A handler that promises something
("Timer successfully set!") must first know the promise is on disk, and must not hang when the
store does not answer: `save_now` waits a bounded time and says plainly when it could not save.
"""

from __future__ import annotations

import asyncio

from .features import BotApplication
from .persistence import BufferedPersistence, StoreError

# How long a handler waits for a durable save before it gives up (the store is hung or down);
# the write itself goes on, and the store's retries take the changes along. Kept well under a
# webhook request's timeout (the stand-in's relay gives up after 10 s), so /set is not resent.
SAVE_WAIT = 5.0


class NotSavedError(StoreError):
    """A save that had to be durable now did not happen: the store failed or did not answer."""


async def save_now(application: BotApplication) -> None:
    """Hand every change to the store and wait until it is written, not just queued: PTB's
    own saves only hand data over (a stock PTB class gets flush(), allowed mid-run).

    Raises NotSavedError when the store fails or takes over SAVE_WAIT seconds (the write goes
    on in the background, shielded, so two writes never overlap)."""
    await application.update_persistence()
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
