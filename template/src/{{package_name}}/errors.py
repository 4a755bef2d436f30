"""Errors a user can fix: each carries one line that says what is wrong and what to do.

`__main__` prints the line and exits: 2 for a `SettingsError` (fix the settings and start
again), 1 for a `StartError` (something outside the bot's settings, like a busy port).
"""

from __future__ import annotations


class SettingsError(ValueError):
    """A setting is missing or malformed; the message says which one and what to do."""


class StartError(RuntimeError):
    """The bot cannot start for a reason outside its settings; the message says what to do."""
