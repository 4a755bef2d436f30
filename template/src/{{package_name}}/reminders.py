"""Placeholder: persistent reminders land with their own issue."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add the reminder commands."""


async def restore(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Reschedule saved reminders."""
