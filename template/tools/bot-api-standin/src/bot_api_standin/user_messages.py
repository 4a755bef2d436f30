"""What users post: photos, documents, locations, contacts, polls, replies and edits.

Each method queues the update Telegram would send and returns its update_id. Files users send
are kept like the bot's uploads, so the bot can fetch them with getFile and the file endpoint.
"""

from __future__ import annotations

import base64
import time
from typing import Any

from . import files, polls
from .methods import BotState
from .model import JSONDict, Upload

# A 1x1 PNG: the photo users send unless the test gives its own bytes.
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP438AAAAQBAYDFKhhdAAAAAElFTkSuQmCC"
)
ALICE = 1001


class UserMessages(BotState):
    """The users' messages beyond plain text (`FakeBotAPI.send_text`)."""

    def post(
        self,
        content: JSONDict,
        *,
        user_id: int = ALICE,
        chat_id: int | None = None,
        first_name: str = "Alice",
        reply_to: int | None = None,
    ) -> int:
        """A user posts a message with `content` (Telegram's Message fields), maybe a reply."""
        with self._cond:
            user = self._user(user_id, first_name)
            chat = self._chat_for(user, chat_id)
            message: JSONDict = {
                "message_id": next(self._ids),
                "from": user,
                "chat": chat,
                "date": int(time.time()),
                **content,
            }
            if reply_to is not None:
                replied = self._messages.get((chat["id"], reply_to))
                if replied is None:
                    raise LookupError(f"no message {reply_to} in chat {chat['id']} to reply to")
                message["reply_to_message"] = {
                    k: v for k, v in replied.items() if k != "reply_to_message"
                }
            self._messages[chat["id"], message["message_id"]] = message
            return self._push_update({"message": message})

    def reply(self, message_id: int, text: str, **who: Any) -> int:
        """A user replies to message `message_id` (the bot's or anyone's) with `text`."""
        return self.post(text_content(text), reply_to=message_id, **who)

    def send_photo(self, data: bytes = TINY_PNG, *, caption: str | None = None, **who: Any) -> int:
        """A user sends a photo; Telegram offers it in two sizes (both download `data`)."""
        with self._cond:
            upload = Upload("photo.png", data, "image/png")
            sizes = []
            for width in (90, 320):
                kept = files.keep(self, upload, "photo")
                sizes.append(
                    {
                        "file_id": kept["file_id"],
                        "file_unique_id": kept["file_unique_id"],
                        "file_size": len(data),
                        "width": width,
                        "height": width * 3 // 4,
                    }
                )
            return self.post(_captioned({"photo": sizes}, caption), **who)

    def send_document(
        self,
        data: bytes,
        file_name: str = "document.txt",
        mime_type: str = "text/plain",
        *,
        caption: str | None = None,
        **who: Any,
    ) -> int:
        """A user sends a file; the bot can download `data` through getFile."""
        with self._cond:
            document = files.keep(self, Upload(file_name, data, mime_type), "document")
            return self.post(_captioned({"document": document}, caption), **who)

    def send_location(self, latitude: float, longitude: float, **who: Any) -> int:
        return self.post({"location": {"latitude": latitude, "longitude": longitude}}, **who)

    def send_contact(
        self,
        phone_number: str,
        contact_name: str,
        *,
        contact_user_id: int | None = None,
        **who: Any,
    ) -> int:
        """A user shares a contact (their own if `contact_user_id` is their id)."""
        contact: JSONDict = {"phone_number": phone_number, "first_name": contact_name}
        if contact_user_id is not None:
            contact["user_id"] = contact_user_id
        return self.post({"contact": contact}, **who)

    def send_poll(self, question: str, options: list[str], **who: Any) -> int:
        """A user posts a poll of their own (e.g. through a request_poll button)."""
        with self._cond:
            poll = polls.make_poll(self, question, options, is_anonymous=True)
            return self.post({"poll": poll}, **who)

    def edit_message(
        self, message_id: int, text: str, *, user_id: int = ALICE, chat_id: int | None = None
    ) -> int:
        """A user edits their own message: the bot gets an `edited_message` update."""
        with self._cond:
            key = (user_id if chat_id is None else chat_id, message_id)
            message = self._messages.get(key)
            if message is None or message["from"]["id"] != user_id:
                raise LookupError(f"user {user_id} has no message {message_id} in chat {key[0]}")
            message["text"] = text
            message["edit_date"] = int(time.time())
            message.pop("entities", None)
            return self._push_update({"edited_message": message})


def _captioned(content: JSONDict, caption: str | None) -> JSONDict:
    return {**content, "caption": caption} if caption else content


def text_content(text: str) -> JSONDict:
    """A text message's fields: a command gets its bot_command entity, as Telegram adds it."""
    content: JSONDict = {"text": text}
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return content
