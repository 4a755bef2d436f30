"""The buffering every backend shares: PTB's update_* calls land in memory, one thread writes.

PTB calls all update_* of one `Application.update_persistence()` run through asyncio.gather.
Each call only records the change; the first one schedules a save task that yields to the loop
once (so the rest of the run lands too) and then hands the whole batch to a worker thread. So a
run costs one write however many users changed, the event loop never waits for the disk, and
writes never overlap (one lock). A failed write keeps its changes queued for the next one.
"""

from __future__ import annotations

import asyncio
import copy
import gc
import logging
from abc import abstractmethod
from dataclasses import dataclass, field
from typing import Any, Final

from telegram.ext import BasePersistence, PersistenceInput

logger = logging.getLogger(__name__)

# PTB keeps these aliases in a private module; ours say the same.
Data = dict[Any, Any]
ConversationKey = tuple[int | str, ...]
ConversationDict = dict[ConversationKey, object]
CDCData = tuple[list[tuple[str, float, dict[str, Any]]], dict[str, str]]


class StoreError(RuntimeError):
    """The store cannot be used; the message names it and says what to do."""


class _Delete:
    def __repr__(self) -> str:
        return "DELETE"


DELETE: Final = _Delete()
"""A batch value that removes the key from the store."""


@dataclass
class Stored:
    """Everything a store holds, as PTB wants it back at start."""

    user_data: dict[int, Data] = field(default_factory=dict)
    chat_data: dict[int, Data] = field(default_factory=dict)
    bot_data: Data = field(default_factory=dict)
    callback_data: CDCData | None = None
    conversations: dict[str, ConversationDict] = field(default_factory=dict)


@dataclass
class Batch:
    """Changes since the last write; values are what `_encode` made of them, or DELETE."""

    user_data: dict[int, object] = field(default_factory=dict)
    chat_data: dict[int, object] = field(default_factory=dict)
    bot_data: dict[None, object] = field(default_factory=dict)  # {None: value} when changed
    callback_data: dict[None, object] = field(default_factory=dict)
    conversations: dict[tuple[str, ConversationKey], object] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(self.parts())

    def parts(self) -> tuple[dict[Any, object], ...]:
        return (
            self.user_data,
            self.chat_data,
            self.bot_data,
            self.callback_data,
            self.conversations,
        )

    def requeue_under(self, newer: Batch) -> Batch:
        """This (failed) batch with the changes made since on top: nothing is lost."""
        for old, new in zip(self.parts(), newer.parts(), strict=True):
            old.update(new)
        return self


class BufferedPersistence(BasePersistence[Data, Data, Data]):
    """A BasePersistence whose backend only reads everything once and writes batches.

    A backend implements `_read` and `_write` (both run in a worker thread) and may override
    `_encode` (on the loop, per changed key: where bad values are reported), `_prepare` (on
    the loop, turns a batch into what `_write` needs) and `_close` (after the final flush).
    """

    def __init__(self, update_interval: float) -> None:
        super().__init__(store_data=PersistenceInput(), update_interval=update_interval)
        self._stored: Stored | None = None
        self._refused: StoreError | None = None
        self._pending = Batch()
        self._last_bot_data: object = None
        self._last_callback_data: object = None
        self._lock = asyncio.Lock()
        self._save_requested = False
        self._tasks: set[asyncio.Task[None]] = set()

    # -- what a backend provides ----------------------------------------------------------

    @abstractmethod
    def _read(self) -> Stored:
        """Load the whole store (worker thread); raise StoreError if it cannot be used."""

    @abstractmethod
    def _write(self, prepared: Any) -> None:
        """Make `prepared` durable, all or nothing (worker thread, never two at once)."""

    def _encode(self, what: str, value: object) -> object:
        """Turn one changed value into what the store keeps; `what` names it for errors."""
        return value

    def _prepare(self, batch: Batch) -> Any:
        """Turn a batch into `_write`'s argument, on the loop (so nothing changes under it)."""
        return batch

    def _close(self) -> None:
        """Release connections after a flush (worker thread); the next write reopens them."""

    # -- reading ----------------------------------------------------------------------------

    async def _load(self) -> Stored:
        if self._refused is not None:
            raise self._refused
        if self._stored is None:
            try:
                self._stored = await asyncio.to_thread(self._read)
            except StoreError as error:
                self._refused = error  # never write over a store we could not read
                raise
            # The loaded data lives as long as the bot: keep the cyclic collector from walking
            # it in every full collection (100-400 ms pauses of the loop at 100k users).
            gc.freeze()
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

    # -- changes ----------------------------------------------------------------------------

    async def update_user_data(self, user_id: int, data: Data) -> None:
        self._pending.user_data[user_id] = self._encode(f"user_data of user {user_id}", data)
        self._changed()

    async def update_chat_data(self, chat_id: int, data: Data) -> None:
        self._pending.chat_data[chat_id] = self._encode(f"chat_data of chat {chat_id}", data)
        self._changed()

    async def update_bot_data(self, data: Data) -> None:
        # PTB calls this on every run; an unchanged bot_data must not cost a write.
        if data == self._last_bot_data:
            return
        self._pending.bot_data[None] = self._encode("bot_data", data)
        self._last_bot_data = data
        self._changed()

    async def update_callback_data(self, data: CDCData) -> None:
        if data == self._last_callback_data:
            return
        self._pending.callback_data[None] = self._encode("callback_data", data)
        self._last_callback_data = data
        self._changed()

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        what = f"state of conversation {name!r} {key}"
        value = DELETE if new_state is None else self._encode(what, new_state)
        self._pending.conversations[(name, key)] = value
        self._changed()

    async def drop_user_data(self, user_id: int) -> None:
        self._pending.user_data[user_id] = DELETE
        self._changed()

    async def drop_chat_data(self, chat_id: int) -> None:
        self._pending.chat_data[chat_id] = DELETE
        self._changed()

    async def refresh_user_data(self, user_id: int, user_data: Data) -> None:
        """Nothing to do: this process is the only writer, so memory is already current."""

    async def refresh_chat_data(self, chat_id: int, chat_data: Data) -> None:
        """Nothing to do: this process is the only writer, so memory is already current."""

    async def refresh_bot_data(self, bot_data: Data) -> None:
        """Nothing to do: this process is the only writer, so memory is already current."""

    # -- writing ----------------------------------------------------------------------------

    def _changed(self) -> None:
        if self._save_requested:
            return  # the save already scheduled will take this change along
        self._save_requested = True
        task = asyncio.get_running_loop().create_task(self._save_soon())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _save_soon(self) -> None:
        await asyncio.sleep(0)  # let the other update_* of this run land in the same batch
        try:
            await self._save()
        except Exception:
            logger.exception("Saving the bot's data failed; the changes are kept and retried")

    async def _save(self) -> None:
        async with self._lock:
            self._save_requested = False
            batch, self._pending = self._pending, Batch()
            if not batch:
                return
            try:
                await self._load()  # a full-file store must know the rest before writing
                await asyncio.to_thread(self._write, self._prepare(batch))
            except BaseException:
                self._pending = batch.requeue_under(self._pending)
                raise

    async def flush(self) -> None:
        """Wait for the save in progress, write what is left, then release connections."""
        if self._tasks:
            await asyncio.gather(*self._tasks)
        await self._save()
        await asyncio.to_thread(self._close)
