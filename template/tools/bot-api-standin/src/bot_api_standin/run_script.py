"""Run an unmodified python-telegram-bot script against a stand-in: `python -m <this> SCRIPT`.

The one change is where the bot connects: every `telegram.Bot` (so every Application's bot, and
`Bot("TOKEN")` used directly) gets the token from BOT_TOKEN and the base URLs from
BOT_API_BASE_URL ("http://127.0.0.1:PORT/bot"; files from ".../file/bot"). The script then runs
as `__main__`, with its own arguments, exactly as `python SCRIPT` would run it.
"""

from __future__ import annotations

import inspect
import os
import runpy
import sys
from typing import Any


def redirect(base_url: str, token: str) -> None:
    """Make every `telegram.Bot` created from now on talk to `base_url` with `token`."""
    import telegram

    original = telegram.Bot.__init__
    signature = inspect.signature(original)
    file_url = base_url.rsplit("/bot", 1)[0] + "/file/bot"

    def init(self: telegram.Bot, *args: Any, **kwargs: Any) -> None:
        bound = signature.bind(self, *args, **kwargs)
        bound.arguments |= {"token": token, "base_url": base_url, "base_file_url": file_url}
        original(*bound.args, **bound.kwargs)

    telegram.Bot.__init__ = init  # type: ignore[method-assign]


def main(argv: list[str]) -> int:
    base_url, token = os.environ.get("BOT_API_BASE_URL"), os.environ.get("BOT_TOKEN")
    if len(argv) < 1 or not base_url or not token:
        print(
            "usage: BOT_API_BASE_URL=http://127.0.0.1:PORT/bot BOT_TOKEN=... "
            "python -m bot_api_standin.run_script SCRIPT [ARGS...]",
            file=sys.stderr,
        )
        return 2
    redirect(base_url, token)
    sys.argv = list(argv)
    runpy.run_path(argv[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
