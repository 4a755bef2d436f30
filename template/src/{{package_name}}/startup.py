"""The Bot API calls made at start, retried while Telegram or the network to it has trouble.

At start the bot calls getMe, setMyCommands (post_init) and deleteWebhook or setWebhook. A 429
waits the `retry_after` Telegram asks for; a 5xx, a proxy's HTML error page, a timeout or a
network error waits 1 s, doubling up to 30 s, and tries again, forever: such trouble ends by
itself, and a service manager restarting the process would only do the same, less politely.
Each try logs one line, no traceback; SIGTERM ends the wait at once. What retrying cannot fix
is raised: InvalidToken (401/404, a wrong BOT_TOKEN) and Conflict (409), which `__main__`
turns into one line on stderr and exit status 2.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError

logger = logging.getLogger(__name__)

FIRST_DELAY = 1.0  # seconds before the second try
MAX_DELAY = 30.0  # the delay doubles up to this
MAX_DETAIL = 200  # characters of an error shown: a proxy's error page can be long


async def retry(step: Callable[[], Awaitable[None]], what: str) -> None:
    """Await `step()` until it succeeds; `what` names its Bot API calls in the log."""
    delay = FIRST_DELAY
    tries = 1
    while True:
        try:
            await step()
        except RetryAfter as error:
            wait = seconds(error.retry_after)
            _log(what, tries, "Telegram asks to wait (429 Too Many Requests)", wait)
        except (InvalidToken, Conflict):
            raise  # retrying cannot help: __main__ says what to do
        except NetworkError as error:  # timeouts, connection errors, 5xx, HTML error pages
            wait, delay = delay, min(MAX_DELAY, delay * 2)
            _log(what, tries, _detail(error), wait)
        except TelegramError as error:
            if str(error) != "Invalid server response":  # a 200 that is not JSON: a proxy
                raise
            wait, delay = delay, min(MAX_DELAY, delay * 2)
            _log(what, tries, "an answer that is not JSON (a proxy's error page?)", wait)
        else:
            return
        await asyncio.sleep(wait)
        tries += 1


def _log(what: str, tries: int, problem: str, wait: float) -> None:
    line = "Bot API trouble at start (%s, try %d): %s; trying again in %g s"
    logger.warning(line, what, tries, problem, wait)


def _detail(error: TelegramError) -> str:
    text = " ".join(str(error).split())
    if isinstance(error.__cause__, TelegramError):  # PTB could not parse the answer
        text = text.partition(". Parsing the server response")[0] + ", not JSON: a proxy's page?"
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 3] + "..."


def seconds(value: float | dt.timedelta) -> float:
    """A `retry_after` in seconds: PTB gives an int or a timedelta, by its settings."""
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
