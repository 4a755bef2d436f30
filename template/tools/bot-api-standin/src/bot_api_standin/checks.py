"""What Telegram checks in a message before it sends it: the text after its markup is parsed
(length limits count what the user sees) and the keyboard's shape and callback data."""

from __future__ import annotations

from typing import Any

from .formatting import FormattingError, strip_markup
from .model import Params, bad_request

MAX_TEXT = 4096
MAX_CAPTION = 1024

_MARKUPS = ("inline_keyboard", "keyboard", "remove_keyboard", "force_reply")


def checked_text(
    p: Params, name: str, limit: int, what: str, *, optional: bool = False
) -> tuple[str, str | None]:
    raw = p.text(name) or ""
    parse_mode = p.text("parse_mode")
    if not raw.strip():
        if optional:
            return "", parse_mode
        raise bad_request(f"{what} is empty")
    try:
        text = strip_markup(raw, parse_mode)
    except FormattingError as error:
        raise bad_request(f"can't parse entities: {error}") from None
    if len(text) > limit:
        raise bad_request("message is too long" if name == "text" else f"{what} is too long")
    return text, parse_mode


def checked_markup(p: Params, *, inline_only: bool = False) -> dict[str, Any] | None:
    markup = p.obj("reply_markup")
    if markup is None:
        return None
    kinds = ("inline_keyboard",) if inline_only else _MARKUPS
    if not isinstance(markup, dict) or not any(k in markup for k in kinds):
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard", markup.get("keyboard"))
    if rows is not None and not (
        isinstance(rows, list) and all(isinstance(row, list) for row in rows)
    ):
        raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array')
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data") if isinstance(button, dict) else None
            if not isinstance(button, dict) or not button.get("text"):
                raise bad_request("text buttons are unallowed in the inline keyboard")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise bad_request("BUTTON_DATA_INVALID")
    return markup
