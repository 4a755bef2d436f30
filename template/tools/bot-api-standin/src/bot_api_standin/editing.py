"""Changing what a chat shows: captions, albums, venues, pins, reactions, bulk deletes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .checks import MAX_CAPTION, MAX_TEXT, checked_markup, checked_text
from .files import stored_file
from .model import JSONDict, Params, SentMessage, Upload, bad_request
from .registry import method

if TYPE_CHECKING:
    from .methods import BotState

MEDIA_KINDS = ("photo", "video", "document", "audio")


@method("editMessageCaption", required=("chat_id", "message_id"))
def edit_message_caption(state: BotState, p: Params, f: dict[str, Upload]) -> JSONDict:
    message = state._editable(p)
    if not any(kind in message for kind in (*MEDIA_KINDS, "animation", "voice")):
        raise bad_request("there is no caption in the message to edit")
    caption, mode = checked_text(p, "caption", MAX_CAPTION, "message caption", optional=True)
    markup = checked_markup(p, inline_only=True)
    if caption == message.get("caption", "") and markup == message.get("reply_markup"):
        raise bad_request(
            "message is not modified: specified new message content and reply markup are "
            "exactly the same as a current content and reply markup of the message"
        )
    if caption:
        message["caption"] = caption
    else:
        message.pop("caption", None)
    return state._edited(message, markup, mode)


@method("sendMediaGroup", required=("chat_id", "media"))
def send_media_group(state: BotState, p: Params, f: dict[str, Upload]) -> list[JSONDict]:
    chat = state._known_chat(p)
    media = p.obj("media")
    if not isinstance(media, list) or not 2 <= len(media) <= 10:
        raise bad_request("wrong number of media in the album: 2 to 10 are allowed")
    group_id = str(next(state._ids) * 15485863)
    sent = []
    for item in media:
        kind = item.get("type") if isinstance(item, dict) else None
        if kind not in MEDIA_KINDS:
            raise bad_request("wrong type of the media in the album")
        file = stored_file(state, Params({kind: item.get("media")}), f, kind)
        body: dict[str, Any] = {"media_group_id": group_id}
        body[kind] = [{**file, "width": 320, "height": 240}] if kind == "photo" else file
        item_params = Params({k: v for k, v in item.items() if k in ("caption", "parse_mode")})
        caption, mode = checked_text(
            item_params, "caption", MAX_CAPTION, "message caption", optional=True
        )
        if caption:
            body["caption"] = caption
        name, file_id = file.get("file_name"), file.get("file_id")
        shown = SentMessage(
            0, 0, caption, parse_mode=mode, kind=kind, file_name=name, file_id=file_id
        )
        sent.append(state._store(chat, Params({}), body, shown))
    return sent


@method("sendVenue", required=("chat_id", "latitude", "longitude", "title", "address"))
def send_venue(state: BotState, p: Params, f: dict[str, Upload]) -> JSONDict:
    chat = state._known_chat(p)
    location = {"latitude": p.number("latitude", 0.0), "longitude": p.number("longitude", 0.0)}
    venue = {"location": location, "title": p.text("title"), "address": p.text("address")}
    shown = SentMessage(0, 0, f"{venue['title']}, {venue['address']}", kind="venue")
    return state._store(chat, p, {"venue": venue, "location": location}, shown)


def _message(state: BotState, p: Params, missing: str) -> JSONDict:
    chat = state._known_chat(p)
    message = state._messages.get((chat["id"], p.integer("message_id") or 0))
    if message is None:
        raise bad_request(missing)
    return message


@method("pinChatMessage", required=("chat_id", "message_id"))
def pin_chat_message(state: BotState, p: Params, f: dict[str, Upload]) -> bool:
    message = _message(state, p, "message to pin not found")
    pins = state.pins.setdefault(message["chat"]["id"], [])
    if message["message_id"] not in pins:
        pins.append(message["message_id"])
    return True


@method("unpinChatMessage", required=("chat_id",))
def unpin_chat_message(state: BotState, p: Params, f: dict[str, Upload]) -> bool:
    pins = state.pins.get(state._known_chat(p)["id"], [])
    target = p.integer("message_id") or (pins[-1] if pins else None)
    if target not in pins:
        raise bad_request("message to unpin not found")
    pins.remove(target)
    return True


@method("unpinAllChatMessages", required=("chat_id",))
def unpin_all_chat_messages(state: BotState, p: Params, f: dict[str, Upload]) -> bool:
    state.pins.pop(state._known_chat(p)["id"], None)
    return True


@method("setMessageReaction", required=("chat_id", "message_id"))
def set_message_reaction(state: BotState, p: Params, f: dict[str, Upload]) -> bool:
    _message(state, p, "message to react not found")
    reaction = p.obj("reaction") or []
    if not isinstance(reaction, list) or len(reaction) > 1:
        raise bad_request("REACTIONS_TOO_MANY")
    for item in reaction:
        if not isinstance(item, dict) or item.get("type") not in ("emoji", "custom_emoji", "paid"):
            raise bad_request("REACTION_INVALID")
    return True


@method("deleteMessages", required=("chat_id", "message_ids"))
def delete_messages(state: BotState, p: Params, f: dict[str, Upload]) -> bool:
    chat = state._known_chat(p)
    ids = p.obj("message_ids")
    if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
        raise bad_request("message_ids must contain 1 to 100 message identifiers")
    for message_id in ids:
        state._messages.pop((chat["id"], int(message_id)), None)
        state._markups.pop((chat["id"], int(message_id)), None)
    return True


@method("editMessageText")
def edit_message_text(state: BotState, p: Params, f: dict[str, Upload]) -> JSONDict:
    message = state._editable(p)
    text, parse_mode = checked_text(p, "text", MAX_TEXT, "message text")
    markup = checked_markup(p, inline_only=True)
    if text == message.get("text") and markup == message.get("reply_markup"):
        raise bad_request(
            "message is not modified: specified new message content and reply markup are "
            "exactly the same as a current content and reply markup of the message"
        )
    message["text"] = text
    return state._edited(message, markup, parse_mode)


@method("editMessageReplyMarkup")
def edit_message_reply_markup(state: BotState, p: Params, f: dict[str, Upload]) -> JSONDict:
    message = state._editable(p)
    markup = checked_markup(p, inline_only=True)
    if markup == message.get("reply_markup"):
        raise bad_request(
            "message is not modified: specified new message content and reply markup are "
            "exactly the same as a current content and reply markup of the message"
        )
    return state._edited(message, markup, None)


@method("deleteMessage")
def delete_message(state: BotState, p: Params, f: dict[str, Upload]) -> bool:
    chat = state._known_chat(p)
    key = (chat["id"], p.integer("message_id", required=True) or 0)
    if key not in state._messages:
        raise bad_request("message to delete not found")
    del state._messages[key]
    state._markups.pop(key, None)
    return True
