"""Telegram's side of each Bot API method: the chats, messages and files a bot changes.

`BotState` holds what Telegram would hold for one bot and implements the methods as
`_m_<snake_case>`; `FakeBotAPI` adds the users' side, waiting and the transports' entry.
Errors are raised as `BotAPIError` with Telegram's wording, so PTB raises what it would raise.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from . import registry
from .checks import MAX_CAPTION, MAX_TEXT, checked_markup, checked_text
from .model import (
    FAKE_TOKEN,
    Call,
    JSONDict,
    Params,
    SentMessage,
    Upload,
    bad_request,
)

BOT_FIRST_NAME = "Offline Bot"
BOT_USERNAME = "offline_test_bot"
_METHODS = ("sendMessage",)  # the rest live in area modules (registry.py)


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
        self.polls: dict[str, JSONDict] = {}  # poll id -> chat_id, message_id, poll, votes
        self.inline_answers: dict[str, JSONDict] = {}  # inline query id -> the bot's answer
        self.payment_answers: dict[str, JSONDict] = {}  # shipping/pre-checkout query id -> answer
        self.members: dict[int, dict[int, str]] = {}  # chat id -> user id -> member status
        self.invoices: dict[tuple[int, int], JSONDict] = {}  # (chat, message) -> invoice
        self.pins: dict[int, list[int]] = {}  # chat id -> pinned message ids, newest last
        self.profile: dict[str, str] = {}  # the bot's name and descriptions, by field+language
        # Seconds every answer but getUpdates is held back, as a network round trip would be.
        self.latency = 0.0
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
        self._methods.update(registry.bound(self))  # the areas kept in their own modules

    def implements(self, method: str) -> bool:
        """Whether the stand-in serves Bot API `method` (any case); others answer 400."""
        return method.lower() in self._methods or method.lower() == "getupdates"

    def _changed(self) -> None:
        """Wake every waiter: threads on the condition, event loops through their listeners."""
        self._cond.notify_all()
        for wake in list(self._listeners):
            wake()

    def _push_update(self, body: JSONDict) -> int:
        update_id = next(self._update_ids)
        # A snapshot, as Telegram sends: a later edit must not change a queued update.
        self._updates.append(copy.deepcopy({"update_id": update_id, **body}))
        self._changed()
        return update_id

    def _m_send_message(self, p: Params, f: dict[str, Upload]) -> JSONDict:
        chat = self._known_chat(p)
        text, parse_mode = checked_text(p, "text", MAX_TEXT, "message text")
        return self._store(chat, p, {"text": text}, SentMessage(0, 0, text, parse_mode=parse_mode))

    def _media(
        self, chat: JSONDict, p: Params, body: JSONDict, kind: str, file: JSONDict
    ) -> JSONDict:
        caption, parse_mode = checked_text(
            p, "caption", MAX_CAPTION, "message caption", optional=True
        )
        if caption:
            body["caption"] = caption
        shown = SentMessage(
            *(0, 0, caption),
            parse_mode=parse_mode,
            kind=kind,
            file_name=file.get("file_name"),
            file_id=file.get("file_id"),
        )
        return self._store(chat, p, body, shown)

    def _store(self, chat: JSONDict, p: Params, body: JSONDict, shown: SentMessage) -> JSONDict:
        markup = checked_markup(p)
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
        shown = dataclasses.replace(
            shown, message_id=message["message_id"], chat_id=chat["id"], reply_markup=markup
        )
        if markup and "keyboard" in markup:
            self._reply_keyboards[chat["id"]] = shown
        elif markup and markup.get("remove_keyboard"):
            self._reply_keyboards.pop(chat["id"], None)
        self.sent.append(shown)
        self._changed()
        return message

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
