"""Print, as a Markdown table, which of python-telegram-bot's Bot API methods the stand-in serves.

Run with a generated project's Python (it has PTB and the stand-in) and the stand-in's import
path as the argument: `python method_table.py bot_api_standin`. Every public camelCase method
of `telegram.Bot` (and `close`) is one row; the stand-in "serves" a method if a call to it is
not answered "method ... is not implemented".
"""

from __future__ import annotations

import importlib
import sys

import telegram

ONE_WORD = ("close",)  # Bot API methods named in one word have no camelCase alias in PTB


def api_methods() -> list[str]:
    """The Bot API methods PTB knows: `telegram.Bot`'s camelCase aliases, and `close`."""
    return sorted(
        name
        for name in dir(telegram.Bot)
        if name[0].islower()
        and (name != name.lower() or name in ONE_WORD)
        and callable(getattr(telegram.Bot, name))
    )


def table(standin: str) -> str:
    api = importlib.import_module(f"{standin}.botapi").FakeBotAPI()
    rows = [f"| `{name}` | {'yes' if api.implements(name) else '-'} |" for name in api_methods()]
    served = sum(row.endswith("yes |") for row in rows)
    head = [
        f"python-telegram-bot {telegram.__version__}: {len(rows)} methods, "
        f"{served} served by the stand-in.",
        "",
        "| method | served |",
        "| --- | --- |",
    ]
    return "\n".join(head + rows) + "\n"


if __name__ == "__main__":
    sys.stdout.write(table(sys.argv[1]))
