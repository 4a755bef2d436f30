"""Faults the stand-in serves instead of an answer: Telegram's and a proxy's bad days, on cue.

A test queues them with `StandInServer.fail_next`; the HTTP handler takes the first one queued
for the method a request calls, and answers with it without calling the method (so the call is
not in `api.calls`). Only the HTTP server serves faults: the in-process stand-in has no HTTP.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urlsplit

PROXY_PAGE = (
    "<html><head><title>{code} {phrase}</title></head><body><center><h1>{code} {phrase}</h1>"
    "</center><hr><center>nginx</center></body></html>"
)


@dataclass(frozen=True)
class Fault:
    """An HTTP answer: status, body and its Content-Type; status 0 drops the connection
    without one (the bot sees a network error)."""

    status: int
    body: bytes
    content_type: str

    @classmethod
    def make(cls, status: int, *, retry_after: int | None = None, html: bool = False) -> Fault:
        """Telegram's JSON error for `status` (with `retry_after` for a 429), or, with `html`,
        the HTML page a reverse proxy shows in its place; status 0: no answer at all."""
        if status == 0:
            return cls(0, b"", "")
        phrase = HTTPStatus(status).phrase
        if html:
            page = PROXY_PAGE.format(code=status, phrase=phrase)
            return cls(status, page.encode(), "text/html")
        payload: dict[str, object] = {"ok": False, "error_code": status, "description": phrase}
        if retry_after is not None:
            payload["description"] = f"Too Many Requests: retry after {retry_after}"
            payload["parameters"] = {"retry_after": retry_after}
        return cls(status, json.dumps(payload).encode(), "application/json")


class Faults:
    """Faults queued per Bot API method, taken first in, first out; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queued: dict[str, deque[Fault]] = {}

    def add(self, method: str, fault: Fault, times: int = 1) -> None:
        with self._lock:
            self._queued.setdefault(method, deque()).extend([fault] * times)

    def take(self, path: str) -> Fault | None:
        """The next fault for the method `path` (".../bot<token>/<method>") calls, if any."""
        method = urlsplit(path).path.rpartition("/")[2]
        with self._lock:
            queued = self._queued.get(method)
            return queued.popleft() if queued else None

    def pending(self) -> int:
        """How many faults are still queued (0 once the bot met them all)."""
        with self._lock:
            return sum(map(len, self._queued.values()))
