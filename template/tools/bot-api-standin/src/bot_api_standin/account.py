"""The bot itself on Telegram's side: who it is, its webhook, its command menus, chat actions
and answers to button presses. Registered with `@method` like every area module."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .model import JSONDict, Params, Upload, bad_request, scope_key
from .registry import method

if TYPE_CHECKING:
    from .methods import BotState

CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}


@method("getMe")
def get_me(state: BotState, p: Params, f: dict[str, Upload]) -> JSONDict:
    return state.bot_user


@method("logOut")
def log_out(state: BotState, p: Params, f: dict[str, Upload]) -> bool:
    return True


@method("close")
def close(state: BotState, p: Params, f: dict[str, Upload]) -> bool:
    return True


@method("setWebhook")
def set_webhook(state: BotState, p: Params, f: dict[str, Upload]) -> bool:
    url = p.text("url") or ""
    if url and not url.startswith(("http://", "https://")):
        raise bad_request("bad webhook: an HTTPS URL must be provided for webhook")
    state.webhook = {
        "url": url,
        "secret_token": p.text("secret_token"),
        "allowed_updates": p.obj("allowed_updates"),
    }
    if p.flag("drop_pending_updates"):
        state._updates.clear()
    return True


@method("deleteWebhook")
def delete_webhook(state: BotState, p: Params, f: dict[str, Upload]) -> bool:
    state.webhook = {"url": ""}
    if p.flag("drop_pending_updates"):
        state._updates.clear()
    return True


@method("getWebhookInfo")
def get_webhook_info(state: BotState, p: Params, f: dict[str, Upload]) -> JSONDict:
    info: JSONDict = {
        "url": state.webhook["url"],
        "has_custom_certificate": False,
        "pending_update_count": len(state._updates),
    }
    if state.webhook.get("allowed_updates"):
        info["allowed_updates"] = state.webhook["allowed_updates"]
    return info


@method("setMyCommands")
def set_my_commands(state: BotState, p: Params, f: dict[str, Upload]) -> bool:
    commands = p.obj("commands")
    if not isinstance(commands, list):
        raise bad_request("commands must be a JSON array of BotCommand")
    for command in commands:
        name = command.get("command", "") if isinstance(command, dict) else ""
        if not (1 <= len(name) <= 32 and name.replace("_", "").isalnum() and name.islower()):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    key = scope_key(p.obj("scope") or {"type": "default"}, p.text("language_code") or "")
    state.commands[key] = [
        {"command": c["command"], "description": str(c["description"])} for c in commands
    ]
    return True


@method("getMyCommands")
def get_my_commands(state: BotState, p: Params, f: dict[str, Upload]) -> list[dict[str, str]]:
    key = scope_key(p.obj("scope") or {"type": "default"}, p.text("language_code") or "")
    return state.commands.get(key, [])


@method("deleteMyCommands")
def delete_my_commands(state: BotState, p: Params, f: dict[str, Upload]) -> bool:
    key = scope_key(p.obj("scope") or {"type": "default"}, p.text("language_code") or "")
    state.commands.pop(key, None)
    return True


@method("sendChatAction")
def send_chat_action(state: BotState, p: Params, f: dict[str, Upload]) -> bool:
    state._known_chat(p)
    if p.text("action", required=True) not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


@method("answerCallbackQuery")
def answer_callback_query(state: BotState, p: Params, f: dict[str, Upload]) -> bool:
    query_id = p.text("callback_query_id", required=True) or ""
    query = state._queries.get(query_id)
    if query is None or query["answered"] or query.get("kind", "callback") != "callback":
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    query["answered"] = True
    state.callback_answers.append(
        {
            "id": query_id,
            "text": p.text("text"),
            "show_alert": p.flag("show_alert"),
            "url": p.text("url"),
        }
    )
    return True
