"""The state and the methods of an offline Telegram Bot API, shared by every transport.

`FakeBotAPI` is what Telegram's servers are to a bot: users, chats, messages and an update
queue. Transports (the HTTP `StandInServer`, the in-process `OfflineRequest`) hand it decoded
requests; tests drive it as users would (`send_text`, `press_button`) and read what the bot did
(`wait_for_message`, `calls`). One lock guards everything, so any thread may call in.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, TypeVar

from .model import (
    FAKE_TOKEN,
    BotAPIError,
    Call,
    SentMessage,
    Upload,
    scope_key,
)
from .transport import UpdateQueue, short
from .user_messages import text_content

__all__ = ["FAKE_TOKEN", "BotAPIError", "Call", "FakeBotAPI", "SentMessage", "Upload"]
T = TypeVar("T")


class FakeBotAPI(UpdateQueue):
    """One bot's view of Telegram, offline. Thread-safe; async waits never block a loop."""

    # ------------------------------------------------------------------ users' side

    def send_text(
        self,
        text: str,
        *,
        user_id: int = 1001,
        chat_id: int | None = None,
        first_name: str = "Alice",
    ) -> int:
        """A user writes `text` (a bot_command entity if it starts with "/"); returns update_id.
        A one-time reply keyboard that offered `text` goes away, as in Telegram's apps."""
        with self._cond:
            chat = user_id if chat_id is None else chat_id
            keyboard = self._reply_keyboards.get(chat)
            one_time = keyboard and (keyboard.reply_markup or {}).get("one_time_keyboard")
            if keyboard and one_time and any(text in row for row in keyboard.keyboard):
                del self._reply_keyboards[chat]
            content = text_content(text)
            return self.post(content, user_id=user_id, chat_id=chat_id, first_name=first_name)

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
            offered = [
                label for shown in self._keyboards(chat, message_id) for label in _flat(shown)
            ]
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

    # ------------------------------------------------------------------ test-facing reads

    def wait_for_message(
        self, *, chat_id: int | None = None, timeout: float = 10.0
    ) -> SentMessage:
        """The bot's next message (or edit) not yet taken; AssertionError after `timeout`."""
        found = self.wait_until(lambda: self._take(chat_id), timeout)
        if found is None:
            raise AssertionError(self._nothing_sent(chat_id, timeout))
        return found

    async def next_message(
        self, *, chat_id: int | None = None, timeout: float = 10.0
    ) -> SentMessage:
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
        recent = [f"{c.method}({short(c.params)})" for c in self.calls[-15:]]
        return (
            f"the bot sent no new message{where} within {timeout}s; "
            f"its last calls: {recent or 'none'}; "
            f"stand-in errors: {self.internal_errors or 'none'}"
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

    def commands_for(
        self, scope: Mapping[str, Any] | None = None, language: str = ""
    ) -> list[str]:
        """The command names the bot registered with setMyCommands for a scope."""
        key = scope_key(dict(scope or {"type": "default"}), language)
        with self._cond:
            return [c["command"] for c in self.commands.get(key, [])]


def _flat(shown: SentMessage) -> list[str]:
    return [label for row in shown.keyboard for label in row]
