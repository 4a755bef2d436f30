"""Chats and their members, and the simple message kinds: location, contact, dice, copies."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from .model import JSONDict, Params, SentMessage, Upload, bad_request
from .registry import method

if TYPE_CHECKING:
    from .methods import BotState

DICE = {"🎲": 6, "🎯": 6, "🏀": 5, "⚽": 5, "🎳": 6, "🎰": 64}


def status_of(state: BotState, chat: JSONDict, user_id: int) -> str:
    """A user's (or the bot's) membership; everyone is a member of their private chat."""
    if chat["type"] == "private":
        return "member" if user_id in (chat["id"], state.bot_user["id"]) else "left"
    return state.members.get(chat["id"], {}).get(user_id, "left")


def member(state: BotState, chat: JSONDict, user_id: int, status: str | None = None) -> JSONDict:
    user = state.bot_user if user_id == state.bot_user["id"] else state._users.get(user_id)
    if user is None:
        raise bad_request("user not found")
    found: JSONDict = {"status": status or status_of(state, chat, user_id), "user": user}
    if found["status"] == "administrator":
        found |= {"can_be_edited": False, "is_anonymous": False, "can_manage_chat": True}
        found |= dict.fromkeys(
            ("can_delete_messages", "can_manage_video_chats", "can_restrict_members"), True
        )
        found |= dict.fromkeys(
            ("can_promote_members", "can_change_info", "can_invite_users"), True
        )
        found |= dict.fromkeys(("can_post_stories", "can_edit_stories"), True)
        found["can_delete_stories"] = True
    elif found["status"] == "creator":
        found["is_anonymous"] = False
    elif found["status"] == "kicked":
        found["until_date"] = 0
    return found


GIFTS = ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription")


@method("getChat", required=("chat_id",))
def get_chat(state: BotState, p: Params, f: dict[str, Upload]) -> JSONDict:
    chat = state._known_chat(p)
    gifts = dict.fromkeys((*GIFTS, "gifts_from_channels"), False)
    return {**chat, "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}


@method("getChatMember", required=("chat_id", "user_id"))
def get_chat_member(state: BotState, p: Params, f: dict[str, Upload]) -> JSONDict:
    return member(state, state._known_chat(p), p.integer("user_id") or 0)


@method("getChatMemberCount", required=("chat_id",))
def get_chat_member_count(state: BotState, p: Params, f: dict[str, Upload]) -> int:
    chat = state._known_chat(p)
    if chat["type"] == "private":
        return 2
    statuses = state.members.get(chat["id"], {}).values()
    return sum(s in ("member", "administrator", "creator", "restricted") for s in statuses)


@method("getChatAdministrators", required=("chat_id",))
def get_chat_administrators(state: BotState, p: Params, f: dict[str, Upload]) -> list[JSONDict]:
    chat = state._known_chat(p)
    found = state.members.get(chat["id"], {}).items()
    return [member(state, chat, u, s) for u, s in found if s in ("administrator", "creator")]


@method("leaveChat", required=("chat_id",))
def leave_chat(state: BotState, p: Params, f: dict[str, Upload]) -> bool:
    chat = state._known_chat(p)
    if chat["type"] == "private":
        raise bad_request("chat member status can't be changed in private chats")
    state.members.setdefault(chat["id"], {})[state.bot_user["id"]] = "left"
    return True


@method("sendLocation", required=("chat_id", "latitude", "longitude"))
def send_location(state: BotState, p: Params, f: dict[str, Upload]) -> JSONDict:
    chat = state._known_chat(p)
    latitude, longitude = p.number("latitude", 0.0), p.number("longitude", 0.0)
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise bad_request("wrong latitude or longitude specified")
    body = {"location": {"latitude": latitude, "longitude": longitude}}
    shown = SentMessage(0, 0, f"{latitude}, {longitude}", kind="location")
    return state._store(chat, p, body, shown)


@method("sendContact", required=("chat_id", "phone_number", "first_name"))
def send_contact(state: BotState, p: Params, f: dict[str, Upload]) -> JSONDict:
    chat = state._known_chat(p)
    contact = {"phone_number": p.text("phone_number"), "first_name": p.text("first_name")}
    shown = SentMessage(0, 0, f"{contact['first_name']} {contact['phone_number']}", kind="contact")
    return state._store(chat, p, {"contact": contact}, shown)


@method("sendDice", required=("chat_id",))
def send_dice(state: BotState, p: Params, f: dict[str, Upload]) -> JSONDict:
    chat = state._known_chat(p)
    emoji = p.text("emoji") or "🎲"
    if emoji not in DICE:
        raise bad_request("wrong emoji specified")
    dice = {"emoji": emoji, "value": random.randint(1, DICE[emoji])}  # noqa: S311 - a game
    return state._store(chat, p, {"dice": dice}, SentMessage(0, 0, emoji, kind="dice"))


@method("copyMessage", required=("chat_id", "from_chat_id", "message_id"))
def copy_message(state: BotState, p: Params, f: dict[str, Upload]) -> JSONDict:
    return {"message_id": _copy(state, p, forward=False)["message_id"]}


@method("forwardMessage", required=("chat_id", "from_chat_id", "message_id"))
def forward_message(state: BotState, p: Params, f: dict[str, Upload]) -> JSONDict:
    return _copy(state, p, forward=True)


def _copy(state: BotState, p: Params, *, forward: bool) -> JSONDict:
    chat = state._known_chat(p)
    source = state._known_chat(Params({"chat_id": p.raw.get("from_chat_id")}))
    original = state._messages.get((source["id"], p.integer("message_id") or 0))
    if original is None:
        raise bad_request(
            "message to copy not found" if not forward else "message to forward not found"
        )
    keep = ("text", "photo", "document", "caption", "location", "contact", "poll", "entities")
    body = {k: original[k] for k in keep if k in original}
    if forward:
        body["forward_origin"] = {
            "type": "user",
            "sender_user": original["from"],
            "date": original["date"],
        }
    text = str(body.get("text", body.get("caption", "")))
    return state._store(chat, p, body, SentMessage(0, 0, text))
