"""The application factory: the one place where settings, persistence and handlers meet."""

from __future__ import annotations

from typing import Any

from telegram import BotCommand
from telegram.ext import Application, ApplicationBuilder
from telegram.request import BaseRequest

from . import conversation, reminders
from .persistence import build_persistence
from .settings import Settings

BotApplication = Application[Any, Any, Any, Any, Any, Any]

COMMANDS = [
    BotCommand("start", "Tell me about yourself"),
    BotCommand("show_data", "Show what you have told me"),
    BotCommand("set", "Set a reminder: /set <seconds>"),
    BotCommand("unset", "Cancel this chat's reminders"),
]


def build_application(settings: Settings, request: BaseRequest | None = None) -> BotApplication:
    """Build the bot; `request` replaces the network (tests pass an offline one)."""
    builder = (
        ApplicationBuilder()
        .token(settings.bot_token)
        .persistence(build_persistence(settings))
        .post_init(_post_init)
    )
    if settings.api_base_url:
        builder = builder.base_url(settings.api_base_url)
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    application = builder.build()
    conversation.register(application)
    reminders.register(application)
    return application


async def _post_init(application: BotApplication) -> None:
    """Runs once persistence is loaded and before updates are fetched."""
    await application.bot.set_my_commands(COMMANDS)
    await reminders.restore(application)
