"""Polling that acknowledges only handled updates: the fetch loop `delivery.run` drives.

getUpdates(offset) tells Telegram to forget every update below `offset`, so `offset` moves only
past the longest run of fetched updates whose handlers have all finished. Everything after it
(running, waiting behind its chat, or fetched when a SIGKILL hits) is delivered again. Telegram
returns at most `LIMIT` updates from `offset` on, so at most that many are in flight; while a
window is busy the loop asks again only when half of it is done, or after `PEEK` seconds.
In write-through mode the checkpoint saves before each acknowledgement; while the store fails,
the loop keeps fetching (so handlers keep answering) without moving `offset`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Sequence

from telegram import Update
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError

from .checkpoint import Checkpoint
from .delivery import Scheduler, fail
from .features import BotApplication
from .persistence import StoreError
from .startup import seconds

logger = logging.getLogger(__name__)

LIMIT = 100  # Telegram's maximum per getUpdates
LONG_POLL = 10  # seconds a getUpdates waits when nothing is in flight (run_polling's default)
PEEK = 0.2  # seconds between polls while handlers run, for updates of other chats
MAX_BACKOFF = 30.0
ACK_RETRY = 1.0  # seconds between tries to acknowledge while write-through saves fail


class Poller:
    """A `delivery.Source` over getUpdates; `scheduler` and `checkpoint` may be replaced."""

    def __init__(
        self,
        application: BotApplication,
        scheduler: Scheduler | None = None,
        checkpoint: Checkpoint | None = None,
        allowed_updates: Sequence[str] = Update.ALL_TYPES,
    ) -> None:
        self.error: BaseException | None = None
        self._bot = application.bot
        self._checkpoint = checkpoint or Checkpoint(application)
        self._scheduler = scheduler or Scheduler(application, self._checkpoint)
        self._allowed = list(allowed_updates)
        self._pending: dict[int, bool] = {}  # fetched, unacknowledged ids in order -> handled
        self._offset: int | None = None
        self._fresh = False  # the last fetch brought new updates
        self._polled = False  # a getUpdates succeeded: a 409 after it is retried, not fatal
        self._unsaved = False  # the last acknowledgement waited for a save that failed
        self._progress = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None

    async def start(self) -> None:
        await self._bot.delete_webhook()  # polling and a webhook exclude each other
        self._task = asyncio.create_task(self._loop(), name="polling")

    async def stop(self) -> None:
        """Stop fetching, let running handlers finish (bounded), acknowledge what finished."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        left = await self._scheduler.close()
        try:
            await self._acknowledge()  # at most SAVE_WAIT in write-through mode
            if self._offset is not None:
                await self._bot.get_updates(
                    offset=self._offset, limit=1, timeout=0, allowed_updates=self._allowed
                )
        except TelegramError as error:
            logger.warning("Could not acknowledge the last handled updates (%s)", error)
        logger.info("Polling stopped; %d fetched updates left for the next start", left)

    async def _loop(self) -> None:
        backoff = 1.0
        while True:
            await self._room()
            if not await self._acknowledge():
                await asyncio.sleep(ACK_RETRY)  # not saved, so not acknowledged: fetch anyway
            try:
                updates = await self._fetch()
            except InvalidToken as error:
                fail(self, error)
                return
            except RetryAfter as error:
                logger.warning("Telegram asks to wait: %s", error)
                await asyncio.sleep(seconds(error.retry_after) + 0.5)
                continue
            except TelegramError as error:  # network trouble, 5xx, a later Conflict: retry
                if isinstance(error, Conflict) and not self._polled:
                    fail(self, error)  # at start: another instance polls; __main__ says so
                    return
                logger.warning("getUpdates failed, retrying in %g s: %s", backoff, error)
                await asyncio.sleep(backoff)
                backoff = min(MAX_BACKOFF, backoff * 1.5)
                continue
            except Exception:  # data Telegram sent that PTB cannot read: log, never spin
                logger.exception("Could not read the updates Telegram sent; retrying")
                await asyncio.sleep(backoff)
                continue
            backoff = 1.0
            self._polled = True
            self._take(updates)

    def _take(self, updates: Sequence[Update]) -> None:
        self._fresh = False
        skipped = 0
        for update in updates:
            update_id = update.update_id
            if update_id in self._pending or (self._offset or 0) > update_id:
                continue  # still in flight from an earlier fetch
            self._fresh = True
            if self._checkpoint.applied(update_id):  # stored before a crash: not again
                skipped += 1
                self._pending[update_id] = True
                continue
            self._pending[update_id] = False
            task = self._scheduler.submit(update)
            task.add_done_callback(functools.partial(self._finished, update_id))
        if skipped:
            logger.info("Skipped %d updates applied before the restart", skipped)

    def _finished(self, update_id: int, task: asyncio.Task[bool]) -> None:
        if update_id in self._pending and not task.cancelled() and task.result():
            self._pending[update_id] = True
            self._progress.set()

    def _handled_prefix(self) -> list[int]:
        done: list[int] = []
        for update_id, handled in self._pending.items():
            if not handled:
                break
            done.append(update_id)
        return done

    async def _room(self) -> None:
        """Wait until a fetch can bring something new: no busy loop over in-flight updates."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + PEEK
        while True:
            busy = len(self._pending) - len(self._handled_prefix())
            remaining = deadline - loop.time()
            if busy == 0 or (self._fresh and busy <= LIMIT // 2):
                return
            if remaining <= 0 and busy < LIMIT:
                return
            self._progress.clear()
            # A timer, not asyncio.wait_for: before Python 3.12 that can swallow a cancellation.
            timer = loop.call_later(remaining, self._progress.set) if busy < LIMIT else None
            try:
                await self._progress.wait()
            finally:
                if timer is not None:
                    timer.cancel()

    async def _acknowledge(self) -> bool:
        """Move `offset` past the handled prefix once the checkpoint allows; False if not."""
        done = self._handled_prefix()
        if not done:
            return True
        try:
            await self._checkpoint.before_acknowledge(done)
        except StoreError as error:  # logged once per outage, like the store's own failures
            if not self._unsaved:
                logger.warning("Handled updates stay unacknowledged until saved: %s", error)
            self._unsaved = True
            return False
        self._unsaved = False
        for update_id in done:
            del self._pending[update_id]
        self._offset = done[-1] + 1
        return True

    async def _fetch(self) -> tuple[Update, ...]:
        updates: tuple[Update, ...] = await self._bot.get_updates(
            offset=self._offset,
            limit=LIMIT,
            timeout=0 if self._pending else LONG_POLL,
            allowed_updates=self._allowed,
        )
        return updates
