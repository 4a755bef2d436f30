"""One running bot per data directory (the sql backend on PostgreSQL: see lease.py).

Two processes on the same store both load it, both write, and the last writer silently wins.
So the bot (and `export`/`import`) first takes an exclusive `flock` on `BOT_DATA_DIR/bot.lock`
and keeps it for its whole life. The kernel drops the lock when the process ends, however it
ends: a lock file left by a SIGKILLed bot never blocks the next start.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .settings import Settings

LOCK_FILE = "bot.lock"


class AlreadyRunningError(RuntimeError):
    """Another process holds the data directory; the message names its pid."""


class InstanceLock:
    """The held lock; `release()` (or the end of the process) lets the next instance start."""

    def __init__(self, descriptor: int | None) -> None:
        self._descriptor: int | None = descriptor

    def release(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)  # closing the descriptor releases the flock
            self._descriptor = None


def hold(data_dir: Path, what: str = "the bot") -> InstanceLock:
    """Take the data directory for this process, or raise AlreadyRunningError naming the holder.

    A directory that does not exist yet is nobody's (a running bot has made its own): there
    is nothing to hold, and `import` may still refuse its file before creating it."""
    if not data_dir.is_dir():
        return InstanceLock(None)
    path = data_dir / LOCK_FILE
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(descriptor, 32, 0).decode(errors="replace").strip() or "unknown"
        os.close(descriptor)
        raise AlreadyRunningError(
            f"another process (pid {holder}) is using {data_dir}: stop it before starting "
            f"{what}; two processes on one store overwrite each other's saves"
        ) from None
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
    return InstanceLock(descriptor)


class Guard(Protocol):
    """What keeps a second instance from writing the same store."""

    def acquire(self, stopping: threading.Event, standby: Callable[[str], None]) -> bool:
        """Wait (as a standby, where that exists) until this process may run; False if
        `stopping` was set first. AlreadyRunningError where waiting makes no sense."""

    def protect(self, persistence: Any) -> None:
        """Make the store's writes check that this process may still write."""

    def release(self) -> None:
        """Let the next instance run (after the final save)."""

    def exclusive(self, what: str) -> None:
        """For export and import: AlreadyRunningError while a bot runs on this store."""


class DataDirGuard:
    """The guard of single-machine stores: the data directory's lock (a `Guard`)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._lock = InstanceLock(None)

    def acquire(self, stopping: threading.Event, standby: Callable[[str], None]) -> bool:
        self._lock = hold(self.data_dir)  # held until release() or the end of the process
        return True

    def protect(self, persistence: Any) -> None:
        """Nothing to add: no other process can hold the lock."""

    def release(self) -> None:
        self._lock.release()

    def exclusive(self, what: str) -> None:
        self._lock = hold(self.data_dir, what=what)


def instance_guard(settings: Settings) -> Guard:
    """The data directory's lock: every store of this backend lives on one machine."""
    return DataDirGuard(settings.data_dir)
