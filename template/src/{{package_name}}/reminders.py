"""Reminders: `/set <seconds>` and `/unset`, kept across restarts as persistent jobs (jobs.py).

Try it: run `python -m <package_name> chat`, send `/set 30`, quit and start again within the 30 s:
the "Beep!" still comes on time. Stay away longer and it comes right after the next start, with
a log line saying how late it is. Based on python-telegram-bot's timerbot example.
"""

from __future__ import annotations

import logging
import math

from telegram import BotCommand, Update
from telegram.ext import CommandHandler, ContextTypes

from .durable import NotSavedError
from .features import BotApplication
from .jobs import cancel_jobs, chat_jobs, job_type, schedule_job
from .settings import Settings

logger = logging.getLogger(__name__)

REMINDER = "reminder"
MAX_SECONDS = 366 * 24 * 3600  # beyond a year is surely a typo
USAGE = f"Usage: /set <seconds>, a number above 0 and at most {MAX_SECONDS} (a year)"
NOT_SAVED = "Sorry, I could not save your reminder (my storage is not answering): try again soon."
NOT_SAVED_CANCEL = (
    "Cancelled, but my storage is not answering: if I restart before it is back, the timer "
    "may still ring once."
)

COMMANDS = [
    BotCommand("set", "Set a reminder: /set <seconds>"),
    BotCommand("unset", "Cancel this chat's reminders"),
]


@job_type(REMINDER)
async def alarm(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the reminder; its payload is {"seconds": <the delay the user asked for>}."""
    job = context.job
    if job is None or job.chat_id is None or not isinstance(job.data, dict):
        return
    await context.bot.send_message(
        job.chat_id, text=f"Beep! {job.data['seconds']:g} seconds are over!"
    )


def parse_seconds(args: list[str] | None) -> float | None:
    """The delay in `/set <seconds>`, or None if the arguments are not exactly one sane number."""
    if not args or len(args) != 1:
        return None
    try:
        seconds = float(args[0])
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and 0 < seconds <= MAX_SECONDS else None


async def set_timer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Schedule a reminder in this chat; it is saved before the bot confirms it."""
    message = update.effective_message
    if message is None:
        return
    seconds = parse_seconds(context.args)
    if seconds is None:
        await message.reply_text(USAGE)
        return
    user = update.effective_user
    try:
        await schedule_job(
            context.application,
            REMINDER,
            seconds,
            chat_id=message.chat_id,
            user_id=user.id if user else None,
            data={"seconds": seconds},
        )
    except NotSavedError as error:
        logger.warning("Reminder for chat %s not set: %s", message.chat_id, error)
        await message.reply_text(NOT_SAVED)
        return
    logger.info("Reminder set for chat %s in %g s", message.chat_id, seconds)
    await message.reply_text("Timer successfully set!")


async def unset(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Cancel every reminder of this chat."""
    message = update.effective_message
    if message is None:
        return
    chat_reminders = [
        job_id
        for job_id, spec in chat_jobs(context.application, message.chat_id).items()
        if spec["type"] == REMINDER
    ]
    try:
        cancelled = await cancel_jobs(context.application, chat_reminders)
    except NotSavedError as error:
        logger.warning("Reminders of chat %s cancelled, not saved yet: %s", message.chat_id, error)
        await message.reply_text(NOT_SAVED_CANCEL)
        return
    if not cancelled:
        text = "You have no active timer."
    elif cancelled == 1:
        text = "Timer successfully cancelled!"
    else:
        text = f"{cancelled} timers successfully cancelled!"
    await message.reply_text(text)


def register(application: BotApplication, settings: Settings) -> None:
    """Add the reminder commands; post_init restores saved reminders (jobs.restore_jobs)."""
    application.add_handler(CommandHandler("set", set_timer))
    application.add_handler(CommandHandler("unset", unset))
