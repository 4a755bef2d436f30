"""The web chat's state as JSON: the timeline of every chat, and the bot's stored data.

Edits replace the bubble they edit, as in Telegram; user messages are kept here because the
stand-in records only what the bot sent.
"""

from __future__ import annotations

import threading
from base64 import b64encode
from typing import Any
from urllib.parse import quote

from .botapi import FakeBotAPI
from .model import SentMessage, Upload

USERS = {"alice": (1001, "Alice"), "bob": (1002, "Bob")}
GROUP_ID = -100123


class Timeline:
    """Bubbles per chat in arrival order: the users' own, and the bot's (edited in place)."""

    def __init__(self, api: FakeBotAPI) -> None:
        self.api = api
        self._lock = threading.Lock()
        self._seen = 0
        self._items: list[dict[str, Any]] = []
        self._by_id: dict[tuple[int, int], dict[str, Any]] = {}

    def add_user(self, chat_id: int, name: str, text: str, image: bytes | None = None) -> None:
        """A user's own bubble; `image` (a PNG) is shown in it, as a photo the user sent."""
        bubble = {"chat_id": chat_id, "from": name, "text": text, "bot": False, "buttons": []}
        if image is not None:
            data_url = "data:image/png;base64," + b64encode(image).decode()
            bubble |= {"kind": "photo", "file": data_url}
        with self._lock:
            self._catch_up()
            self._items.append(bubble)

    def view(self, chat_id: int) -> list[dict[str, Any]]:
        with self._lock:
            self._catch_up()
            return [dict(item) for item in self._items if item["chat_id"] == chat_id]

    def _catch_up(self) -> None:
        new = self.api.sent[self._seen :]
        self._seen += len(new)
        for message in new:
            bubble = _bubble(message)
            old = self._by_id.get((message.chat_id, message.message_id))
            if message.edited and old is not None:
                old.update(bubble, edited=True)
                continue
            self._by_id[message.chat_id, message.message_id] = bubble
            self._items.append(bubble)


def _bubble(message: SentMessage) -> dict[str, Any]:
    markup = message.reply_markup or {}
    return {
        "chat_id": message.chat_id,
        "message_id": message.message_id,
        "from": "bot",
        "bot": True,
        "text": message.text,
        "kind": message.kind,
        "file_name": message.file_name,
        "file": f"api/file?id={quote(message.file_id)}" if message.file_id else None,
        "edited": message.edited,
        "inline": message.is_inline,
        "buttons": [[label for label, _ in row] for row in message.buttons],
        "callbacks": [[data for _, data in row] for row in message.buttons],
        "remove_keyboard": bool(markup.get("remove_keyboard")),
    }


SHOWN_INLINE = {"image/png", "image/jpeg", "image/gif", "image/webp"}  # never SVG: it runs code


def sent_file(api: FakeBotAPI, file_id: str) -> tuple[bytes, str, bool] | None:
    """A file the bot sent, for the page: its bytes, the type to serve it as, and whether the
    page may show it inline (plain images only; anything else is offered as a download)."""
    upload: Upload | None = api.uploads.get(file_id)
    if upload is None:
        return None
    inline = upload.mimetype in SHOWN_INLINE
    return upload.content, upload.mimetype if inline else "application/octet-stream", inline
