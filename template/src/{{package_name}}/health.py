"""Health: a heartbeat file that the running bot touches, and the check that reads it.

A repeating job on the bot's own event loop touches `BOT_DATA_DIR/heartbeat`, so the file goes
stale when the loop hangs, not only when the process dies. `python -m <package> health` exits
0 while the file is fresh and 1 when it is missing or stale; Docker's HEALTHCHECK runs it, and
so can any monitor that shares the data directory.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from telegram.ext import Application, ContextTypes

from .settings import Settings

HEARTBEAT_FILE = "heartbeat"
MISSED_BEATS = 4  # stale after this many intervals: one slow beat is not an outage


def heartbeat_path(settings: Settings) -> Path:
    return settings.data_dir / HEARTBEAT_FILE


def register(application: Application[Any, Any, Any, Any, Any, Any], settings: Settings) -> None:
    """Touch the heartbeat now and then every `heartbeat_interval` seconds while the bot runs."""
    path = heartbeat_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)

    async def beat(_: ContextTypes.DEFAULT_TYPE) -> None:
        path.touch()  # a metadata update only: too small to be worth a thread

    assert application.job_queue is not None, "python-telegram-bot[job-queue] is required"
    application.job_queue.run_repeating(
        beat, interval=settings.heartbeat_interval, first=0, name="heartbeat"
    )


def problem(settings: Settings, now: float | None = None) -> str | None:
    """Why the bot looks unhealthy, or None when its heartbeat is fresh."""
    path = heartbeat_path(settings)
    try:
        age = (time.time() if now is None else now) - path.stat().st_mtime
    except FileNotFoundError:
        return f"no heartbeat at {path}: the bot is not running (or BOT_DATA_DIR differs)"
    limit = MISSED_BEATS * settings.heartbeat_interval
    if age > limit:
        return f"heartbeat {path} is {age:.0f} s old (over {limit:g} s): the bot hangs or stopped"
    return None
