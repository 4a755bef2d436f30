"""Between "these updates were handled" and "tell Telegram so": where write-through happens.

See docs/persistence-model.md for what each mode promises after a crash.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import durable
from .features import BotApplication
from .persistence import BufferedPersistence


class Checkpoint:
    """Between "these updates were handled" and "tell Telegram so".

    In interval mode every method returns at once: the regular save stores the changes. In
    write-through mode (BOT_PERSISTENCE_INTERVAL=0) the Scheduler tells `handled` each update
    that finished and, before the next update of the same chat starts, `before_next` hands the
    changes over (unless a snapshot already did): a chat's half-done next update never rides
    along with its predecessor's changes. Sources await `before_acknowledge` before they
    acknowledge: one snapshot and one atomic write of everything finished meanwhile (a group
    commit). Sources skip updates the store lists as `applied`: not repeated after a crash.
    """

    def __init__(self, application: BotApplication) -> None:
        self._application = application

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
        that moment, for `before_next`."""
        persistence = self._write_through
        return None if persistence is None else durable.mark_applied(persistence, update_id)

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
