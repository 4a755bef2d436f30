"""Conversation timeouts that survive restarts: the deadline is a saved job, not a PTB timer.

PTB's `conversation_timeout` is a JobQueue job holding a callback: it cannot be saved, so a
restart forgets it and the conversation waits forever. `TimeoutConversation` is a
ConversationHandler whose deadline is a persistent job (jobs.py) holding only data: the
conversation's name, its key and the last update (as Telegram's JSON). After every update the
deadline moves; when the conversation ends it is cancelled; when it passes, even during a
restart, the TIMEOUT state's handlers run once with that update and the conversation ends.

    TimeoutConversation(entry_points=[...], states={..., ConversationHandler.TIMEOUT: [...]},
                        fallbacks=[...], name="booking", persistent=True, timeout=600)

Moving a deadline is saved with the next interval save, as the state it belongs to (a crash
loses both or neither); a firing is written before its handlers run, so it happens once.
A saved deadline of a conversation no longer defined stops the start, like an unknown job type;
`retire_conversation("old_name")` drops such deadlines instead.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, ContextTypes, ConversationHandler

from .durable import save_now
from .features import BotApplication
from .jobs import cancel_jobs, job_type, saved_jobs, schedule_job

logger = logging.getLogger(__name__)

TIMEOUT_JOB = "conversation_timeout"
RETIRED: set[str] = set()


class TimeoutConversation(ConversationHandler[Any]):
    """A named, persistent ConversationHandler with a `timeout` (seconds; None for none)."""

    __slots__ = ("timeout",)

    def __init__(self, *args: Any, timeout: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not (self.persistent and self.name) or self.conversation_timeout:
            raise ValueError(
                "a TimeoutConversation needs name=... and persistent=True, and timeout= "
                "instead of conversation_timeout="
            )
        self.timeout = timeout

    async def handle_update(
        self,
        update: Update,
        application: BotApplication,
        check_result: Any,
        context: Any,
    ) -> object | None:
        """Handle as PTB does, then move or cancel this conversation's saved deadline."""
        try:
            return await super().handle_update(update, application, check_result, context)
        finally:
            if self.timeout:
                await self._move_deadline(application, update, check_result[1])

    async def _move_deadline(
        self, application: BotApplication, update: Update, key: tuple[int | str, ...]
    ) -> None:
        job_id = f"{TIMEOUT_JOB}-{self.name}-{'_'.join(map(str, key))}"
        if self._conversations.get(key) is None:  # the conversation ended
            await cancel_jobs(application, [job_id], save=False)
            return
        chat, user = update.effective_chat, update.effective_user
        await schedule_job(
            application,
            TIMEOUT_JOB,
            float(self.timeout or 0),
            chat_id=chat.id if chat else None,
            user_id=user.id if user else None,
            data={"conversation": self.name, "key": list(key), "update": update.to_dict()},
            job_id=job_id,
            save=False,
        )

    async def time_out(
        self, context: ContextTypes.DEFAULT_TYPE, key: tuple[int | str, ...], update: Update
    ) -> None:
        """End the conversation, write that, then run the TIMEOUT state's handlers once."""
        if self._conversations.get(key) is None:  # ended meanwhile
            return
        self._update_state(self.END, key)
        await save_now(context.application)
        for handler in self.states.get(self.TIMEOUT, []):
            check = handler.check_update(update)
            if check is not None and check is not False:
                await handler.handle_update(update, context.application, check, context)


def retire_conversation(name: str) -> None:
    """Drop saved deadlines of a conversation that no longer exists (e.g. after a rename)."""
    RETIRED.add(name)


def find_conversation(application: BotApplication, name: str) -> TimeoutConversation | None:
    """The TimeoutConversation called `name` among the handlers, nested ones included."""
    todo: list[BaseHandler[Any, Any, Any]] = [
        handler for group in application.handlers.values() for handler in group
    ]
    while todo:
        handler = todo.pop()
        if isinstance(handler, TimeoutConversation) and handler.name == name:
            return handler
        if isinstance(handler, ConversationHandler):
            todo += [*handler.entry_points, *handler.fallbacks]
            todo += [child for children in handler.states.values() for child in children]
    return None


def _check(application: BotApplication, data: Any) -> str | None:
    """Why a saved deadline cannot be restored, as advice (see jobs.restore_jobs)."""
    if not isinstance(data, dict) or not {"conversation", "key", "update"} <= data.keys():
        return "a conversation timeout's data is not ours: restore it from a backup or delete it"
    name = data["conversation"]
    if name in RETIRED or find_conversation(application, name) is not None:
        return None
    return (
        f"conversation {name!r} is not registered: add a TimeoutConversation with "
        f"name={name!r}, or retire it with retire_conversation({name!r})"
    )


@job_type(TIMEOUT_JOB, check=_check)
async def conversation_timed_out(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The saved deadline passed: find the conversation by name and time it out."""
    job = context.job
    if job is None or job.name is None or not isinstance(job.data, dict):
        return
    name = job.data["conversation"]
    conversation = find_conversation(context.application, name)
    if conversation is None or job.name in saved_jobs(context.application):
        # retired, or the user answered while this run was starting: a newer deadline holds
        logger.info("Dropped the timeout of conversation %s (job %s)", name, job.name)
        return
    update = Update.de_json(job.data["update"], context.bot)
    await conversation.time_out(context, tuple(job.data["key"]), update)
