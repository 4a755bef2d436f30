"""The buffering every backend shares: PTB's update_* calls land in memory, one thread writes.

PTB calls all update_* of one `Application.update_persistence()` run through asyncio.gather.
Each call only puts the value (PTB's own deep copy, which nobody changes) in a batch keyed
(kind, conversation name, key) and, unless a save is under way, starts one: it waits its turn
(at most one per interval: `_pace`) and hands the whole batch to a worker thread, which encodes
and writes it. Writes never overlap (one lock). A failed write keeps its changes and is retried
on a timer with backoff, logged once per outage and once on recovery. Saved jobs (jobs.py) are
a kind of their own, one entry per job. An interval of 0 is write-through: only
`durable.save_now` writes, with the ids of the updates applied (the "delivery" entry).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import gc
import logging
import math
import time
from abc import abstractmethod
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput

from ._saved_jobs import SavedJobs
from ._stored import (
    Batch,
    BatchKey,
    CDCData,
    ConversationDict,
    ConversationKey,
    Data,
    Stored,
    StoreError,
)

# What backends import from here, the names of _stored included.
__all__ = ["Batch", "BatchKey", "BufferedPersistence", "Data", "StoreError", "Stored"]
logger = logging.getLogger(__name__)
KEPT = "the changes are kept and retried until it works"
RETRY_AFTER = 0.5  # seconds before the first retry of a failed save; doubles up to the interval
WRITE_THROUGH_PTB_INTERVAL = 86_400  # PTB's timer would only hand data over: let it sleep


class BufferedPersistence(BasePersistence[Data, Data, Data]):
    """A BasePersistence whose backend reads everything once and writes batches: its `_read`,
    `_write` and `_close` run in a worker thread (where values are encoded, bad ones caught)."""

    def __init__(self, update_interval: float) -> None:
        self.write_through = update_interval == 0
        interval = update_interval or WRITE_THROUGH_PTB_INTERVAL
        super().__init__(store_data=PersistenceInput(), update_interval=interval)
        self.applied: dict[int, None] = {}  # write-through: latest applied update ids, in order
        self.handover = asyncio.Lock()  # held by durable.snapshot while it hands data over
        self.snapshots = 0  # how many durable.snapshot began (write-through)
        self._stored: Stored | None = None
        self._jobs: SavedJobs | None = None  # the loaded store's, indexed by chat
        self._refused: StoreError | None = None
        self._pending: Batch = {}
        self._last_bot_data: object = None
        self._last_callback_data: object = None
        self._lock = asyncio.Lock()
        self._saving = False  # a _save_soon task runs: it takes every change along
        self._save_began = -math.inf  # time.monotonic() when the last regular save began
        self._hurry = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self.failing_since: float | None = None  # time.time() of the first failed save
        self.writing_since: float | None = None  # time.time() the write in progress began

    @abstractmethod
    def _read(self) -> Stored:
        """Load the whole store (worker thread); raise StoreError if it cannot be used."""

    @abstractmethod
    def _write(self, batch: Batch) -> None:
        """Make `batch` durable, all or nothing (worker thread, never two at once)."""

    def _close(self) -> None:
        """Release connections after a flush (worker thread); the next write reopens them."""

    async def _load(self) -> Stored:
        if self._refused is not None:
            raise self._refused
        if self._stored is None:
            gc.disable()  # a load only allocates: collections would walk it again and again
            try:
                self._stored = await asyncio.to_thread(self._read)
            except StoreError as error:
                self._refused = error  # never write over a store we could not read
                raise
            finally:
                gc.enable()
            gc.freeze()  # it lives as long as the bot: no full collection walks it (100k users)
            self.applied = dict.fromkeys(self._stored.delivery)
            self._jobs = SavedJobs(self._stored.jobs)
        return self._stored

    async def get_user_data(self) -> dict[int, Data]:
        return (await self._load()).user_data

    async def get_chat_data(self) -> dict[int, Data]:
        return (await self._load()).chat_data

    async def get_bot_data(self) -> Data:
        stored = await self._load()
        self._last_bot_data = copy.deepcopy(stored.bot_data)  # PTB mutates its copy in place
        return stored.bot_data

    async def get_callback_data(self) -> CDCData | None:
        stored = await self._load()
        self._last_callback_data = copy.deepcopy(stored.callback_data)
        return stored.callback_data

    async def get_conversations(self, name: str) -> ConversationDict:
        return (await self._load()).conversations.get(name, {})

    def _record(self, key: BatchKey, value: object) -> None:
        self._pending[key] = value
        if self.write_through or self._saving:
            return  # write-through: only durable.save_now writes (data and ids in one write)
        self._saving = True
        task = asyncio.get_running_loop().create_task(self._save_soon())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def jobs(self) -> SavedJobs:
        """The saved job specs by id, read-only: `set_job` and `drop_job` change them."""
        assert self._jobs is not None, "the store is loaded by Application.initialize()"
        return self._jobs

    def set_job(self, job_id: str, spec: Any) -> None:
        """Save a job's spec (a JSON-safe value) as an entry of its own."""
        self.jobs.set(job_id, spec)
        self._record(("jobs", "", job_id), spec)

    def drop_job(self, job_id: str) -> None:  # if saved
        if self._jobs is not None and self._jobs.drop(job_id):
            self._record(("jobs", "", job_id), None)

    async def update_user_data(self, user_id: int, data: Data) -> None:
        self._record(("user_data", "", user_id), data)

    async def update_chat_data(self, chat_id: int, data: Data) -> None:
        self._record(("chat_data", "", chat_id), data)

    async def update_bot_data(self, data: Data) -> None:
        if data != self._last_bot_data:  # PTB calls it on every run: unchanged costs no write
            self._last_bot_data = data
            self._record(("bot_data", "", ""), data)

    async def update_callback_data(self, data: CDCData) -> None:
        if data != self._last_callback_data:
            self._last_callback_data = data
            self._record(("callback_data", "", ""), data)

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        """A conversation that ended (None) is deleted, not stored as None forever."""
        self._record(("conversations", name, key), new_state)

    def note_applied(self, update_ids: list[int]) -> None:
        """Write-through: store `update_ids` as applied, in the same write as their changes."""
        self._record(("delivery", "", ""), update_ids)

    async def drop_user_data(self, user_id: int) -> None:
        self._record(("user_data", "", user_id), None)

    async def drop_chat_data(self, chat_id: int) -> None:
        self._record(("chat_data", "", chat_id), None)

    # Nothing to refresh: this process is the only writer, so memory is already current.
    async def refresh_user_data(self, user_id: int, user_data: Data) -> None: ...
    async def refresh_chat_data(self, chat_id: int, chat_data: Data) -> None: ...
    async def refresh_bot_data(self, bot_data: Data) -> None: ...

    async def _save_soon(self) -> None:
        """Save in turn; while saves fail, retry on a timer with backoff, logging once each way."""
        delay = RETRY_AFTER
        await self._pace()
        while True:
            try:
                await self._save()
            except Exception:
                if self._refused is not None:  # refused at load: the bot must not start
                    self._saving = False
                    return
                await asyncio.sleep(delay)
                delay = min(2 * delay, max(self.update_interval, RETRY_AFTER))
                continue
            if not self._pending:
                self._saving = False  # in the same step as the check: no change slips by
                return
            await self._pace()

    async def _pace(self) -> None:
        """Wait an interval after the last regular save began (PTB hands over early when many
        changes wait, checkpoint.py: a file store must not rewrite itself each time) or flush()."""
        wait = self._save_began + self.update_interval - time.monotonic()
        if wait > 0 and not self._hurry.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._hurry.wait(), wait)
        else:
            await asyncio.sleep(0)  # the other update_* of this hand-over land in the batch
        if self._pending:  # else a durable save or flush() took it: the turn is not used up
            self._save_began = time.monotonic()

    async def _save(self) -> None:
        async with self._lock:
            async with self.handover:  # never between a snapshot's data and its update ids
                batch, self._pending = self._pending, {}
            if not batch:
                return
            try:
                await self._load()  # a full-file store must know the rest before writing
                self.writing_since = time.time()
                await asyncio.to_thread(self._write, batch)
            except BaseException as error:
                self._pending = batch | self._pending  # newer changes win; nothing is lost
                if self.failing_since is None and isinstance(error, Exception):
                    self.failing_since = time.time()
                    why = f"{type(error).__name__}: {error}"
                    logger.error("Saving the bot's data failed (%s); %s", why, KEPT)
                raise
            finally:
                self.writing_since = None
            if self.failing_since is not None:
                logger.warning(
                    "Saving works again after %.0f s of failures; nothing was lost",
                    time.time() - self.failing_since,
                )
                self.failing_since = None

    def unstorable(self) -> list[str]:
        """Values left out of the saves (logged once) as unstorable: "<whose data>: <key>"."""
        return []

    async def save(self) -> None:
        """Wait for the write in progress, write what is left; connections stay open."""
        await self._save()  # the lock waits for a write in progress, never for a retry timer

    async def flush(self) -> None:
        """Called by Application.shutdown(): write everything, then release connections."""
        self._hurry.set()  # a save waiting for its turn goes now (and finds nothing left)
        await self.save()
        self._hurry.clear()
        await asyncio.to_thread(self._close)
