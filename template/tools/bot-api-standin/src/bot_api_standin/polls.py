"""Polls and quizzes the bot sends (sendPoll) and closes (stopPoll); users vote in userside."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .checks import checked_markup
from .model import JSONDict, Params, SentMessage, Upload, bad_request
from .registry import method

if TYPE_CHECKING:
    from .methods import BotState

MAX_QUESTION = 300
MAX_OPTION = 100
MAX_OPTIONS = 12


def make_poll(state: BotState, question: Any, options: Any, **settings: Any) -> JSONDict:
    """A Poll object, checked as Telegram checks a new poll."""
    if not isinstance(question, str) or not question.strip():
        raise bad_request("poll question must be non-empty")
    if len(question) > MAX_QUESTION:
        raise bad_request("poll question length must not exceed 300")
    if not isinstance(options, list) or len(options) < 2:
        raise bad_request("poll must have at least 2 option")
    if len(options) > MAX_OPTIONS:
        raise bad_request("poll can't have more than 12 options")
    texts = [o.get("text") if isinstance(o, dict) else o for o in options]
    if not all(isinstance(t, str) and 1 <= len(t) <= MAX_OPTION for t in texts):
        raise bad_request("poll options length must not exceed 100")
    kind = settings.get("type") or "regular"
    if kind not in ("regular", "quiz"):
        raise bad_request("wrong poll type specified")
    poll: JSONDict = {
        "id": str(next(state._ids) * 104729),
        "question": question,
        "options": [
            {"text": t, "voter_count": 0, "persistent_id": str(i)} for i, t in enumerate(texts)
        ],
        "total_voter_count": 0,
        "is_closed": bool(settings.get("is_closed")),
        "is_anonymous": settings.get("is_anonymous", True) is not False,
        "type": kind,
        "allows_multiple_answers": bool(settings.get("allows_multiple_answers")),
        "allows_revoting": kind == "regular",  # fields Bot API 9.6 and 10.0 made required
        "members_only": False,
    }
    correct = settings.get("correct_option_id")
    if kind == "quiz":
        if poll["allows_multiple_answers"]:
            raise bad_request("quiz poll can't allow multiple answers")
        correct = [correct] if isinstance(correct, int) else correct  # before Bot API 9.6
        if not (isinstance(correct, list) and correct) or any(
            not isinstance(i, int) or not 0 <= i < len(texts) for i in correct
        ):
            raise bad_request("wrong correct option id specified")
        poll["correct_option_ids"] = correct
        if settings.get("explanation"):
            poll["explanation"] = settings["explanation"]
    return poll


@method("sendPoll", required=("chat_id", "question", "options"))
def send_poll(state: BotState, p: Params, f: dict[str, Upload]) -> JSONDict:
    chat = state._known_chat(p)
    anonymous = p.raw.get("is_anonymous")
    poll = make_poll(
        state,
        p.text("question"),
        p.obj("options"),
        type=p.text("type"),
        is_anonymous=None if anonymous in (None, "") else p.flag("is_anonymous"),
        allows_multiple_answers=p.flag("allows_multiple_answers"),
        correct_option_id=p.obj("correct_option_ids") or p.integer("correct_option_id"),
        explanation=p.text("explanation"),
        is_closed=p.flag("is_closed"),
    )
    shown = SentMessage(0, 0, poll["question"], kind="poll")
    message = state._store(chat, p, {"poll": poll}, shown)
    state.polls[poll["id"]] = {
        "chat_id": chat["id"],
        "message_id": message["message_id"],
        "poll": poll,
        "votes": {},
        "by_bot": True,
    }
    return message


@method("stopPoll", required=("chat_id", "message_id"))
def stop_poll(state: BotState, p: Params, f: dict[str, Upload]) -> JSONDict:
    chat = state._known_chat(p)
    message = state._messages.get((chat["id"], p.integer("message_id") or 0))
    if message is None or "poll" not in message:
        raise bad_request("message with poll to stop not found")
    if message["from"]["id"] != state.bot_user["id"]:
        raise bad_request("poll can't be stopped")
    poll: JSONDict = message["poll"]
    if poll["is_closed"]:
        raise bad_request("poll has already been closed")
    poll["is_closed"] = True
    markup = checked_markup(p, inline_only=True)
    if markup:
        message["reply_markup"] = state._markups[chat["id"], message["message_id"]] = markup
    state._push_update({"poll": poll})
    return poll
