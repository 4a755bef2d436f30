"""The update queue and the transports' entry into `FakeBotAPI`: waiting without blocking an
event loop, getUpdates long polls, acknowledgements, and `call`/`acall`, which turn one decoded
HTTP (or in-process) request into Telegram's reply."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from .model import BotAPIError, Call, JSONDict, Params, Reply, Upload, bad_request
from .user_events import UserEvents

T = TypeVar("T")


class UpdateQueue(UserEvents):
    """What every transport needs from the stand-in; `FakeBotAPI` adds the tests' side."""

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

    async def async_wait_until(
        self, predicate: Callable[[], T | None], timeout: float
    ) -> T | None:
        """`wait_until` that awaits instead of blocking, and can be cancelled."""
        loop = asyncio.get_running_loop()
        event = asyncio.Event()

        def wake() -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed while we were registered
                loop.call_soon_threadsafe(event.set)

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
                # Not asyncio.wait_for: on Python < 3.12 it can swallow a cancellation that
                # races with the event, and a poller being stopped would then never stop.
                timer = loop.call_later(remaining, event.set)
                try:
                    await event.wait()
                finally:
                    timer.cancel()
        finally:
            with self._cond:
                self._listeners.discard(wake)

    def held(self) -> list[JSONDict]:
        """Copies of the updates Telegram still holds, oldest first: not yet confirmed by a
        getUpdates offset past them or a 2xx answer to their webhook POST."""
        with self._cond:
            return copy.deepcopy(self._updates)

    def unacknowledged(self) -> list[int]:
        """Ids of the held updates: Telegram would deliver them (again)."""
        with self._cond:
            return [u["update_id"] for u in self._updates]

    def next_update(
        self, skip: Callable[[JSONDict], bool] = lambda update: False
    ) -> tuple[JSONDict, str | None] | None:
        """For webhook delivery: the oldest held update not `skip`ped, and the secret token.

        None while no webhook is set, as Telegram only pushes once setWebhook was called.
        """
        with self._cond:
            if not self.webhook["url"]:
                return None
            for update in self._updates:
                if not skip(update):
                    self._delivered = max(self._delivered, update["update_id"])
                    self._last_activity = time.monotonic()
                    return update, self.webhook.get("secret_token")
            return None

    def acknowledge(self, update_id: int) -> None:
        """The webhook answered 2xx for `update_id`: Telegram forgets that update (only it)."""
        with self._cond:
            self._updates = [u for u in self._updates if u["update_id"] != update_id]
            self._changed()

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
        parked: contextlib.AbstractContextManager[object] | None = None,
    ) -> Reply:
        """Serve one request, blocking through a getUpdates long poll (inside `parked`: the
        call is recorded by then)."""
        outcome = self._begin(token, method, raw, files or {})
        if isinstance(outcome, _Poll):
            poll = outcome
            with parked or contextlib.nullcontext():
                found = self.wait_until(lambda: self._poll(poll), poll.timeout)
            return found or self._poll(poll, final=True) or (200, {"ok": True, "result": []})
        if self.latency:
            time.sleep(self.latency)
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
        if self.latency:
            await asyncio.sleep(self.latency)
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
            try:
                if method.lower() == "getupdates":
                    return self._start_poll(Params(raw))
                handler = self._methods.get(method.lower())
                if handler is None:
                    raise BotAPIError(400, f"Bad Request: method {method!r} is not implemented")
                result = handler(Params(raw), dict(files))
                # A snapshot: later edits must not change a reply still being serialised.
                return 200, {"ok": True, "result": copy.deepcopy(result)}
            except BotAPIError as error:
                return error.reply()
            except Exception:  # a stand-in bug: answer like Telegram would, and record it
                self.internal_errors.append(traceback.format_exc())
                return BotAPIError(500, "Internal Server Error").reply()

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
            u for u in self._updates if not poll.allowed or any(kind in u for kind in poll.allowed)
        ][: poll.limit]
        if not wanted and not final and not self._closed:
            return None
        if wanted:
            self._delivered = max(self._delivered, wanted[-1]["update_id"])
            self._last_activity = time.monotonic()
            self._changed()
        return 200, {"ok": True, "result": wanted}


@dataclass(frozen=True)
class _Poll:
    generation: int
    limit: int
    allowed: list[str] | None
    timeout: float


def short(params: Mapping[str, Any]) -> str:
    text = ", ".join(f"{k}={v!r}" for k, v in params.items() if k not in ("timeout", "offset"))
    return text if len(text) <= 80 else text[:77] + "..."
