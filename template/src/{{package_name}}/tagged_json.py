"""Tagged JSON: the values a store holds, as JSON that is safe to read from anywhere.

Decoding never runs code: the few non-JSON types come back from a fixed list of tags, never
from a class name in the data, and anything else is refused when encoding, saying where it is.
Plain JSON stays as it is, except for these one-key objects: {"$tuple": [...]}, {"$set": [...]},
{"$frozenset": [...]}, {"$bytes": BASE64}, {"$datetime": ISO or [ISO, ZONE]}, {"$date": ISO},
{"$time": ISO}, {"$timedelta": [DAYS, SECONDS, MICROSECONDS]}, {"$float": "nan"/"inf"/"-inf"}
and {"$dict": [[KEY, VALUE], ...]} for a dict whose keys are not all strings (or start with $).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

SAFE_TYPES = "str, int, float, bool, None, list, dict, tuple, set, bytes, datetime, timedelta"


class UnrepresentableError(ValueError):
    """A value the format cannot hold; `path` says where it is inside the stored value."""

    def __init__(self, path: str, value: object) -> None:
        super().__init__(f"{path or 'the value'} holds a {type(value).__qualname__}")


def encode(value: object, path: str = "") -> Any:
    """`value` as JSON-ready data with tags; raises UnrepresentableError for anything else."""
    # Exact types: a subclass (an enum, a defaultdict) would not come back as what it was.
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value
    if isinstance(value, float) and kind is float:
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, list) and kind is list:
        return [encode(item, f"{path}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, dict) and kind is dict:
        if all(isinstance(key, str) and not key.startswith("$") for key in value):
            return {key: encode(item, f"{path}[{key!r}]") for key, item in value.items()}
        pairs = [[encode(k, path), encode(v, f"{path}[{k!r}]")] for k, v in value.items()]
        return {"$dict": pairs}
    tagged = _TAGGERS.get(kind)
    if tagged is None:
        raise UnrepresentableError(path, value)
    tag, make = tagged
    return {tag: make(value, path)}


def _zone(moment: dt.datetime | dt.time, path: str) -> str | None:
    zone = moment.tzinfo
    if zone is None or isinstance(zone, dt.timezone):
        return None  # isoformat() keeps a fixed offset
    if isinstance(zone, ZoneInfo):
        return zone.key
    raise UnrepresentableError(path, zone)


def _datetime(moment: dt.datetime, path: str) -> object:
    zone = _zone(moment, path)
    return moment.isoformat() if zone is None else [moment.isoformat(), zone]


def _time(moment: dt.time, path: str) -> str:
    if _zone(moment, path) is not None:
        raise UnrepresentableError(path, moment.tzinfo)
    return moment.isoformat()


_TAGGERS: dict[type, tuple[str, Callable[[Any, str], object]]] = {
    tuple: ("$tuple", lambda v, p: [encode(x, f"{p}[{i}]") for i, x in enumerate(v)]),
    set: ("$set", lambda v, p: [encode(x, f"{p}{{...}}") for x in v]),
    frozenset: ("$frozenset", lambda v, p: [encode(x, f"{p}{{...}}") for x in v]),
    bytes: ("$bytes", lambda v, p: base64.b64encode(v).decode("ascii")),
    dt.datetime: ("$datetime", _datetime),
    dt.date: ("$date", lambda v, p: v.isoformat()),
    dt.time: ("$time", _time),
    dt.timedelta: ("$timedelta", lambda v, p: [v.days, v.seconds, v.microseconds]),
}


def decode(data: Any) -> Any:
    """The value `encode` made `data` from; ValueError (with a reason) for anything else."""
    if isinstance(data, list):
        return [decode(item) for item in data]
    if not isinstance(data, dict):
        return data
    tags = [key for key in data if key.startswith("$")]
    if not tags:
        return {key: decode(item) for key, item in data.items()}
    if len(data) != 1 or tags[0] not in _UNTAGGERS:
        raise ValueError(f"unknown tag {', '.join(map(repr, tags[:3]))}")
    return _UNTAGGERS[tags[0]](data[tags[0]])


def _items(data: Any) -> list[Any]:
    if not isinstance(data, list):
        raise ValueError(f"a tag holds a {type(data).__name__}, not a list")
    return [decode(item) for item in data]


def _pairs(data: Any) -> dict[Any, Any]:
    pairs = _items(data)
    if not all(isinstance(pair, list) and len(pair) == 2 for pair in pairs):
        raise ValueError("$dict must hold [key, value] pairs")
    return {_hashable(key): value for key, value in pairs}


def _hashable(key: Any) -> Any:
    if isinstance(key, list | dict | set):
        raise ValueError(f"a {type(key).__name__} cannot be a dict key")
    return key


def _text(data: Any) -> str:
    if not isinstance(data, str):
        raise ValueError(f"a tag holds a {type(data).__name__}, not a string")
    return data


def _read_datetime(data: Any) -> dt.datetime:
    if isinstance(data, list) and len(data) == 2:
        return dt.datetime.fromisoformat(_text(data[0])).replace(tzinfo=ZoneInfo(_text(data[1])))
    return dt.datetime.fromisoformat(_text(data))


def _read_timedelta(data: Any) -> dt.timedelta:
    parts = _items(data)
    if len(parts) != 3 or not all(type(part) is int for part in parts):
        raise ValueError("$timedelta must hold [days, seconds, microseconds]")
    return dt.timedelta(*parts)


def _read_float(data: Any) -> float:
    if data not in ("nan", "inf", "-inf"):
        raise ValueError("$float must be nan, inf or -inf")
    return float(data)


_UNTAGGERS: dict[str, Callable[[Any], Any]] = {
    "$tuple": lambda data: tuple(_items(data)),
    "$set": lambda data: {_hashable(item) for item in _items(data)},
    "$frozenset": lambda data: frozenset(_hashable(item) for item in _items(data)),
    "$bytes": lambda data: base64.b64decode(_text(data), validate=True),
    "$datetime": _read_datetime,
    "$date": lambda data: dt.date.fromisoformat(_text(data)),
    "$time": lambda data: dt.time.fromisoformat(_text(data)),
    "$timedelta": _read_timedelta,
    "$float": _read_float,
    "$dict": _pairs,
}
DECODE_ERRORS = (ValueError, TypeError, RecursionError, binascii.Error, KeyError)
