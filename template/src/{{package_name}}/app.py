"""The application factory: the one place where settings, persistence and features meet."""

from __future__ import annotations

from telegram import BotCommand
from telegram.ext import ApplicationBuilder
from telegram.request import BaseRequest

from . import conversation, error_handler, reminders
from .durable import register_write_through
from .features import BotApplication, Feature
from .persistence import build_persistence
from .restore import restore_jobs
from .settings import Settings

__all__ = ["COMMANDS", "FEATURES", "BotApplication", "build_application"]

# Every feature of the bot, once: a new one is a module with COMMANDS and register().
FEATURES: tuple[Feature, ...] = (conversation, reminders)
COMMANDS: list[BotCommand] = [command for feature in FEATURES for command in feature.COMMANDS]


def build_application(settings: Settings, request: BaseRequest | None = None) -> BotApplication:
    """Build the bot; `request` replaces the network (tests pass an offline one)."""
    builder = (
        ApplicationBuilder()
        .token(settings.bot_token)
        .persistence(build_persistence(settings))
        .post_init(_post_init)
        .updater(None)  # updates arrive through delivery.py, acknowledged once handled
    )
    if settings.api_base_url:  # the stand-in: .../bot, its files at .../file/bot
        builder = builder.base_url(settings.api_base_url)
        builder = builder.base_file_url(settings.api_base_url.removesuffix("bot") + "file/bot")
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    else:  # a spare connection: the last acknowledgement on stop never waits for the poll
        builder = builder.get_updates_connection_pool_size(2)  # that the stop cancelled
    application = builder.build()
    for feature in FEATURES:
        feature.register(application, settings)
    error_handler.register(application)
    register_write_through(application)  # BOT_PERSISTENCE_INTERVAL=0 only
    return application


async def _post_init(application: BotApplication) -> None:
    """Runs once persistence is loaded and before updates are fetched."""
    await application.bot.set_my_commands(COMMANDS)
    await restore_jobs(application)  # every feature's saved jobs, conversation timeouts included
