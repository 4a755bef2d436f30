"""One error handler for every handler and job, in the spirit of PTB's errorhandlerbot example.

Without one, PTB logs "No error handlers are registered" and the user hears nothing. This one
logs the error once with the update's ids (never its text, never the token: the log filter
redacts that) and where it was raised, and tells the user something went wrong if there is a
chat to answer. Their conversation keeps its last good state, so they can go on or send /start.
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from .features import BotApplication

logger = logging.getLogger(__name__)

SORRY = "Sorry, something went wrong on my side. Try again, or send /start to begin afresh."
PACKAGE_DIR = str(Path(__file__).parent)


def describe(update: object, context: ContextTypes.DEFAULT_TYPE) -> str:
    """Which update or job failed, by ids only: message texts are the users' business."""
    if isinstance(update, Update):
        chat, user = update.effective_chat, update.effective_user
        return (
            f"update {update.update_id} (chat {chat.id if chat else None}, "
            f"user {user.id if user else None})"
        )
    if context.job is not None:
        return f"job {context.job.name} (chat {context.job.chat_id}, user {context.job.user_id})"
    return "no update"


def raised_in(error: BaseException) -> str:
    """The bot's own function that raised, e.g. `conversation.py:start`, else the last frame."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [frame for frame in frames if frame.filename.startswith(PACKAGE_DIR)]
    if not (ours or frames):
        return "unknown handler"
    frame = (ours or frames)[-1]
    return f"{Path(frame.filename).name}:{frame.name}"


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error and, when the update came from a chat, say so to the user."""
    error = context.error
    if error is None:
        return
    logger.error(
        "Error in %s while handling %s: %s: %s",
        raised_in(error),
        describe(update, context),
        type(error).__name__,
        error,
        exc_info=error,
    )
    chat = update.effective_chat if isinstance(update, Update) else None
    if chat is None:
        return
    try:
        await context.bot.send_message(chat.id, SORRY)
    except TelegramError as failure:  # e.g. the bot was blocked: nothing more to do
        logger.warning("Could not tell chat %s about the error: %s", chat.id, failure)


def register(application: BotApplication) -> None:
    """Handle the errors of every handler and job."""
    application.add_error_handler(on_error)
