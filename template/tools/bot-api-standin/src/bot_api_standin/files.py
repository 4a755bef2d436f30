"""Files: getFile, the file endpoint's content, and the media kinds beyond photo and document.

Telegram keeps every file under a `file_id`; getFile hands out a `file_path` that the bot
downloads from `<base_file_url><token>/<file_path>`. Files users send and files the bot uploads
share one store (`BotState.uploads`), so a bot can download either.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from .model import JSONDict, Params, Upload, bad_request
from .registry import method

if TYPE_CHECKING:
    from .methods import BotState

MAX_DOWNLOAD = 20 * 1024 * 1024  # bots may download files up to 20 MB
# sendX method -> (parameter, message field, extra fields Telegram adds)
MEDIA: dict[str, tuple[str, JSONDict]] = {
    "sendAudio": ("audio", {"duration": 1}),
    "sendVideo": ("video", {"width": 320, "height": 240, "duration": 1}),
    "sendAnimation": ("animation", {"width": 320, "height": 240, "duration": 1}),
    "sendVoice": ("voice", {"duration": 1}),
    "sendVideoNote": ("video_note", {"length": 240, "duration": 1}),
    "sendSticker": ("sticker", {"width": 512, "height": 512, "type": "regular"}),
}


def keep(state: BotState, upload: Upload, kind: str) -> JSONDict:
    """Store a file as Telegram would and describe it (the fields of a Document)."""
    file_id = f"offline-{kind}-{next(state._ids)}"
    state.uploads[file_id] = upload
    return {
        "file_id": file_id,
        "file_unique_id": file_id,
        "file_size": len(upload.content),
        "file_name": upload.filename,
        "mime_type": upload.mimetype,
    }


def path_of(file_id: str) -> str:
    return f"files/{file_id}"


def content(state: BotState, token: str, file_path: str) -> bytes | None:
    """What `/file/bot<token>/<file_path>` serves; None for a wrong token or an unknown path."""
    if token != state.token or not file_path.startswith("files/"):
        return None
    upload = state.uploads.get(file_path.removeprefix("files/"))
    return upload.content if upload is not None else None


@method("getFile", required=("file_id",))
def get_file(state: BotState, p: Params, f: dict[str, Upload]) -> JSONDict:
    file_id = p.text("file_id") or ""
    upload = state.uploads.get(file_id)
    if upload is None:
        raise bad_request("invalid file_id")
    if len(upload.content) > MAX_DOWNLOAD:
        raise bad_request("file is too big")
    return {
        "file_id": file_id,
        "file_unique_id": file_id,
        "file_size": len(upload.content),
        "file_path": path_of(file_id),
    }


def _send_media(state: BotState, p: Params, f: dict[str, Upload], name: str) -> JSONDict:
    field, extra = MEDIA[name]
    chat = state._known_chat(p)
    file = {**stored_file(state, p, f, field), **extra}
    if field == "sticker":
        file.pop("file_name", None)
        file["is_animated"] = file["is_video"] = False
    return state._media(chat, p, {field: file}, field, file)


def _register(name: str) -> None:
    field = MEDIA[name][0]

    @method(name, required=("chat_id", field))
    def send(state: BotState, p: Params, f: dict[str, Upload]) -> JSONDict:
        return _send_media(state, p, f, name)


for _name in MEDIA:
    _register(_name)


@method("sendPhoto")
def send_photo(state: BotState, p: Params, f: dict[str, Upload]) -> JSONDict:
    chat = state._known_chat(p)
    file = stored_file(state, p, f, "photo")
    photo = [{**file, "width": 320, "height": 240}]
    return state._media(chat, p, {"photo": photo}, "photo", {"file_id": file["file_id"]})


@method("sendDocument")
def send_document(state: BotState, p: Params, f: dict[str, Upload]) -> JSONDict:
    chat = state._known_chat(p)
    file = stored_file(state, p, f, "document")
    return state._media(chat, p, {"document": file}, "document", file)


def stored_file(state: BotState, p: Params, files: Mapping[str, Upload], name: str) -> JSONDict:
    """The file a send method names: a new upload, a known file_id, or a URL."""
    value = p.text(name)
    upload = files.get(name)
    if value and value.startswith("attach://"):
        upload = files.get(value.removeprefix("attach://"))
    if upload is not None:
        return keep(state, upload, name)
    if value in state.uploads:
        known = state.uploads[value]
        return {"file_id": value, "file_unique_id": value, "file_name": known.filename}
    if value and value.startswith(("http://", "https://")):
        return {"file_id": f"offline-url-{next(state._ids)}", "file_unique_id": value}
    if not value:
        raise bad_request(f"there is no {name} in the request")
    raise bad_request("wrong file identifier/HTTP URL specified")
