"""Telegram's side of each Bot API method: the chats, messages and files a bot changes.

`BotState` holds what Telegram would hold for one bot and implements the methods as
`_m_<snake_case>`; `FakeBotAPI` adds the users' side, waiting and the transports' entry.
Errors are raised as `BotAPIError` with Telegram's wording, so PTB raises what it would raise.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from .formatting import FormattingError, strip_markup
from .model import (
    FAKE_TOKEN,
    Call,
    JSONDict,
    Params,
    SentMessage,
    Upload,
    bad_request,
    scope_key,
)

BOT_FIRST_NAME = "Offline Bot"
BOT_USERNAME = "offline_test_bot"
MAX_TEXT = 4096
MAX_CAPTION = 1024
CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
_MARKUPS = ("inline_keyboard", "keyboard", "remove_keyboard", "force_reply")
_METHODS = (
    "getMe",  # getUpdates is FakeBotAPI's: it long-polls
    "logOut",
    "close",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "sendChatAction",
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "editMessageText",
    "editMessageReplyMarkup",
    "deleteMessage",
    "answerCallbackQuery",
)


class BotState:
    """One bot's data on Telegram's side; every method runs with `_cond` held by the caller."""

    def __init__(self, token: str = FAKE_TOKEN) -> None:
        self.token = token
        bot_id = token.partition(":")[0]
        self.bot_user: JSONDict = {
            "id": int(bot_id) if bot_id.isdigit() else 1,
            "is_bot": True,
            "first_name": BOT_FIRST_NAME,
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.calls: list[Call] = []
        self.sent: list[SentMessage] = []
        self.uploads: dict[str, Upload] = {}
        self.callback_answers: list[dict[str, Any]] = []
        self.commands: dict[str, list[dict[str, str]]] = {}
        self.webhook: JSONDict = {"url": ""}
        self.internal_errors: list[str] = []
        self._cond = threading.Condition(threading.RLock())
        self._listeners: set[Callable[[], None]] = set()
        self._users: dict[int, JSONDict] = {}
        self._chats: dict[int, JSONDict] = {}
        self._messages: dict[tuple[int, int], JSONDict] = {}
        self._markups: dict[tuple[int, int], dict[str, Any]] = {}
        self._reply_keyboards: dict[int, SentMessage] = {}
        self._updates: list[JSONDict] = []
        self._queries: dict[str, JSONDict] = {}
        self._consumed = 0
        self._taken: set[int] = set()
        self._ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._poll_generation = 0
        self._delivered = 0
        self._last_activity = time.monotonic()
        self._closed = False
        self._methods: dict[str, Callable[[Params, dict[str, Upload]], Any]] = {
            name.lower(): getattr(self, "_m_" + re.sub("([A-Z])", r"_\1", name).lower())
            for name in _METHODS
        }

    def _changed(self) -> None:
        """Wake every waiter: threads on the condition, event loops through their listeners."""
        self._cond.notify_all()
        for wake in list(self._listeners):
            wake()

    def _m_get_me(self, p: Params, f: dict[str, Upload]) -> JSONDict:
        return self.bot_user

    def _m_log_out(self, p: Params, f: dict[str, Upload]) -> bool:
        return True

    def _m_close(self, p: Params, f: dict[str, Upload]) -> bool:
        return True

    def _m_set_webhook(self, p: Params, f: dict[str, Upload]) -> bool:
        url = p.text("url") or ""
        if url and not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: an HTTPS URL must be provided for webhook")
        self.webhook = {
            "url": url,
            "secret_token": p.text("secret_token"),
            "allowed_updates": p.obj("allowed_updates"),
        }
        if p.flag("drop_pending_updates"):
            self._updates.clear()
        return True

    def _m_delete_webhook(self, p: Params, f: dict[str, Upload]) -> bool:
        self.webhook = {"url": ""}
        if p.flag("drop_pending_updates"):
            self._updates.clear()
        return True

    def _m_get_webhook_info(self, p: Params, f: dict[str, Upload]) -> JSONDict:
        info: JSONDict = {
            "url": self.webhook["url"],
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook.get("allowed_updates"):
            info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    def _m_set_my_commands(self, p: Params, f: dict[str, Upload]) -> bool:
        commands = p.obj("commands")
        if not isinstance(commands, list):
            raise bad_request("commands must be a JSON array of BotCommand")
        for command in commands:
            name = command.get("command", "") if isinstance(command, dict) else ""
            if not (1 <= len(name) <= 32 and name.replace("_", "").isalnum() and name.islower()):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = scope_key(p.obj("scope") or {"type": "default"}, p.text("language_code") or "")
        self.commands[key] = [
            {"command": c["command"], "description": str(c["description"])} for c in commands
        ]
        return True

    def _m_get_my_commands(self, p: Params, f: dict[str, Upload]) -> list[dict[str, str]]:
        key = scope_key(p.obj("scope") or {"type": "default"}, p.text("language_code") or "")
        return self.commands.get(key, [])

    def _m_delete_my_commands(self, p: Params, f: dict[str, Upload]) -> bool:
        key = scope_key(p.obj("scope") or {"type": "default"}, p.text("language_code") or "")
        self.commands.pop(key, None)
        return True

    def _m_send_chat_action(self, p: Params, f: dict[str, Upload]) -> bool:
        self._known_chat(p)
        if p.text("action", required=True) not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    def _m_send_message(self, p: Params, f: dict[str, Upload]) -> JSONDict:
        chat = self._known_chat(p)
        text, parse_mode = self._text(p, "text", MAX_TEXT, "message text")
        return self._store(chat, p, {"text": text}, SentMessage(0, 0, text, parse_mode=parse_mode))

    def _m_send_photo(self, p: Params, f: dict[str, Upload]) -> JSONDict:
        chat = self._known_chat(p)
        file = self._file(p, f, "photo")
        photo = [{**file, "width": 320, "height": 240}]
        return self._media(chat, p, {"photo": photo}, "photo", None)

    def _m_send_document(self, p: Params, f: dict[str, Upload]) -> JSONDict:
        chat = self._known_chat(p)
        file = self._file(p, f, "document")
        return self._media(chat, p, {"document": file}, "document", file.get("file_name"))

    def _media(
        self, chat: JSONDict, p: Params, body: JSONDict, kind: str, name: str | None
    ) -> JSONDict:
        caption, parse_mode = self._text(p, "caption", MAX_CAPTION, "caption", optional=True)
        if caption:
            body["caption"] = caption
        shown = SentMessage(0, 0, caption, parse_mode=parse_mode, kind=kind, file_name=name)
        return self._store(chat, p, body, shown)

    def _store(self, chat: JSONDict, p: Params, body: JSONDict, shown: SentMessage) -> JSONDict:
        markup = self._markup(p)
        message: JSONDict = {
            "message_id": next(self._ids),
            "from": self.bot_user,
            "chat": chat,
            "date": int(time.time()),
            **body,
        }
        replied = self._replied(chat["id"], p)
        if replied is not None:
            message["reply_to_message"] = replied
        key = (chat["id"], message["message_id"])
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = markup
            self._markups[key] = markup
        self._messages[key] = message
        shown = SentMessage(
            message["message_id"],
            chat["id"],
            shown.text,
            markup,
            shown.parse_mode,
            shown.kind,
            file_name=shown.file_name,
        )
        if markup and "keyboard" in markup:
            self._reply_keyboards[chat["id"]] = shown
        elif markup and markup.get("remove_keyboard"):
            self._reply_keyboards.pop(chat["id"], None)
        self.sent.append(shown)
        self._changed()
        return message

    def _m_edit_message_text(self, p: Params, f: dict[str, Upload]) -> JSONDict:
        message = self._editable(p)
        text, parse_mode = self._text(p, "text", MAX_TEXT, "message text")
        markup = self._markup(p, inline_only=True)
        if text == message.get("text") and markup == message.get("reply_markup"):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message["text"] = text
        return self._edited(message, markup, parse_mode)

    def _m_edit_message_reply_markup(self, p: Params, f: dict[str, Upload]) -> JSONDict:
        message = self._editable(p)
        markup = self._markup(p, inline_only=True)
        if markup == message.get("reply_markup"):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        return self._edited(message, markup, None)

    def _edited(
        self, message: JSONDict, markup: dict[str, Any] | None, mode: str | None
    ) -> JSONDict:
        key = (message["chat"]["id"], message["message_id"])
        message["edit_date"] = int(time.time())
        if markup:
            message["reply_markup"] = self._markups[key] = markup
        else:
            message.pop("reply_markup", None)
            self._markups.pop(key, None)
        text = str(message.get("text", message.get("caption", "")))
        self.sent.append(SentMessage(key[1], key[0], text, markup, mode, edited=True))
        self._changed()
        return message

    def _m_delete_message(self, p: Params, f: dict[str, Upload]) -> bool:
        chat = self._known_chat(p)
        key = (chat["id"], p.integer("message_id", required=True) or 0)
        if key not in self._messages:
            raise bad_request("message to delete not found")
        del self._messages[key]
        self._markups.pop(key, None)
        return True

    def _m_answer_callback_query(self, p: Params, f: dict[str, Upload]) -> bool:
        query_id = p.text("callback_query_id", required=True) or ""
        query = self._queries.get(query_id)
        if query is None or query["answered"]:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        query["answered"] = True
        self.callback_answers.append(
            {"id": query_id, "text": p.text("text"), "show_alert": p.flag("show_alert")}
        )
        return True

    # ------------------------------------------------------------------ helpers

    def _user(self, user_id: int, first_name: str) -> JSONDict:
        user = self._users.setdefault(
            user_id, {"id": user_id, "is_bot": False, "first_name": first_name}
        )
        user["first_name"] = first_name
        return user

    def _chat_for(self, user: JSONDict, chat_id: int | None) -> JSONDict:
        if chat_id is None or chat_id == user["id"]:
            return self._chats.setdefault(
                user["id"], {"id": user["id"], "type": "private", "first_name": user["first_name"]}
            )
        return self._chats.setdefault(
            chat_id, {"id": chat_id, "type": "group", "title": f"Group {chat_id}"}
        )

    def _known_chat(self, p: Params) -> JSONDict:
        raw = p.text("chat_id", required=True) or ""
        try:
            chat = self._chats.get(int(raw))
        except ValueError:
            chat = None
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _text(
        self, p: Params, name: str, limit: int, what: str, *, optional: bool = False
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
            raise bad_request(f"{what} is too long")
        return text, parse_mode

    def _markup(self, p: Params, *, inline_only: bool = False) -> dict[str, Any] | None:
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

    def _replied(self, chat_id: int, p: Params) -> JSONDict | None:
        target = p.obj("reply_parameters")
        if isinstance(target, dict):
            message_id, lenient = (
                target.get("message_id"),
                target.get("allow_sending_without_reply"),
            )
        else:
            message_id, lenient = (
                p.integer("reply_to_message_id"),
                p.flag("allow_sending_without_reply"),
            )
        if message_id is None:
            return None
        replied = self._messages.get((chat_id, int(message_id)))
        if replied is None and not lenient:
            raise bad_request("message to be replied not found")
        return replied

    def _editable(self, p: Params) -> JSONDict:
        if p.text("inline_message_id"):
            raise bad_request("inline messages are not supported by the offline stand-in")
        chat = self._known_chat(p)
        message = self._messages.get((chat["id"], p.integer("message_id", required=True) or 0))
        if message is None or message["from"]["id"] != self.bot_user["id"]:
            raise bad_request("message to edit not found")
        return message

    def _file(self, p: Params, files: Mapping[str, Upload], name: str) -> JSONDict:
        value = p.text(name)
        upload = files.get(name)
        if value and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
        if upload is not None:
            file_id = f"offline-{name}-{next(self._ids)}"
            self.uploads[file_id] = upload
            return {
                "file_id": file_id,
                "file_unique_id": file_id,
                "file_size": len(upload.content),
                "file_name": upload.filename,
                "mime_type": upload.mimetype,
            }
        if value in self.uploads:
            known = self.uploads[value]
            return {"file_id": value, "file_unique_id": value, "file_name": known.filename}
        if value and value.startswith(("http://", "https://")):
            return {"file_id": f"offline-url-{next(self._ids)}", "file_unique_id": value}
        if not value:
            raise bad_request(f"there is no {name} in the request")
        raise bad_request("wrong file identifier/HTTP URL specified")
