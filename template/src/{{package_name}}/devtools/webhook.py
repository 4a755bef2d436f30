"""Telegram's side of webhook mode, offline: POST updates to the bot with the secret header.

Telegram sends each update as a JSON POST carrying `X-Telegram-Bot-Api-Secret-Token` and
retries until the bot answers 200. `post_update` is one such POST; `WebhookRelay` forwards the
updates queued in a `FakeBotAPI` (by `send_text`, `press_button`) to a bot in webhook mode, with
the secret the bot registered through setWebhook, retrying while the bot is down or restarting.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from .botapi import FakeBotAPI

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
RETRY_SECONDS = 0.1
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
    """Forward every update queued in `api` to the bot's local webhook `url`, in order."""

    def __init__(self, api: FakeBotAPI, url: str) -> None:
        self.api = api
        self.url = url
        self.answers: dict[int, int] = {}  # update id -> the bot's final HTTP status
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="webhook-relay", daemon=True)

    def start(self) -> WebhookRelay:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def __enter__(self) -> WebhookRelay:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _next(self) -> tuple[dict[str, Any], str | None] | None:
        return self.api.next_update(max(self.answers, default=0))

    def _run(self) -> None:
        while not self._stop.is_set():
            found = self.api.wait_until(self._next, RETRY_SECONDS)
            if found is None:
                self._stop.wait(0.01)  # the stand-in may be closed: never spin
                continue
            update, secret = found
            try:
                status = post_update(self.url, update, secret)
            except OSError:  # the bot is not listening yet, or restarting: retry like Telegram
                self._stop.wait(RETRY_SECONDS)
                continue
            if status >= 500:
                self._stop.wait(RETRY_SECONDS)
                continue
            self.answers[update["update_id"]] = status  # 4xx: Telegram drops the update too
            self.api.acknowledge(update["update_id"])
