"""A named, persistent conversation: /start asks about you and remembers answers and progress.

The ConversationHandler has a name and `persistent=True`, so the persistence backend saves
each user's conversation state next to their user_data. Try it: run
`python -m <package_name> chat`, send /start, tap "Age", quit, start again and send 23: the bot
takes it as your age. Based on python-telegram-bot's persistentconversationbot example.
/start in the middle asks the pending question again; /cancel ends it at any step; with
CONVERSATION_TIMEOUT set, a user who stays quiet that long is told it ended (timeouts.py), even
across restarts. Answers are capped at MAX_ANSWER characters and long replies split, so no
text a user sends can make a reply fail for good.
"""

from __future__ import annotations

import re
from typing import Any

from telegram import BotCommand, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import (
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from .features import BotApplication
from .replies import reply_in_parts
from .settings import Settings
from .timeouts import TimeoutConversation

CHOOSING, TYPING_REPLY, TYPING_CHOICE = range(3)

CONVERSATION_NAME = "profile"  # saved with every state: renaming it forgets open conversations
REGULAR_CHOICES = ("Age", "Favourite colour", "Number of siblings")
SOMETHING_ELSE = "Something else..."
DONE = "Done"
# The category whose value is awaited; kept in user_data so that it survives a restart too.
PENDING_KEY = "_pending_category"
MAX_ANSWER = 500  # characters per category or answer: the fact list stays readable
TOO_LONG = f"That is too long: please keep it to {MAX_ANSWER} characters and send it again."
CANCELLED = "Cancelled. What you told me is kept: send /start to go on."
TIMED_OUT = "You have been quiet for a while, so I ended our conversation. Send /start to go on."

COMMANDS = [
    BotCommand("start", "Tell me about yourself (or go on where you were)"),
    BotCommand("show_data", "Show what you have told me"),
    BotCommand("cancel", "End the conversation"),
]

MARKUP = ReplyKeyboardMarkup(
    [[REGULAR_CHOICES[0], REGULAR_CHOICES[1]], [REGULAR_CHOICES[2], SOMETHING_ELSE], [DONE]],
    one_time_keyboard=True,
)
# Free text that answers a question; commands and "Done" are handled elsewhere.
ANSWER = filters.TEXT & ~(filters.COMMAND | filters.Regex(f"^{DONE}$"))
# One that is too long to keep: refused with the limit, and the question stays open.
LONG = filters.Regex(f"^(?s:.{{{MAX_ANSWER + 1},}})$")


def facts(user_data: dict[str, Any]) -> dict[str, Any]:
    """What the user has told: their user_data without the conversation's own bookkeeping."""
    return {key: value for key, value in user_data.items() if key != PENDING_KEY}


def facts_to_str(user_data: dict[str, Any]) -> str:
    """Format what the user has told, one `category - value` per line."""
    lines = [f"{key} - {value}" for key, value in facts(user_data).items()]
    return "\n".join(lines).join(["\n", "\n"])


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Greet the user, show what they told before, and offer the categories."""
    message = update.effective_message
    if message is None or context.user_data is None:
        return ConversationHandler.END
    context.user_data.pop(PENDING_KEY, None)
    reply_text = "Hi! My name is Doctor Botter."
    if facts(context.user_data):
        reply_text += (
            f" You already told me this:{facts_to_str(context.user_data)}"
            "Why don't you tell me something more about yourself? "
            "Or change anything I already know."
        )
    else:
        reply_text += (
            " I will hold a more complex conversation with you. Why don't you tell me "
            "something about yourself?"
        )
    await reply_in_parts(message, reply_text, reply_markup=MARKUP)
    return CHOOSING


async def regular_choice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Ask for the value of the chosen category."""
    message = update.effective_message
    if message is None or message.text is None or context.user_data is None:
        return CHOOSING
    category = message.text.lower()
    context.user_data[PENDING_KEY] = category
    if context.user_data.get(category):
        reply_text = (
            f"Your {category}? I already know the following about that: "
            f"{context.user_data[category]}"
        )
    else:
        reply_text = f"Your {category}? Yes, I would love to hear about that!"
    await message.reply_text(reply_text)
    return TYPING_REPLY


async def custom_choice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Ask for the name of a category of the user's own."""
    message = update.effective_message
    if message is None:
        return CHOOSING
    await message.reply_text(
        'Alright, please send me the category first, for example "Most impressive skill"'
    )
    return TYPING_CHOICE


async def received_information(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Store the value under the pending category and offer the categories again."""
    message = update.effective_message
    if message is None or message.text is None or context.user_data is None:
        return TYPING_REPLY
    category = context.user_data.pop(PENDING_KEY, None)
    if category is None:  # the state was saved but not the category: ask again
        await message.reply_text("Which category was that for?", reply_markup=MARKUP)
        return CHOOSING
    context.user_data[category] = message.text.lower()
    await reply_in_parts(
        message,
        "Neat! Just so you know, this is what you already told me:"
        f"{facts_to_str(context.user_data)}"
        "You can tell me more, or change your opinion on something.",
        reply_markup=MARKUP,
    )
    return CHOOSING


async def show_data(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show what the user has told, at any time."""
    message = update.effective_message
    if message is None or context.user_data is None:
        return
    if not facts(context.user_data):
        await message.reply_text("You have not told me anything yet: send /start to begin.")
        return
    await reply_in_parts(
        message, f"This is what you already told me: {facts_to_str(context.user_data)}"
    )


async def done(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Show the summary and end the conversation."""
    message = update.effective_message
    if message is None or context.user_data is None:
        return ConversationHandler.END
    context.user_data.pop(PENDING_KEY, None)
    await reply_in_parts(
        message,
        f"I learned these facts about you: {facts_to_str(context.user_data)}Until next time!",
        reply_markup=ReplyKeyboardRemove(),
    )
    return ConversationHandler.END


async def ask_again(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """/start while a value is awaited: ask for it again instead of starting over."""
    message = update.effective_message
    category = context.user_data.get(PENDING_KEY) if context.user_data else None
    if message is None or category is None:
        return await start(update, context)
    await message.reply_text(f"Your {category}? I am still waiting for your answer.")
    return TYPING_REPLY


async def too_long(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Refuse an answer over MAX_ANSWER characters; the conversation stays where it was."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(TOO_LONG)


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """/cancel: end the conversation at any step, keep the facts, and say so."""
    if context.user_data is not None:
        context.user_data.pop(PENDING_KEY, None)
    if update.effective_message is not None:
        await update.effective_message.reply_text(CANCELLED, reply_markup=ReplyKeyboardRemove())
    return ConversationHandler.END


async def timed_out(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """CONVERSATION_TIMEOUT passed without an answer (also across restarts): say it ended."""
    if context.user_data is not None:
        context.user_data.pop(PENDING_KEY, None)
    if update.effective_chat is not None:
        await context.bot.send_message(
            update.effective_chat.id, TIMED_OUT, reply_markup=ReplyKeyboardRemove()
        )


def register(application: BotApplication, settings: Settings) -> None:
    """Add the conversation (with the CONVERSATION_TIMEOUT setting) and /show_data."""
    regular = "|".join(re.escape(choice) for choice in REGULAR_CHOICES)
    application.add_handler(
        TimeoutConversation(
            entry_points=[CommandHandler("start", start), CommandHandler("cancel", cancel)],
            states={
                CHOOSING: [
                    CommandHandler("start", start),
                    MessageHandler(filters.Regex(f"^({regular})$"), regular_choice),
                    MessageHandler(filters.Regex(f"^{re.escape(SOMETHING_ELSE)}$"), custom_choice),
                ],
                TYPING_CHOICE: [
                    CommandHandler("start", custom_choice),
                    MessageHandler(ANSWER & LONG, too_long),
                    MessageHandler(ANSWER, regular_choice),
                ],
                TYPING_REPLY: [
                    CommandHandler("start", ask_again),
                    MessageHandler(ANSWER & LONG, too_long),
                    MessageHandler(ANSWER, received_information),
                ],
                ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)],
            },
            fallbacks=[
                MessageHandler(filters.Regex(f"^{DONE}$"), done),
                CommandHandler("cancel", cancel),
            ],
            name=CONVERSATION_NAME,
            persistent=True,
            timeout=settings.conversation_timeout,
        )
    )
    application.add_handler(CommandHandler("show_data", show_data))
