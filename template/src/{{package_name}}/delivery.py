"""Delivery: every update Telegram sends is handled at least once, one chat's updates in order.

Telegram keeps an update until the bot acknowledges it: a getUpdates call with a higher
`offset`, or a 2xx answer to the webhook POST. PTB's Updater acknowledges a batch as soon as it
fetched it, so a crash loses what was fetched but not yet handled. Here an update is
acknowledged only once its handlers finished (see polling.py and the webhook server), and:

- `Scheduler` runs updates through `Application.process_update`: one chat's updates one after
  another in the order Telegram sent them, different chats concurrently;
- `checkpoint.Checkpoint` is the one place between "handled" and "acknowledged": in
  write-through mode (BOT_PERSISTENCE_INTERVAL=0) it makes each update's changes durable, with
  its id, before the acknowledgement, and skips updates applied before a crash;
- `run` replaces `run_polling`/`run_webhook`: same hooks and order, signals, clean exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
from collections.abc import Hashable
from typing import Any, NoReturn, Protocol

from telegram import Update

from . import startup
from .checkpoint import Checkpoint
from .features import BotApplication

logger = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGABRT)
CONCURRENCY = 16  # handlers running at once (one per chat); benchmarks/delivery.py chose it
GRACE = 5.0  # seconds running handlers get on SIGTERM before they are cancelled


def chat_key(update: object) -> Hashable:
    """What orders updates: their chat, else their user; anything else shares one lane."""
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
    return None


class Scheduler:
    """Handle updates concurrently across chats and in arrival order within a chat.

    `submit` returns a task whose result says whether the update was handled (True) or left
    unhandled because the bot is stopping (False; cancelled counts as False too). An update is
    never handled after a later one of its chat was left unhandled, so a redelivery after a
    restart keeps the chat's order.
    """

    def __init__(
        self,
        application: BotApplication,
        checkpoint: Checkpoint | None = None,
        concurrency: int = CONCURRENCY,
    ) -> None:
        self._application = application
        self._checkpoint = checkpoint or Checkpoint(application)
        self._slots = asyncio.Semaphore(concurrency)
        self._lanes: dict[Hashable, asyncio.Task[bool]] = {}
        self._tasks: set[asyncio.Task[bool]] = set()
        self._running: set[asyncio.Task[Any]] = set()  # inside process_update right now
        self._epochs: dict[asyncio.Task[bool], int | None] = {}  # see Checkpoint.handled
        self._closing = False

    @property
    def busy(self) -> int:
        """Updates submitted and not yet done."""
        return len(self._tasks)

    def submit(self, update: Update) -> asyncio.Task[bool]:
        key = chat_key(update)
        task = asyncio.create_task(
            self._handle(update, self._lanes.get(key)), name=f"update {update.update_id}"
        )
        self._lanes[key] = task
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._forget(key, done))
        return task

    def _forget(self, key: Hashable, task: asyncio.Task[bool]) -> None:
        self._tasks.discard(task)
        if self._lanes.get(key) is task:
            del self._lanes[key]
            self._epochs.pop(task, None)  # no next update of its chat waits for it

    async def _handle(self, update: Update, previous: asyncio.Task[bool] | None) -> bool:
        if previous is not None:
            await asyncio.wait([previous])
            if previous.cancelled() or not previous.result():
                return False  # handling this one now would overtake its chat's older update
            await self._checkpoint.before_next(self._epochs.pop(previous, None))
        async with self._slots:
            if self._closing:
                return False
            current = asyncio.current_task()
            assert current is not None
            self._running.add(current)
            try:
                await self._application.process_update(update)
            except Exception:  # handler errors went to process_error; this is PTB itself
                logger.exception("Update %s could not be processed", update.update_id)
            finally:
                self._running.discard(current)
            self._epochs[current] = self._checkpoint.handled(update.update_id)
        return True  # finished, with or without an error: a poison update must not loop

    async def close(self, grace: float = GRACE) -> int:
        """Start nothing new; give running handlers `grace` seconds, then cancel them.

        Returns how many updates were left unhandled (Telegram delivers them again).
        """
        self._closing = True
        tasks = set(self._tasks)
        if not tasks:
            return 0
        _, late = await asyncio.wait(tasks, timeout=grace)
        if late:
            running = set(self._running)
            logger.warning("%d handlers still ran after %g s: cancelled", len(running), grace)
            for task in running:
                task.cancel()  # the ones waiting behind them then end unhandled by themselves
            _, stuck = await asyncio.wait(late, timeout=1.0)
            for task in stuck:  # a handler that swallowed the cancellation
                task.cancel()
        return sum(1 for t in tasks if not t.done() or t.cancelled() or not t.result())


class Source(Protocol):
    """Where updates come from: polling.Poller or the webhook server."""

    error: BaseException | None  # a failure that ended the source; `run` re-raises it

    @property
    def running(self) -> bool: ...

    async def start(self) -> None:
        """Register with Telegram (deleteWebhook / setWebhook) and start taking updates."""

    async def stop(self) -> None:
        """Take no more updates, let running handlers finish (bounded), acknowledge them."""


def run(application: BotApplication, source: Source) -> None:
    """Run the bot until SIGINT/SIGTERM/SIGABRT or `stop_running()`, like PTB's run_polling.

    Order: initialize, post_init, start, source.start ... source.stop, stop, post_stop,
    shutdown (final save), post_shutdown. The Bot API calls of set-up are retried while
    Telegram has trouble (startup.py). Raises what ended the source (e.g. InvalidToken).
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    starting: asyncio.Task[None] | None = None
    with contextlib.suppress(NotImplementedError):  # no signals on Windows: Ctrl+C still works
        for signum in STOP_SIGNALS:
            loop.add_signal_handler(signum, _raise_system_exit)
    try:
        loop.run_until_complete(startup.retry(application.bot.initialize, "getMe"))
        loop.run_until_complete(application.initialize())
        if application.post_init:
            post_init = functools.partial(application.post_init, application)
            loop.run_until_complete(startup.retry(post_init, "post_init"))
        loop.run_until_complete(application.start())
        starting = loop.create_task(startup.retry(source.start, "registering for updates"))
        loop.run_until_complete(starting)
        loop.run_forever()  # until a signal, stop_running() or the source's failure
    except (KeyboardInterrupt, SystemExit):
        logger.info("Stop signal received: finishing running handlers, then saving")
    finally:
        with contextlib.suppress(NotImplementedError):  # a second signal must not abort the save
            for signum in STOP_SIGNALS:
                loop.add_signal_handler(signum, logger.info, "Already stopping")
        if starting is not None and not starting.done():  # a signal came mid set-up
            starting.cancel()
            loop.run_until_complete(asyncio.wait([starting]))
        try:
            _stop(loop, application, source)
        finally:
            loop.close()
    if source.error is not None:
        raise source.error


def _stop(loop: asyncio.AbstractEventLoop, application: BotApplication, source: Source) -> None:
    if source.running:
        loop.run_until_complete(source.stop())
    if application.running:
        loop.run_until_complete(application.stop())
        if application.post_stop:
            loop.run_until_complete(application.post_stop(application))
    loop.run_until_complete(application.shutdown())
    if application.post_shutdown:
        loop.run_until_complete(application.post_shutdown(application))


def fail(source: Source, error: BaseException) -> None:
    """End `run` because `source` cannot go on (e.g. Telegram rejected the token)."""
    source.error = error
    with contextlib.suppress(RuntimeError):
        asyncio.get_running_loop().stop()


def _raise_system_exit() -> NoReturn:
    raise SystemExit
