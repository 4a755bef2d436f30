"""Health: a heartbeat file that the running bot writes, and the check that reads it.

A repeating job on the bot's own event loop writes `BOT_DATA_DIR/heartbeat`, so the file goes
stale when the loop hangs, not only when the process dies; while saves have failed for more
than two save intervals, it holds the reason. `python -m <package> health` exits 0 while the
file is fresh and empty, and 1 when it is missing, stale or holds a reason; Docker's
HEALTHCHECK runs it, and so can any monitor that shares the data directory."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from telegram.ext import ContextTypes

from .durable import SAVE_WAIT
from .features import BotApplication
from .settings import Settings

HEARTBEAT_FILE = "heartbeat"
STANDBY = "standby:"
MISSED_BEATS = 4  # stale after this many intervals: one slow beat is not an outage


def heartbeat_path(settings: Settings) -> Path:
    return settings.data_dir / HEARTBEAT_FILE


def register(application: BotApplication, settings: Settings) -> None:
    """Touch the heartbeat now and then every `heartbeat_interval` seconds while the bot runs."""
    path = heartbeat_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)

    async def beat(_: ContextTypes.DEFAULT_TYPE) -> None:
        write_beat(path, application.persistence, settings.persistence_interval)

    assert application.job_queue is not None, "python-telegram-bot[job-queue] is required"
    application.job_queue.run_repeating(
        beat, interval=settings.heartbeat_interval, first=0, name="heartbeat"
    )


def write_beat(path: Path, persistence: object, save_interval: float) -> None:
    """Beat; note saves that fail or hang (a few bytes: too small to be worth a thread).
    Write-through mode (interval 0) allows what two bounded saves take."""
    limit = 2 * (save_interval or SAVE_WAIT)
    path.write_text(save_problem(persistence, limit, time.time()) or "")


def save_problem(persistence: object, limit: float, now: float) -> str | None:
    """Why saves are in trouble for more than `limit` seconds, or None."""
    # Both are set by the template's stores (BufferedPersistence); others have neither.
    failing_since = getattr(persistence, "failing_since", None)
    writing_since = getattr(persistence, "writing_since", None)
    if failing_since is not None and now - failing_since > limit:
        return f"saves have failed for {now - failing_since:.0f} s: see the bot's log"
    if writing_since is not None and now - writing_since > limit:
        return f"a save has hung for {now - writing_since:.0f} s: the store does not answer"
    return None


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
    text = path.read_text().strip()
    return None if text.startswith(STANDBY) else text or None


def standby(settings: Settings) -> str | None:
    """The heartbeat's "standby: <who> is active" while this instance stands by, else None."""
    with contextlib.suppress(OSError):
        text = heartbeat_path(settings).read_text().strip()
        return text if text.startswith(STANDBY) else None
    return None


def standby_beat(settings: Settings, line: str) -> None:
    """A standby's heartbeat (lease.py): fresh, and saying who is active."""
    path = heartbeat_path(settings)
    with contextlib.suppress(OSError):
        if time.time() - path.stat().st_mtime < 1.0 and path.read_text() == line:
            return  # a standby looks five times a second; the file needs no more than one
    path.write_text(line)
