"""Between "these updates were handled" and "tell Telegram so": where write-through happens,
and where a busy bot hands its changes to the store early.

See docs/persistence-model.md for what each mode promises after a crash.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from . import durable
from .features import BotApplication
from .persistence import BufferedPersistence

logger = logging.getLogger(__name__)

# Interval mode: PTB hands an interval's changes to the store in one pass of the event loop (a
# deep copy and an update_* call per changed user and chat); 20,000 blocked it for 0.2-0.4 s
# (docs/backends.md). Once this many wait, the next finished update starts a hand-over early.
HANDOVER_AT = 500
# Where PTB keeps the users and chats it will hand over (since v20; test_checkpoint.py fails
# if a release renames them, and until then hand-overs simply wait for PTB's timer again).
_PENDING = ("_user_ids_to_be_updated_in_persistence", "_chat_ids_to_be_updated_in_persistence")


def pending_changes(application: BotApplication) -> int:
    """Users and chats whose data PTB hands to the store at its next update_persistence."""
    return sum(len(getattr(application, name, ())) for name in _PENDING)


class Checkpoint:
    """Between "these updates were handled" and "tell Telegram so".

    In interval mode every method returns at once: the regular save stores the changes, and
    `handled` starts a hand-over early once HANDOVER_AT changes wait, so none is long. In
    write-through mode (BOT_PERSISTENCE_INTERVAL=0) the Scheduler tells `handled` each update
    that finished and, before the next update of the same chat starts, `before_next` hands the
    changes over (unless a snapshot already did): a chat's half-done next update never rides
    along with its predecessor's changes. Sources await `before_acknowledge` before they
    acknowledge: one snapshot and one atomic write of everything finished meanwhile (a group
    commit). Sources skip updates the store lists as `applied`: not repeated after a crash.
    """

    def __init__(self, application: BotApplication) -> None:
        self._application = application
        self._early: asyncio.Task[None] | None = None  # the early hand-over in progress

    @property
    def _write_through(self) -> BufferedPersistence | None:
        persistence = self._application.persistence
        if isinstance(persistence, BufferedPersistence) and persistence.write_through:
            return persistence
        return None

    def applied(self, update_id: int) -> bool:
        """Whether the update's changes were stored before (write-through mode only)."""
        persistence = self._write_through
        return persistence is not None and update_id in persistence.applied

    def handled(self, update_id: int) -> int | None:
        """Note a finished update as applied (write-through); returns the snapshot count at
        that moment, for `before_next`. Interval mode: hand over early if many changes wait."""
        persistence = self._write_through
        if persistence is not None:
            return durable.mark_applied(persistence, update_id)
        if (self._early is None or self._early.done()) and (
            pending_changes(self._application) >= HANDOVER_AT
        ):
            self._early = asyncio.create_task(self._hand_over(), name="early hand-over")
        return None

    async def _hand_over(self) -> None:
        try:
            await self._application.update_persistence()  # PTB's lock: never two at once
        except Exception:  # PTB sends the store's own errors to the error handler
            logger.exception("Handing the changes over to the store failed")

    async def before_next(self, epoch: int | None) -> None:
        """Before a chat's next update: hand its previous update's changes over, unless a
        snapshot began since that update finished (`epoch`, from `handled`)."""
        persistence = self._write_through
        if persistence is not None and epoch is not None and persistence.snapshots == epoch:
            await durable.snapshot(self._application)

    async def before_acknowledge(self, update_ids: Sequence[int]) -> None:
        """Return once `update_ids` may be forgotten by Telegram; NotSavedError if not."""
        if self._write_through is not None:
            await durable.save_now(self._application)
