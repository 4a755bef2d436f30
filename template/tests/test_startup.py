"""Bot API trouble at start, met by the real bot process (see startup.py).

The stand-in serves each fault (`StandInServer.fail_next`) in place of Telegram's answer:
what passes by itself is retried, one log line per try; what needs the user ends the program
with one line and exit status 2. Never a traceback.
"""

from __future__ import annotations

import pytest
from bot_api_standin.process import BotProcess
from bot_api_standin.server import StandInServer

from .conftest import WEBHOOK_MODE

RETRY_LINE = "Bot API trouble at start"
REGISTER = "setWebhook" if WEBHOOK_MODE else "deleteWebhook"  # the source's first call


def trouble_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if RETRY_LINE in line]


def error_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if line.startswith("error:")]


def test_429_waits_as_long_as_telegram_asks(
    bot_api: StandInServer, bot_process: BotProcess
) -> None:
    bot_api.fail_next("getMe", 429, retry_after=1)
    bot_process.start()
    [line] = trouble_lines(bot_process.log)
    assert "getMe, try 1" in line
    assert "429 Too Many Requests" in line
    assert "trying again in 1 s" in line
    assert bot_api.faults.pending() == 0
    assert bot_process.terminate() == 0
    assert "Traceback" not in bot_process.log


@pytest.mark.parametrize(
    ("status", "html", "shown"),
    [
        (502, False, "Bad Gateway"),
        (503, True, "Service Unavailable (503), not JSON"),  # a proxy's error page
        (200, True, "not JSON"),  # a proxy that answers 200 with its page
        (0, False, "Server disconnected"),  # no answer: a network error
    ],
)
def test_server_and_network_trouble_is_retried_with_backoff(
    bot_api: StandInServer, bot_process: BotProcess, status: int, html: bool, shown: str
) -> None:
    bot_api.fail_next("getMe", status, html=html, times=2)
    bot_process.start()
    first, second = trouble_lines(bot_process.log)
    assert shown in first
    assert "try 1" in first
    assert "trying again in 1 s" in first
    assert "try 2" in second
    assert "trying again in 2 s" in second  # doubled
    assert bot_api.faults.pending() == 0
    assert bot_process.terminate() == 0
    assert "Traceback" not in bot_process.log
    assert "<html" not in bot_process.log


@pytest.mark.parametrize("method", ["setMyCommands", REGISTER])
def test_every_call_of_the_start_is_retried(
    bot_api: StandInServer, bot_process: BotProcess, method: str
) -> None:
    bot_api.fail_next(method, 502)
    bot_process.start()
    [line] = trouble_lines(bot_process.log)
    assert "Bad Gateway" in line
    assert method in [call.method for call in bot_api.api.calls]  # the retry got through
    assert bot_process.terminate() == 0
    assert "Traceback" not in bot_process.log


@pytest.mark.parametrize("status", [401, 404])
def test_a_rejected_token_ends_with_one_line_and_exit_2(
    bot_api: StandInServer, bot_process: BotProcess, status: int
) -> None:
    bot_api.fail_next("getMe", status)
    with pytest.raises(RuntimeError, match="exited with status 2"):
        bot_process.start()
    assert bot_process.terminate() == 2
    assert error_lines(bot_process.log) == [
        "error: Telegram rejected BOT_TOKEN: check it with @BotFather"
    ]
    assert not trouble_lines(bot_process.log)  # not retried
    assert "Traceback" not in bot_process.log


def test_a_conflict_ends_with_one_line_and_exit_2(
    bot_api: StandInServer, bot_process: BotProcess
) -> None:
    """409: another instance polls with the same token (or set a webhook again)."""
    bot_api.fail_next("setWebhook" if WEBHOOK_MODE else "getUpdates", 409)
    with pytest.raises(RuntimeError, match="exited with status 2"):
        bot_process.start()
    assert bot_process.terminate() == 2
    [line] = error_lines(bot_process.log)
    assert "409 Conflict" in line
    assert "stop it, or give it its own bot token" in line
    assert "Traceback" not in bot_process.log
