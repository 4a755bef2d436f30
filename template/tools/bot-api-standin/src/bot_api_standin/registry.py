"""Bot API methods kept outside `BotState`, by area, registered here under Telegram's name.

Each area module (account, editing, files, polls, inline, payments, chats, profile) declares
its methods with `@method`; `BotState` serves every registered method next to its own.
`required` lists the parameters Telegram refuses a call without, checked before the method
runs, with Telegram's wording.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from .model import Params, Upload, bad_request

if TYPE_CHECKING:
    from .methods import BotState

Handler = Callable[["BotState", Params, dict[str, Upload]], Any]
F = TypeVar("F", bound=Handler)
METHODS: dict[str, Handler] = {}
# What Telegram answers when a required parameter is missing, where it words it specially.
MISSING = {
    "text": "message text is empty",
    "question": "poll question must be non-empty",
    "options": "poll must have at least 2 option",
    "prices": "prices must be non-empty",
}


def method(name: str, *, required: Iterable[str] = ()) -> Callable[[F], F]:
    """Register the decorated function as Bot API method `name` (camelCase, as Telegram)."""
    needed = tuple(required)

    def register(function: F) -> F:
        def checked(state: BotState, p: Params, f: dict[str, Upload]) -> Any:
            for parameter in needed:
                if p.raw.get(parameter) in (None, "") and parameter not in f:
                    raise bad_request(MISSING.get(parameter, f"{parameter} is empty"))
            return function(state, p, f)

        METHODS[name] = checked
        return function

    return register


def bound(state: BotState) -> dict[str, Callable[[Params, dict[str, Upload]], Any]]:
    """Every registered method bound to `state`, keyed by lower-case name (Telegram ignores
    case)."""
    from . import account, chats, editing, files, inline, payments, polls, profile  # noqa: F401

    def bind(handler: Handler) -> Callable[[Params, dict[str, Upload]], Any]:
        return lambda p, f: handler(state, p, f)

    return {name.lower(): bind(handler) for name, handler in METHODS.items()}
