"""Replies that fit Telegram's limit: 4,096 characters (UTF-16 code units) per message.

A reply built from what users typed can grow past the limit; Telegram then refuses it with
"Bad Request: Message is too long" and the handler fails every time that text is rebuilt. So
long texts go out in parts, split at line ends where possible.
"""

from __future__ import annotations

from typing import Any

from telegram import Message
from telegram.constants import MessageLimit

MAX_TEXT = int(MessageLimit.MAX_TEXT_LENGTH)


def length(text: str) -> int:
    """The length Telegram counts: UTF-16 code units (an emoji can count as two)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """`text` in parts of at most `limit` units, cut after a newline where one is close."""
    parts: list[str] = []
    while length(text) > limit:
        cut = limit
        while length(text[:cut]) > limit:  # astral characters count twice
            cut -= 1
        newline = text.rfind("\n", 0, cut)
        cut = newline + 1 if newline > cut // 2 else cut
        parts.append(text[:cut])
        text = text[cut:]
    return [*parts, text] if text or not parts else parts


async def reply_in_parts(message: Message, text: str, **kwargs: Any) -> None:
    """Reply with `text` in as many messages as it needs; `kwargs` go with the last one."""
    parts = split_text(text)
    for part in parts[:-1]:
        await message.reply_text(part)
    await message.reply_text(parts[-1], **kwargs)
