"""The Bot API's vocabulary: errors, uploads, calls, messages shown, request parameters."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FAKE_TOKEN = "123456789:TEST-token-for-the-offline-stand-in"  # noqa: S105 - not a secret
JSONDict = dict[str, Any]
Reply = tuple[int, JSONDict]


class BotAPIError(Exception):
    """A Bot API error reply: HTTP status and the `description` Telegram would give."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description

    def reply(self) -> Reply:
        return self.code, {"ok": False, "error_code": self.code, "description": self.description}


def bad_request(reason: str) -> BotAPIError:
    return BotAPIError(400, f"Bad Request: {reason}")


@dataclass(frozen=True)
class Upload:
    """A file the bot uploaded (multipart part)."""

    filename: str
    content: bytes
    mimetype: str


@dataclass(frozen=True)
class Call:
    """One request the bot made: the method as spelled and its parameters as sent."""

    method: str
    params: dict[str, Any]
    files: dict[str, Upload] = field(default_factory=dict)

    def value(self, name: str) -> Any:
        """A parameter as a Python value; form bodies carry non-strings JSON-encoded."""
        value = self.params.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value


@dataclass(frozen=True)
class SentMessage:
    """Something the bot showed in a chat: a new message, or an edit of one (`edited`)."""

    message_id: int
    chat_id: int
    text: str
    reply_markup: dict[str, Any] | None = None
    parse_mode: str | None = None
    kind: str = "text"
    edited: bool = False
    file_name: str | None = None
    file_id: str | None = None  # of a photo or file the bot sent (see `uploads`)

    @property
    def keyboard(self) -> list[list[str]]:
        """Button labels of the inline or reply keyboard, row by row ([] if none)."""
        return [[label for label, _ in row] for row in self.buttons]

    @property
    def buttons(self) -> list[list[tuple[str, str | None]]]:
        """(label, callback_data) pairs; callback_data is None for reply-keyboard buttons."""
        markup = self.reply_markup or {}
        if "inline_keyboard" in markup:
            return [
                [(str(b.get("text", "")), b.get("callback_data")) for b in row]
                for row in markup["inline_keyboard"]
            ]
        rows = markup.get("keyboard") or []
        return [
            [(b if isinstance(b, str) else str(b.get("text", "")), None) for b in row]
            for row in rows
        ]

    @property
    def is_inline(self) -> bool:
        return bool(self.reply_markup and "inline_keyboard" in self.reply_markup)


class Params:
    """A method's parameters as sent: typed values (JSON body) or strings (form, multipart).

    PTB sends strings raw and everything else JSON-encoded, so a string may hold JSON.
    """

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = dict(raw)

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = self.raw.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(f"{name} is empty")
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def integer(self, name: str, *, required: bool = False) -> int | None:
        value = self.raw.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(f"{name} is empty")
            return None
        if isinstance(value, bool):
            raise bad_request(f"{name} must be an integer")
        if isinstance(value, int):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            raise bad_request(f"{name} must be an integer, not {value!r}") from None

    def number(self, name: str, default: float) -> float:
        value = self.raw.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"{name} must be a number, not {value!r}") from None

    def flag(self, name: str) -> bool:
        value = self.raw.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def obj(self, name: str) -> Any:
        value = self.raw.get(name)
        if not isinstance(value, str):
            return value
        if value == "":
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {name} JSON object") from None


def scope_key(scope: Any, language: str) -> str:
    """How setMyCommands' scope and language_code identify one command list."""
    return json.dumps([scope, language], sort_keys=True)
