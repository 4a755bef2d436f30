"""Placeholder: the persistent conversation lands with its own issue."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add the conversation's handlers."""
