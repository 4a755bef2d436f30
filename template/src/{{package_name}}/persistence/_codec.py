"""JSON codec of the json, sql and custom backends, with DictPersistence's key conventions.

Values are encoded one changed key at a time, on the loop, when PTB hands them over: a value
JSON cannot hold is reported right then, naming the user or chat and the key, and the last
good value stays stored. The encoded texts ("fragments") are what the stores keep, so a save
never encodes more than what changed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ._buffered import DELETE, Batch, CDCData, Data, StoreError, Stored

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
Row = tuple[str, str, str, str | None]
"""(kind, conversation name or "", key, JSON text or None to delete) - one stored value."""


def encode(what: str, value: object) -> str:
    """JSON text of `value`, or StoreError naming `what` and the key JSON cannot hold."""
    try:
        return _ENCODER.encode(value)
    except (TypeError, ValueError, RecursionError) as error:
        raise StoreError(
            f"cannot save {what}: {_culprit(value)} is not JSON ({error}); store only str, int, "
            "float, bool, None, list and dict (e.g. a datetime as its isoformat() string)"
        ) from None


def _culprit(value: object) -> str:
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str | int | float | bool | None):
                return f"key {key!r} (a {type(key).__name__} key)"
            try:
                _ENCODER.encode(item)
            except (TypeError, ValueError, RecursionError):
                return f"key {key!r} (a {type(item).__name__} value)"
    return f"the {type(value).__name__} value"


def conversation_key(key: tuple[int | str, ...]) -> str:
    """DictPersistence's text form of a conversation key."""
    return json.dumps(list(key))


def rows(batch: Batch) -> list[Row]:
    """The batch as rows; DELETE becomes None."""
    out: list[Row] = []
    for kind, changes in (("user_data", batch.user_data), ("chat_data", batch.chat_data)):
        out += [(kind, "", str(key), _text(value)) for key, value in changes.items()]
    out += [("bot_data", "", "", _text(value)) for value in batch.bot_data.values()]
    out += [("callback_data", "", "", _text(value)) for value in batch.callback_data.values()]
    out += [
        ("conversations", name, conversation_key(key), _text(value))
        for (name, key), value in batch.conversations.items()
    ]
    return out


def _text(value: object) -> str | None:
    if value is DELETE:
        return None
    assert isinstance(value, str)
    return value


def with_int_keys(data: Data) -> Data:
    """Inner keys that look like ints become ints again, as DictPersistence does."""
    return {_int_or_str(key): value for key, value in data.items()}


def _int_or_str(key: str) -> int | str:
    try:
        return int(key)
    except ValueError:
        return key


def callback_data(value: Any) -> CDCData | None:
    """PTB's callback data tuple back from its JSON lists."""
    if value is None:
        return None
    return [(one, float(two), three) for one, two, three in value[0]], value[1]


def stored_from_rows(source: str, found: Iterable[tuple[str, str, str, str]]) -> Stored:
    """Decode stored rows; anything unreadable is a StoreError naming `source`."""
    stored = Stored()
    for kind, name, key, text in found:
        try:
            value = json.loads(text)
            if kind in ("user_data", "chat_data"):
                getattr(stored, kind)[int(key)] = with_int_keys(value)
            elif kind == "bot_data":
                stored.bot_data = value
            elif kind == "callback_data":
                stored.callback_data = callback_data(value)
            else:
                conversations = stored.conversations.setdefault(name, {})
                conversations[tuple(json.loads(key))] = value
        except (ValueError, TypeError, AttributeError, IndexError) as error:
            raise StoreError(
                f"{source} holds an unreadable {kind} entry {key!r} ({error}): restore it from "
                "a backup or fix that entry, then start again"
            ) from None
    return stored
