"""The state and the methods of an offline Telegram Bot API, shared by every transport.

`FakeBotAPI` is what Telegram's servers are to a bot: users, chats, messages and an update
queue. Transports (the HTTP `StandInServer`, the in-process `OfflineRequest`) hand it decoded
requests; tests drive it as users would (`send_text`, `press_button`) and read what the bot did
(`wait_for_message`, `calls`). One lock guards everything, so any thread may call in.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .formatting import FormattingError, strip_markup

FAKE_TOKEN = "123456789:TEST-token-for-the-offline-stand-in"
BOT_FIRST_NAME = "Offline Bot"
BOT_USERNAME = "offline_test_bot"
MAX_TEXT = 4096
MAX_CAPTION = 1024
T = TypeVar("T")
JSONDict = dict[str, Any]
Reply = tuple[int, JSONDict]
UPDATE_TYPES = ("message", "edited_message", "callback_query")
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
    """One request the bot made: the method as spelled and its decoded parameters."""

    method: str
    params: dict[str, Any]
    files: dict[str, Upload] = field(default_factory=dict)


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


class FakeBotAPI:
    """One bot's view of Telegram, offline. Thread-safe; async waits never block a loop."""

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
            name.lower(): getattr(self, f"_m_{name}") for name in _METHODS
        }

    # ------------------------------------------------------------------ users' side

    def send_text(
        self,
        text: str,
        *,
        user_id: int = 1001,
        chat_id: int | None = None,
        first_name: str = "Alice",
    ) -> int:
        """A user writes `text` (a bot_command entity if it starts with "/"); returns update_id."""
        with self._cond:
            user = self._user(user_id, first_name)
            chat = self._chat_for(user, chat_id)
            message: JSONDict = {
                "message_id": next(self._ids),
                "from": user,
                "chat": chat,
                "date": int(time.time()),
                "text": text,
            }
            if text.startswith("/"):
                command = text.split(maxsplit=1)[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
            self._messages[chat["id"], message["message_id"]] = message
            keyboard = self._reply_keyboards.get(chat["id"])
            if keyboard and (keyboard.reply_markup or {}).get("one_time_keyboard"):
                if any(text == label for row in keyboard.keyboard for label in row):
                    del self._reply_keyboards[chat["id"]]
            return self._push_update({"message": message})

    def press_button(
        self,
        label_or_data: str,
        *,
        user_id: int = 1001,
        chat_id: int | None = None,
        first_name: str = "Alice",
        message_id: int | None = None,
    ) -> int:
        """Press a button by label or callback_data on the newest message showing it.

        Reply-keyboard buttons send their label as text; inline buttons send a callback_query.
        Raises LookupError listing the buttons on offer if none matches.
        """
        with self._cond:
            chat = chat_id if chat_id is not None else user_id
            for shown in self._keyboards(chat, message_id):
                for row in shown.buttons:
                    for label, data in row:
                        if label_or_data not in (label, data):
                            continue
                        if not shown.is_inline:
                            return self.send_text(
                                label, user_id=user_id, chat_id=chat_id, first_name=first_name
                            )
                        if data is None:
                            raise LookupError(f"button {label!r} has no callback_data to send")
                        return self._push_callback(shown, data, user_id, first_name)
            offered = [label for shown in self._keyboards(chat, message_id) for label in _flat(shown)]
            raise LookupError(f"no button {label_or_data!r} in chat {chat}; buttons: {offered}")

    def _keyboards(self, chat_id: int, message_id: int | None) -> list[SentMessage]:
        shown = [
            SentMessage(mid, cid, "", markup)
            for (cid, mid), markup in self._markups.items()
            if cid == chat_id and (message_id is None or mid == message_id)
        ]
        keyboard = self._reply_keyboards.get(chat_id)
        if keyboard and message_id in (None, keyboard.message_id):
            shown.append(keyboard)
        return sorted(shown, key=lambda s: s.message_id, reverse=True)

    def _push_callback(self, shown: SentMessage, data: str, user_id: int, first_name: str) -> int:
        query_id = str(next(self._ids) * 7919)
        query = {
            "id": query_id,
            "from": self._user(user_id, first_name),
            "message": self._messages[shown.chat_id, shown.message_id],
            "chat_instance": str(shown.chat_id),
            "data": data,
        }
        self._queries[query_id] = {"answered": False}
        return self._push_update({"callback_query": query})

    def _push_update(self, body: JSONDict) -> int:
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, **body})
        self._changed()
        return update_id

    # ------------------------------------------------------------------ test-facing reads

    def wait_for_message(self, *, chat_id: int | None = None, timeout: float = 10.0) -> SentMessage:
        """The bot's next message (or edit) not yet taken; AssertionError after `timeout`."""
        found = self.wait_until(lambda: self._take(chat_id), timeout)
        if found is None:
            raise AssertionError(self._nothing_sent(chat_id, timeout))
        return found

    async def next_message(self, *, chat_id: int | None = None, timeout: float = 10.0) -> SentMessage:
        """`wait_for_message` for code running in the bot's own event loop."""
        found = await self.async_wait_until(lambda: self._take(chat_id), timeout)
        if found is None:
            raise AssertionError(self._nothing_sent(chat_id, timeout))
        return found

    def pending_messages(self, chat_id: int | None = None) -> list[SentMessage]:
        """Take every message the bot sent that no wait has taken yet."""
        with self._cond:
            return list(iter(lambda: self._take(chat_id), None))

    def _take(self, chat_id: int | None) -> SentMessage | None:
        for index in range(self._consumed, len(self.sent)):
            message = self.sent[index]
            if index in self._taken or chat_id not in (None, message.chat_id):
                continue
            self._taken.add(index)
            while self._consumed in self._taken:
                self._taken.discard(self._consumed)
                self._consumed += 1
            return message
        return None

    def _nothing_sent(self, chat_id: int | None, timeout: float) -> str:
        where = "" if chat_id is None else f" to chat {chat_id}"
        recent = [f"{c.method}({_short(c.params)})" for c in self.calls[-15:]]
        return (
            f"the bot sent no new message{where} within {timeout}s; "
            f"its last calls: {recent or 'none'}; internal errors: {self.internal_errors or 'none'}"
        )

    def calls_to(self, method: str) -> list[Call]:
        """Every call of `method` (case-insensitive), oldest first."""
        with self._cond:
            return [c for c in self.calls if c.method.lower() == method.lower()]

    def wait_for_call(self, method: str, *, after: int = 0, timeout: float = 10.0) -> Call:
        """The first call of `method` at index >= `after` in `calls`; AssertionError on timeout."""

        def find() -> Call | None:
            return next(
                (c for c in self.calls[after:] if c.method.lower() == method.lower()), None
            )

        found = self.wait_until(find, timeout)
        if found is None:
            raise AssertionError(self._nothing_called(method, timeout))
        return found

    def _nothing_called(self, method: str, timeout: float) -> str:
        recent = [c.method for c in self.calls[-15:]]
        return f"the bot did not call {method} within {timeout}s; its last calls: {recent}"

    def wait_idle(self, *, quiet: float = 0.5, timeout: float = 10.0) -> bool:
        """Wait until every update was fetched and the bot made no call for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                now = time.monotonic()
                fetched = not self._updates or self._delivered >= self._updates[-1]["update_id"]
                idle_for = now - self._last_activity
                if fetched and idle_for >= quiet:
                    return True
                if now >= deadline:
                    return False
                wait = quiet - idle_for if fetched else deadline - now
                self._cond.wait(max(0.01, min(wait, deadline - now)))

    def commands_for(self, scope: Mapping[str, Any] | None = None, language: str = "") -> list[str]:
        """The command names the bot registered with setMyCommands for a scope."""
        key = _scope_key(dict(scope or {"type": "default"}), language)
        with self._cond:
            return [c["command"] for c in self.commands.get(key, [])]

    # ------------------------------------------------------------------ waiting

    def wait_until(self, predicate: Callable[[], T | None], timeout: float) -> T | None:
        """Block until `predicate()` (run under the lock) returns non-None, or `timeout`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                result = predicate()
                remaining = deadline - time.monotonic()
                if result is not None or remaining <= 0 or self._closed:
                    return result
                self._cond.wait(remaining)

    async def async_wait_until(self, predicate: Callable[[], T | None], timeout: float) -> T | None:
        """`wait_until` that awaits instead of blocking, and can be cancelled."""
        loop = asyncio.get_running_loop()
        event = asyncio.Event()

        def wake() -> None:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # the loop closed while we were registered
                pass

        deadline = loop.time() + timeout
        with self._cond:
            self._listeners.add(wake)
        try:
            while True:
                event.clear()
                with self._cond:
                    result = predicate()
                    if result is not None or self._closed:
                        return result
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return None
                try:
                    await asyncio.wait_for(event.wait(), remaining)
                except asyncio.TimeoutError:
                    pass
        finally:
            with self._cond:
                self._listeners.discard(wake)

    def _changed(self) -> None:
        self._cond.notify_all()
        for wake in list(self._listeners):
            wake()

    def close(self) -> None:
        """Wake every waiter (long polls return at once); used when a server stops."""
        with self._cond:
            self._closed = True
            self._changed()

    # ------------------------------------------------------------------ transports' side

    def call(
        self,
        token: str,
        method: str,
        raw: Mapping[str, Any],
        files: Mapping[str, Upload] | None = None,
    ) -> Reply:
        """Serve one request, blocking through a getUpdates long poll."""
        outcome = self._begin(token, method, raw, files or {})
        if isinstance(outcome, _Poll):
            poll = outcome
            found = self.wait_until(lambda: self._poll(poll), poll.timeout)
            return found or self._poll(poll, final=True) or (200, {"ok": True, "result": []})
        return outcome

    async def acall(
        self,
        token: str,
        method: str,
        raw: Mapping[str, Any],
        files: Mapping[str, Upload] | None = None,
    ) -> Reply:
        """`call` for transports inside an event loop: a long poll awaits, never blocks."""
        outcome = self._begin(token, method, raw, files or {})
        if isinstance(outcome, _Poll):
            poll = outcome
            found = await self.async_wait_until(lambda: self._poll(poll), poll.timeout)
            return found or self._poll(poll, final=True) or (200, {"ok": True, "result": []})
        return outcome

    def _begin(
        self, token: str, method: str, raw: Mapping[str, Any], files: Mapping[str, Upload]
    ) -> Reply | _Poll:
        if token != self.token:
            return BotAPIError(401, "Unauthorized").reply()
        with self._cond:
            self.calls.append(Call(method, dict(raw), dict(files)))
            if method.lower() != "getupdates":
                self._last_activity = time.monotonic()
            self._changed()
            handler = self._methods.get(method.lower())
            try:
                if handler is None:
                    raise BotAPIError(400, f"Bad Request: method {method!r} is not implemented")
                if method.lower() == "getupdates":
                    return self._start_poll(Params(raw))
                return 200, {"ok": True, "result": handler(Params(raw), dict(files))}
            except BotAPIError as error:
                return error.reply()

    # ------------------------------------------------------------------ getUpdates

    def _start_poll(self, params: Params) -> _Poll:
        if self.webhook["url"]:
            raise BotAPIError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.integer("offset")
        if offset is not None:
            if offset < 0:
                self._updates = self._updates[offset:]
            else:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
        limit = params.integer("limit") or 100
        allowed = params.obj("allowed_updates")
        if allowed is not None and not isinstance(allowed, list):
            raise bad_request("allowed_updates must be a list of update types")
        timeout = max(0.0, params.number("timeout", 0.0))
        self._poll_generation += 1
        self._changed()  # an older long poll now ends with a conflict, as on Telegram
        return _Poll(self._poll_generation, max(1, min(limit, 100)), allowed, timeout)

    def _poll(self, poll: _Poll, *, final: bool = False) -> Reply | None:
        if poll.generation != self._poll_generation:
            return BotAPIError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            ).reply()
        wanted = [
            u
            for u in self._updates
            if not poll.allowed or any(kind in u for kind in poll.allowed)
        ][: poll.limit]
        if not wanted and not final and not self._closed:
            return None
        if wanted:
            self._delivered = max(self._delivered, wanted[-1]["update_id"])
            self._last_activity = time.monotonic()
            self._changed()
        return 200, {"ok": True, "result": wanted}

    # ------------------------------------------------------------------ methods

    def _m_getMe(self, p: Params, f: dict[str, Upload]) -> JSONDict:
        return self.bot_user

    def _m_getUpdates(self, p: Params, f: dict[str, Upload]) -> None:
        raise AssertionError("handled by _start_poll")  # pragma: no cover

    def _m_logOut(self, p: Params, f: dict[str, Upload]) -> bool:
        return True

    def _m_close(self, p: Params, f: dict[str, Upload]) -> bool:
        return True

    def _m_setWebhook(self, p: Params, f: dict[str, Upload]) -> bool:
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

    def _m_deleteWebhook(self, p: Params, f: dict[str, Upload]) -> bool:
        self.webhook = {"url": ""}
        if p.flag("drop_pending_updates"):
            self._updates.clear()
        return True

    def _m_getWebhookInfo(self, p: Params, f: dict[str, Upload]) -> JSONDict:
        info: JSONDict = {
            "url": self.webhook["url"],
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook.get("allowed_updates"):
            info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    def _m_setMyCommands(self, p: Params, f: dict[str, Upload]) -> bool:
        commands = p.obj("commands")
        if not isinstance(commands, list):
            raise bad_request("commands must be a JSON array of BotCommand")
        for command in commands:
            name = command.get("command", "") if isinstance(command, dict) else ""
            if not (1 <= len(name) <= 32 and name.replace("_", "").isalnum() and name.islower()):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = _scope_key(p.obj("scope") or {"type": "default"}, p.text("language_code") or "")
        self.commands[key] = [
            {"command": c["command"], "description": str(c["description"])} for c in commands
        ]
        return True

    def _m_getMyCommands(self, p: Params, f: dict[str, Upload]) -> list[dict[str, str]]:
        key = _scope_key(p.obj("scope") or {"type": "default"}, p.text("language_code") or "")
        return self.commands.get(key, [])

    def _m_deleteMyCommands(self, p: Params, f: dict[str, Upload]) -> bool:
        key = _scope_key(p.obj("scope") or {"type": "default"}, p.text("language_code") or "")
        self.commands.pop(key, None)
        return True

    def _m_sendChatAction(self, p: Params, f: dict[str, Upload]) -> bool:
        self._known_chat(p)
        if p.text("action", required=True) not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    def _m_sendMessage(self, p: Params, f: dict[str, Upload]) -> JSONDict:
        chat = self._known_chat(p)
        text, parse_mode = self._text(p, "text", MAX_TEXT, "message text")
        return self._store(chat, p, {"text": text}, SentMessage(0, 0, text, parse_mode=parse_mode))

    def _m_sendPhoto(self, p: Params, f: dict[str, Upload]) -> JSONDict:
        chat = self._known_chat(p)
        file = self._file(p, f, "photo")
        photo = [{**file, "width": 320, "height": 240}]
        return self._media(chat, p, {"photo": photo}, "photo", None)

    def _m_sendDocument(self, p: Params, f: dict[str, Upload]) -> JSONDict:
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

    def _m_editMessageText(self, p: Params, f: dict[str, Upload]) -> JSONDict:
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

    def _m_editMessageReplyMarkup(self, p: Params, f: dict[str, Upload]) -> JSONDict:
        message = self._editable(p)
        markup = self._markup(p, inline_only=True)
        if markup == message.get("reply_markup"):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        return self._edited(message, markup, None)

    def _edited(self, message: JSONDict, markup: dict[str, Any] | None, mode: str | None) -> JSONDict:
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

    def _m_deleteMessage(self, p: Params, f: dict[str, Upload]) -> bool:
        chat = self._known_chat(p)
        key = (chat["id"], p.integer("message_id", required=True) or 0)
        if key not in self._messages:
            raise bad_request("message to delete not found")
        del self._messages[key]
        self._markups.pop(key, None)
        return True

    def _m_answerCallbackQuery(self, p: Params, f: dict[str, Upload]) -> bool:
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
            raise bad_request("field \"keyboard\" of the ReplyKeyboardMarkup must be an Array")
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
            message_id, lenient = target.get("message_id"), target.get("allow_sending_without_reply")
        else:
            message_id, lenient = p.integer("reply_to_message_id"), p.flag("allow_sending_without_reply")
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


@dataclass(frozen=True)
class _Poll:
    generation: int
    limit: int
    allowed: list[str] | None
    timeout: float


_MARKUPS = ("inline_keyboard", "keyboard", "remove_keyboard", "force_reply")
_METHODS = (
    "getMe",
    "getUpdates",
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


def _scope_key(scope: Any, language: str) -> str:
    return json.dumps([scope, language], sort_keys=True)


def _flat(shown: SentMessage) -> list[str]:
    return [label for row in shown.keyboard for label in row]


def _short(params: Mapping[str, Any]) -> str:
    text = ", ".join(f"{k}={v!r}" for k, v in params.items() if k not in ("timeout", "offset"))
    return text if len(text) <= 80 else text[:77] + "..."
