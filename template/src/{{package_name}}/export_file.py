"""The export file: what `export` writes and `import` reads, safe to read from anywhere.

JSON lines, values in tagged JSON (see `tagged_json`), so reading a file never runs code from
it, whoever made it. `--unsafe-pickle` is the exception, for values only pickle can carry: a
pickle (the format of exports before version 2) runs whatever code it names when loaded.

    {"format": "ptb-bot-export/2", "counts": {"users": 3, ...}}   the first line
    ["user_data", 123, VALUE]          ["chat_data", -100, VALUE]
    ["bot_data", VALUE]                ["callback_data", VALUE]
    ["conversation", NAME, [KEY, ...], STATE]
"""

from __future__ import annotations

import json
import os
import pickle
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from . import tagged_json
from .persistence import StoreError

FORMAT = "ptb-bot-export/2"
PICKLE_FORMAT = "ptb-bot-export/1"
PICKLE_MAGIC = b"\x80"  # every pickle since protocol 2 starts with the PROTO opcode


def write(target: Path, data: dict[str, Any], counts: dict[str, int], unsafe_pickle: bool) -> None:
    """Write an export atomically and privately (0600); a refused value leaves no file."""
    if unsafe_pickle:
        payload = pickle.dumps({"format": PICKLE_FORMAT, **data}, pickle.HIGHEST_PROTOCOL)
        _write_private(target, [payload])
        return
    try:
        _write_private(target, (line.encode() for line in lines(data, counts)))
    except ValueError as error:
        raise StoreError(str(error)) from None


def _write_private(target: Path, chunks: Iterable[bytes]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")  # 0600
    try:
        with os.fdopen(fd, "wb") as file:
            file.writelines(chunks)
            file.flush()
            os.fsync(file.fileno())
        Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read(source: Path, unsafe_pickle: bool) -> dict[str, Any]:
    """The data of an export (with its "counts"), or a StoreError saying why it is refused."""
    try:
        with source.open("rb") as file:
            if file.read(1) == PICKLE_MAGIC:
                return _read_pickle(source, file.read(), unsafe_pickle)
            file.seek(0)
            text = (line.decode("utf-8") for line in file)
            return parse((number, line) for number, line in enumerate(text, start=1))
    except FileNotFoundError:
        raise StoreError(
            f"{source} does not exist: run `export` with the old backend first"
        ) from None
    except (ValueError, OSError) as error:  # UnicodeDecodeError is a ValueError
        raise StoreError(
            f"{source} is not a readable export ({error}); nothing was imported: "
            "export again with this version of the bot"
        ) from None


def _read_pickle(source: Path, rest: bytes, unsafe_pickle: bool) -> dict[str, Any]:
    if not unsafe_pickle:
        raise StoreError(
            f"{source} is a pickle (an export from an older version, or made with "
            "--unsafe-pickle), and loading a pickle can run code: run `export` again with "
            "this version, or, only if you made this file yourself, import it with "
            "--unsafe-pickle"
        )
    try:
        data = pickle.loads(PICKLE_MAGIC + rest)  # asked for with --unsafe-pickle
    except Exception as error:  # damage of any kind: a pickle can raise anything
        raise StoreError(f"{source} cannot be unpickled ({type(error).__name__})") from None
    if not isinstance(data, dict) or data.get("format") != PICKLE_FORMAT:
        raise StoreError(f"{source} is not an export written by this bot's `export` command")
    return data


def lines(data: dict[str, Any], counts: dict[str, int]) -> Iterator[str]:
    """The export of `data` (as `transfer.read_store` returns it), one line at a time.

    Raises ValueError naming the user or chat and the key of a value it cannot represent.
    """
    yield _dumps({"format": FORMAT, "counts": counts})
    for kind, owner in (("user_data", "user"), ("chat_data", "chat")):
        for key, value in data[kind].items():
            yield _dumps([kind, key, _encode(value, f"{kind} of {owner} {key}")])
    yield _dumps(["bot_data", _encode(data["bot_data"], "bot_data")])
    yield _dumps(["callback_data", _encode(data["callback_data"], "callback_data")])
    for name, states in data["conversations"].items():
        for key, state in states.items():
            what = f"state of conversation {name!r} {key}"
            yield _dumps(["conversation", name, list(key), _encode(state, what)])


def _encode(value: object, what: str) -> Any:
    try:
        return tagged_json.encode(value)
    except tagged_json.UnrepresentableError as error:
        raise ValueError(
            f"cannot export {what}: {error}, which an export cannot hold safely; store only "
            f"{tagged_json.SAFE_TYPES} (or export with --unsafe-pickle, see `--help`)"
        ) from None
    except RecursionError:
        raise ValueError(f"cannot export {what}: it is nested too deeply") from None


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n"


def parse(numbered: Iterator[tuple[int, str]]) -> dict[str, Any]:
    """Data as `transfer.read_store` returns it, from an export's (number, line) pairs.

    Raises ValueError naming the line of anything that is not what `lines` writes.
    """
    data: dict[str, Any] = {kind: {} for kind in ("user_data", "chat_data", "conversations")}
    data |= {"bot_data": {}, "callback_data": None}
    counts: dict[str, int] | None = None
    for number, line in numbered:
        try:
            entry = json.loads(line)
            if counts is None:
                counts = _header(entry)
            else:
                _add(data, entry)
        except tagged_json.DECODE_ERRORS as error:
            reason = "nested too deeply" if isinstance(error, RecursionError) else error
            raise ValueError(f"line {number}: {reason}") from None
    if counts is None:
        raise ValueError("it is empty")
    return {"counts": counts, **data}


def _header(entry: Any) -> dict[str, int]:
    if not isinstance(entry, dict) or entry.get("format") != FORMAT:
        raise ValueError(f"this is not an export in the {FORMAT} format")
    counts = entry.get("counts")
    if not isinstance(counts, dict) or not all(type(n) is int for n in counts.values()):
        raise ValueError("the header has no counts")
    return counts


def _add(data: dict[str, Any], entry: Any) -> None:
    if not isinstance(entry, list) or not entry or entry[0] not in _SHAPES:
        raise ValueError("not an entry of an export")
    kind, *fields = entry
    if len(fields) != _SHAPES[kind]:
        raise ValueError(f"a {kind} entry needs {_SHAPES[kind]} fields")
    if kind in ("user_data", "chat_data"):
        key, value = fields
        if type(key) is not int or type(value) is not dict:
            raise ValueError(f"{kind} needs an integer id and an object")
        data[kind][key] = tagged_json.decode(value)
    elif kind == "conversation":
        name, key, state = fields
        if type(name) is not str or type(key) is not list:
            raise ValueError("a conversation needs a name and a key list")
        if not all(type(part) in (int, str) for part in key):
            raise ValueError("a conversation key holds only integers and strings")
        data["conversations"].setdefault(name, {})[tuple(key)] = tagged_json.decode(state)
    else:
        data[kind] = tagged_json.decode(fields[0])
        if kind == "bot_data" and type(data[kind]) is not dict:
            raise ValueError("bot_data must be an object")


_SHAPES = {"user_data": 2, "chat_data": 2, "bot_data": 1, "callback_data": 1, "conversation": 3}
