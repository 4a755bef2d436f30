"""Several instances on one PostgreSQL database (sql projects only): helpers of these tests."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime

from bot_api_standin.process import BotProcess

STANDBY = "standby: "


def active_ones(bots: list[BotProcess]) -> list[BotProcess]:
    """The running instances whose latest run logged that it took the lease."""
    return [bot for bot in bots if bot.running and "active: " in bot.log.split("--- start")[-1]]


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout} s"
        time.sleep(0.02)


def logged_at(log: str, text: str) -> datetime:
    """When the log line holding `text` was written (the log's own timestamp)."""
    found = re.search(rf"^(\S+ \S+) .*{re.escape(text)}", log, re.M)
    assert found, f"{text!r} not in the log:\n{log}"
    return datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S,%f")
