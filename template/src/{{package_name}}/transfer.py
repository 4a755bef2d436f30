"""Move all bot data between persistence backends: `export` from the old store, `import` into
the new one after `copier update --data persistence=<new>` has re-rendered the backend.

Both steps go through python-telegram-bot's BasePersistence methods, so they work for every
backend, the custom one included. The file (see `export_file`) is safe to read whatever its
origin. Import reads and checks the whole file before it opens the store, refuses a store that
already holds data, writes all or nothing (a failure leaves the store empty, so a retry
works), verifies the counts by loading the store again, and never touches the old store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from telegram.ext import BaseHandler, BasePersistence, ConversationHandler

from . import export_file
from .app import BotApplication, build_application
from .jobs import JOBS_KEY
from .persistence import BufferedPersistence, StoreError
from .settings import Settings, prepare_data_dir

Persistence = BasePersistence[Any, Any, Any]


def conversation_names(application: BotApplication) -> list[str]:
    """Names of every persistent conversation, nested ones included."""

    def walk(handlers: list[BaseHandler[Any, Any, Any]]) -> Iterator[str]:
        for handler in handlers:
            if isinstance(handler, ConversationHandler):
                if handler.persistent and handler.name:
                    yield handler.name
                yield from walk(handler.entry_points + handler.fallbacks)
                for state_handlers in handler.states.values():
                    yield from walk(state_handlers)

    return sorted(set(walk([h for group in application.handlers.values() for h in group])))


async def read_store(application: BotApplication) -> dict[str, Any]:
    """Everything the application's store holds, as python-telegram-bot would load it."""
    persistence = application.persistence
    assert persistence is not None
    bot_data = await persistence.get_bot_data()
    if isinstance(persistence, BufferedPersistence) and (jobs := dict(persistence.jobs)):
        # Saved jobs travel where earlier versions kept them; the new store's first start
        # moves them to entries of their own (jobs.restore_jobs), so old exports still work.
        bot_data = bot_data | {JOBS_KEY: jobs}
    return {
        "user_data": dict(await persistence.get_user_data()),
        "chat_data": dict(await persistence.get_chat_data()),
        "bot_data": bot_data,
        "callback_data": await persistence.get_callback_data(),
        "conversations": {
            name: dict(await persistence.get_conversations(name))
            for name in conversation_names(application)
        },
    }


async def snapshot(settings: Settings) -> dict[str, Any]:
    """`read_store` of the configured store, which is closed again untouched."""
    application = build_application(replace(settings, lazy_load=False))  # all users
    try:
        return await read_store(application)
    finally:
        assert application.persistence is not None
        await application.persistence.flush()  # nothing to write: only releases connections


def counts(data: dict[str, Any]) -> dict[str, int]:
    """How many users, chats, bot_data keys, callback entries and conversation keys."""
    callback = data["callback_data"]
    return {
        "users": len(data["user_data"]),
        "chats": len(data["chat_data"]),
        "bot_data keys": len(data["bot_data"]),
        "callback entries": len(callback[0]) if callback else 0,
        "conversation keys": sum(len(states) for states in data["conversations"].values()),
    }


def describe(numbers: dict[str, int]) -> str:
    return ", ".join(f"{value} {name}" for name, value in numbers.items())


async def fill_store(settings: Settings, data: dict[str, Any]) -> dict[str, int]:
    """Copy exported data into the (empty) configured store, then verify it by reloading."""
    application = build_application(replace(settings, lazy_load=False))  # all users
    persistence = application.persistence
    assert persistence is not None
    try:
        existing = counts(await read_store(application))  # loads it, as PTB does at start
        if any(existing.values()):
            raise StoreError(
                f"the configured store already holds data ({describe(existing)}): import only "
                "into an empty store; move the data directory or database aside first"
            )
        try:
            await write_all(persistence, data)
            if isinstance(persistence, BufferedPersistence):
                await persistence.save()  # values are checked as they are written
                # The store saved the rest and left these out: an import is all or nothing.
                if persistence.unstorable():
                    raise StoreError(f"cannot save {persistence.unstorable()[0]} in this store")
        except Exception as error:
            await drop_all(persistence, data)  # the store stays empty
            raise StoreError(
                f"{error}; nothing was imported, the store is still empty: change that value "
                "in the old store, export again and import again"
            ) from None
    finally:
        await persistence.flush()  # writes the import; after a refusal only releases connections
    expected, found = counts(data), counts(await snapshot(settings))
    if expected != found:
        raise StoreError(
            f"verification failed: exported {describe(expected)}, "
            f"but the new store holds {describe(found)}"
        )
    return found


async def write_all(persistence: Persistence, data: dict[str, Any]) -> None:
    """Hand every exported entry to the store through PTB's update_* methods."""
    for user_id, user_data in data["user_data"].items():
        await persistence.update_user_data(user_id, user_data)
    for chat_id, chat_data in data["chat_data"].items():
        await persistence.update_chat_data(chat_id, chat_data)
    await persistence.update_bot_data(data["bot_data"])
    if data["callback_data"] is not None:
        await persistence.update_callback_data(data["callback_data"])
    for name, states in data["conversations"].items():
        for key, state in states.items():
            await persistence.update_conversation(name, key, state)


async def drop_all(persistence: Persistence, data: dict[str, Any]) -> None:
    """Undo `write_all`, even half-way through: whatever it wrote is removed again."""
    for user_id in data["user_data"]:
        await persistence.drop_user_data(user_id)
    for chat_id in data["chat_data"]:
        await persistence.drop_chat_data(chat_id)
    await persistence.update_bot_data({})
    if data["callback_data"] is not None:
        await persistence.update_callback_data(([], {}))
    for name, states in data["conversations"].items():
        for key in states:
            await persistence.update_conversation(name, key, None)


def run_export(settings: Settings, target: Path, unsafe_pickle: bool = False) -> str:
    """`python -m ... export FILE`: the store is only read."""
    if target.exists():  # checked before reading what may be a large store
        raise StoreError(f"{target} already exists: choose a new file name or remove it first")
    data = asyncio.run(snapshot(settings))
    numbers = counts(data)
    export_file.write(target, data, numbers, unsafe_pickle)
    return f"exported {describe(numbers)} to {target}"


def run_import(settings: Settings, source: Path, unsafe_pickle: bool = False) -> str:
    """`python -m ... import FILE`: fills an empty store; the export file stays as it was."""
    data = export_file.read(source, unsafe_pickle)  # all of it checked before the store opens
    announced = data.pop("counts", None)
    if announced is not None and announced != counts(data):
        raise StoreError(
            f"{source} is incomplete: its header announces {describe(announced)}, but it holds "
            f"{describe(counts(data))}; nothing was imported: export again"
        )
    prepare_data_dir(settings.data_dir)  # SettingsError if the bot could not write there
    found = asyncio.run(fill_store(settings, data))
    return f"imported and verified {describe(found)} from {source}"
