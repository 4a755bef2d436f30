"""The one way in for a feature: a module with `COMMANDS` and `register(application, settings)`.

`app.py` lists the feature modules once; the bot's command menu and its handlers come from that
list. A feature of your own is a module with the same two names, added to `FEATURES` there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from telegram import BotCommand
from telegram.ext import Application

if TYPE_CHECKING:
    from .settings import Settings

# The one name for the bot's Application type: PTB's generic class with the default contexts.
BotApplication = Application[Any, Any, Any, Any, Any, Any]


class Feature(Protocol):
    """What `app.py` needs from a feature module."""

    COMMANDS: list[BotCommand]  # shown in the bot's command menu, in this order

    def register(self, application: BotApplication, settings: Settings) -> None:
        """Add the feature's handlers; `settings` carries what it may need (e.g. a timeout)."""
