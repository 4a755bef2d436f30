"""The bot's profile (name, descriptions, menu button) and group administration."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .chats import member
from .model import JSONDict, Params, Upload, bad_request
from .registry import method

if TYPE_CHECKING:
    from .methods import BotState

# field -> (Telegram's limit, the error for a longer value)
PROFILE = {
    "name": (64, "BOT_TITLE_INVALID"),
    "description": (512, "BOT_DESCRIPTION_INVALID"),
    "short_description": (120, "BOT_SHORT_DESCRIPTION_INVALID"),
}


def _register(field: str) -> None:
    limit, error = PROFILE[field]
    camel = "".join(part.title() for part in field.split("_"))

    @method(f"setMy{camel}")
    def set_field(state: BotState, p: Params, f: dict[str, Upload]) -> bool:
        value = p.text(field) or ""
        if len(value) > limit:
            raise bad_request(error)
        state.profile[f"{field}:{p.text('language_code') or ''}"] = value
        return True

    @method(f"getMy{camel}")
    def get_field(state: BotState, p: Params, f: dict[str, Upload]) -> JSONDict:
        language = p.text("language_code") or ""
        value = state.profile.get(f"{field}:{language}", state.profile.get(f"{field}:", ""))
        if field == "name" and not value:
            value = state.bot_user["first_name"]
        return {field: value}


for _field in PROFILE:
    _register(_field)


@method("setChatMenuButton")
def set_chat_menu_button(state: BotState, p: Params, f: dict[str, Upload]) -> bool:
    button = p.obj("menu_button") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in (
        "default",
        "commands",
        "web_app",
    ):
        raise bad_request("can't parse menu button JSON object")
    state.profile[f"menu_button:{p.text('chat_id') or ''}"] = str(button["type"])
    return True


@method("getChatMenuButton")
def get_chat_menu_button(state: BotState, p: Params, f: dict[str, Upload]) -> JSONDict:
    kind = state.profile.get(f"menu_button:{p.text('chat_id') or ''}", "default")
    return {"type": kind if kind != "web_app" else "default"}


@method("getUserProfilePhotos", required=("user_id",))
def get_user_profile_photos(state: BotState, p: Params, f: dict[str, Upload]) -> JSONDict:
    if (p.integer("user_id") or 0) not in state._users:
        raise bad_request("user not found")
    return {"total_count": 0, "photos": []}


def _group(state: BotState, p: Params) -> JSONDict:
    chat = state._known_chat(p)
    if chat["type"] == "private":
        raise bad_request("method is available for supergroup and channel chats only")
    if member(state, chat, state.bot_user["id"])["status"] not in ("administrator", "creator"):
        raise bad_request("not enough rights to restrict/unrestrict chat member")
    return chat


@method("banChatMember", required=("chat_id", "user_id"))
def ban_chat_member(state: BotState, p: Params, f: dict[str, Upload]) -> bool:
    chat = _group(state, p)
    state.members.setdefault(chat["id"], {})[p.integer("user_id") or 0] = "kicked"
    return True


@method("unbanChatMember", required=("chat_id", "user_id"))
def unban_chat_member(state: BotState, p: Params, f: dict[str, Upload]) -> bool:
    chat = _group(state, p)
    members = state.members.setdefault(chat["id"], {})
    user_id = p.integer("user_id") or 0
    if members.get(user_id) == "kicked" or not p.flag("only_if_banned"):
        members[user_id] = "left"
    return True


@method("setChatTitle", required=("chat_id", "title"))
def set_chat_title(state: BotState, p: Params, f: dict[str, Upload]) -> bool:
    chat = _group(state, p)
    title = p.text("title") or ""
    if len(title) > 128:
        raise bad_request("chat title is too long")
    chat["title"] = title
    return True
