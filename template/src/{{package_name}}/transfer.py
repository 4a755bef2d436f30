"""Move all bot data between persistence backends: `export` from the old store, `import` into
the new one after `copier update --data persistence=<new>` has re-rendered the backend.

Both steps go through python-telegram-bot's BasePersistence methods, so they work for every
backend, the custom one included. The export file is a pickle (any value a backend holds can
travel); it is written atomically and privately. Import refuses a store that already holds
data, verifies the counts by loading the store again, and never touches the old store.
"""

from __future__ import annotations

import asyncio
import os
import pickle
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from telegram.ext import BaseHandler, ConversationHandler

from .app import BotApplication, build_application
from .persistence import StoreError
from .settings import Settings

KINDS = ("user_data", "chat_data", "bot_data", "callback_data", "conversations")
FORMAT = "ptb-bot-export/1"


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
    return {
        "user_data": dict(await persistence.get_user_data()),
        "chat_data": dict(await persistence.get_chat_data()),
        "bot_data": await persistence.get_bot_data(),
        "callback_data": await persistence.get_callback_data(),
        "conversations": {
            name: dict(await persistence.get_conversations(name))
            for name in conversation_names(application)
        },
    }


async def snapshot(settings: Settings) -> dict[str, Any]:
    """`read_store` of the configured store, which is closed again untouched."""
    application = build_application(settings)
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


def write_export(target: Path, data: dict[str, Any]) -> None:
    """Write an export atomically and privately (0600)."""
    payload = pickle.dumps({"format": FORMAT, **data}, protocol=pickle.HIGHEST_PROTOCOL)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")  # 0600
    with os.fdopen(fd, "wb") as file:
        file.write(payload)
        file.flush()
        os.fsync(file.fileno())
    Path(temporary).replace(target)


def read_export(source: Path) -> dict[str, Any]:
    """Load an export written by `write_export`, or say clearly why it cannot be used."""
    try:
        data = pickle.loads(source.read_bytes())
    except FileNotFoundError:
        raise StoreError(
            f"{source} does not exist: run `export` with the old backend first"
        ) from None
    except (pickle.UnpicklingError, EOFError, AttributeError, ValueError) as error:
        raise StoreError(f"{source} is not a readable export ({error}): export again") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise StoreError(f"{source} is not an export written by this bot's `export` command")
    return data


async def fill_store(settings: Settings, data: dict[str, Any]) -> dict[str, int]:
    """Copy exported data into the (empty) configured store, then verify it by reloading."""
    application = build_application(settings)
    persistence = application.persistence
    assert persistence is not None
    try:
        existing = counts(await read_store(application))  # loads it, as PTB does at start
        if any(existing.values()):
            raise StoreError(
                f"the configured store already holds data ({describe(existing)}): import only "
                "into an empty store; move the data directory or database aside first"
            )
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
    finally:
        await persistence.flush()  # writes the import; after a refusal only releases connections
    expected, found = counts(data), counts(await snapshot(settings))
    if expected != found:
        raise StoreError(
            f"verification failed: exported {describe(expected)}, "
            f"but the new store holds {describe(found)}"
        )
    return found


def run_export(settings: Settings, target: Path) -> str:
    """`python -m ... export FILE`: the store is only read."""
    if target.exists():  # checked before reading what may be a large store
        raise StoreError(f"{target} already exists: choose a new file name or remove it first")
    data = asyncio.run(snapshot(settings))
    write_export(target, data)
    return f"exported {describe(counts(data))} to {target}"


def run_import(settings: Settings, source: Path) -> str:
    """`python -m ... import FILE`: fills an empty store; the export file stays as it was."""
    found = asyncio.run(fill_store(settings, read_export(source)))
    return f"imported and verified {describe(found)} from {source}"
