"""`python -m ... peek`: print the store as JSON while the bot may be running.

Unlike `export` it takes no instance lock and never writes: file stores are read from a copy
of the data directory (so a half-written save is never seen and nothing is created beside the
bot's files); a database is only read. The web chat's store panel calls it after each save.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from . import tagged_json, transfer
from .settings import Settings

SKIPPED = {"bot.lock"}  # the running bot's flock: a copy must not look like a second lock


def peek(settings: Settings) -> dict[str, Any]:
    """The store's data as `export` reads it, from a private copy of the data directory."""
    with tempfile.TemporaryDirectory(prefix="peek-") as scratch:
        copy = Path(scratch) / "data"
        if settings.data_dir.is_dir():
            shutil.copytree(settings.data_dir, copy, ignore=lambda _d, names: SKIPPED & set(names))
        else:
            copy.mkdir()
        changes: dict[str, Any] = {"data_dir": copy}
        database_url = getattr(settings, "database_url", "")
        own_file = f"sqlite:///{settings.data_dir / 'bot.sqlite3'}"
        if database_url == own_file:  # the default SQLite file lives in the data directory
            changes["database_url"] = f"sqlite:///{copy / 'bot.sqlite3'}"
        return asyncio.run(transfer.snapshot(dataclasses.replace(settings, **changes)))


def to_json(data: dict[str, Any]) -> str:
    """JSON only (tagged JSON for values JSON lacks), so a reader never runs code."""
    plain = {
        "user_data": {str(k): v for k, v in data["user_data"].items()},
        "chat_data": {str(k): v for k, v in data["chat_data"].items()},
        "bot_data": data["bot_data"],
        "conversations": {
            name: {json.dumps(list(key)): state for key, state in states.items()}
            for name, states in data["conversations"].items()
        },
    }
    return json.dumps(tagged_json.encode(plain), sort_keys=True, default=str)
