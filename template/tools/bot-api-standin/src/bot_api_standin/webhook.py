"""Telegram's side of webhook mode, offline: POST updates to the bot with the secret header.

Telegram sends each update as a JSON POST carrying `X-Telegram-Bot-Api-Secret-Token` and
retries until the bot answers 200. `post_update` is one such POST; `WebhookRelay` forwards the
updates queued in a `FakeBotAPI` (by `send_text`, `press_button`) to a bot in webhook mode, with
the secret the bot registered through setWebhook, retrying while the bot is down or restarting.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from .botapi import FakeBotAPI

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
RETRY_SECONDS = 0.1
POLL_SECONDS = 0.02
# Straight to the bot on this machine: a proxy from the environment must never see the POSTs.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def post_update(
    url: str, update: Mapping[str, Any], secret: str | None, timeout: float = 10.0
) -> int:
    """POST one update as Telegram does; return the HTTP status (200 taken, 403 bad secret).

    Raises OSError when nothing listens at `url` (yet).
    """
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    request = urllib.request.Request(  # noqa: S310 - the test's own http://127.0.0.1 URL
        url, data=json.dumps(update).encode(), headers=headers, method="POST"
    )
    try:
        with DIRECT.open(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


class WebhookRelay:
    """Forward every update held in `api` to the bot's local webhook `url`, as Telegram does.

    Up to `connections` POSTs at once (the max_connections of setWebhook), one chat's updates
    one after another in order. An update is forgotten (acknowledged) only on a 2xx answer; a
    refused connection, a timeout or a 5xx is retried after `RETRY_SECONDS`, so a bot killed
    mid-update gets it again once it is back. 4xx answers are final, as Telegram gives up.
    """

    def __init__(
        self, api: FakeBotAPI, url: str, connections: int = 40, timeout: float = 10.0
    ) -> None:
        self.api = api
        self.url = url
        self.timeout = timeout
        self.answers: dict[int, int] = {}  # update id -> the bot's final HTTP status
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._busy: set[object] = set()  # chats with a POST in flight
        self._retry_at: dict[int, float] = {}
        self._threads = [
            threading.Thread(target=self._run, name=f"webhook-relay-{n}", daemon=True)
            for n in range(connections)
        ]

    def start(self) -> WebhookRelay:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def __enter__(self) -> WebhookRelay:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _claim(self) -> tuple[dict[str, Any], str | None] | None:
        """Pick (under the api's lock) the oldest update whose chat has nothing older
        held back (in flight or waiting to be retried), and mark its chat busy."""
        now = time.monotonic()
        with self._lock:
            blocked = set(self._busy)

            def skip(update: dict[str, Any]) -> bool:
                update_id, chat = update["update_id"], chat_of(update)
                if chat in blocked or self._retry_at.get(update_id, 0.0) > now:
                    blocked.add(chat)  # later updates of this chat wait behind this one
                    return True
                return False

            found = self.api.next_update(skip)
            if found is not None:
                self._busy.add(chat_of(found[0]))
            return found

    def _run(self) -> None:
        while not self._stop.is_set():
            found = self._claim()
            if found is None:  # polled, not woken by every call the bot makes: 40 threads
                self._stop.wait(POLL_SECONDS)
                continue
            update, secret = found
            update_id = update["update_id"]
            try:
                status = post_update(self.url, update, secret, self.timeout)
            except OSError:  # not listening (yet), restarting, or too slow: retry like Telegram
                status = 0
            with self._lock:
                self._busy.discard(chat_of(update))
                if status == 0 or status >= 500:
                    self._retry_at[update_id] = time.monotonic() + RETRY_SECONDS
                    continue
                self.answers[update_id] = status
            self.api.acknowledge(update_id)


def chat_of(update: dict[str, Any]) -> object:
    """The chat (else the user) an update belongs to, for per-chat order."""
    for key, value in update.items():
        if key == "update_id" or not isinstance(value, dict):
            continue
        message = value.get("message", value)  # a callback_query holds its message
        if isinstance(message, dict) and isinstance(message.get("chat"), dict):
            return ("chat", message["chat"].get("id"))
        return ("user", (value.get("from") or {}).get("id"))
    return None
