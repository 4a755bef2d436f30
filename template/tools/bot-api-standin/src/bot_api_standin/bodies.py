"""Request bodies as PTB and tests send them: JSON, form-encoded, multipart, chunked."""

from __future__ import annotations

import io
import json
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from .model import BotAPIError, Upload, bad_request

MAX_BODY = 50 * 1024 * 1024  # Telegram's upload limit for bots


def read_body(rfile: io.BufferedIOBase, headers: Message) -> bytes:
    """The body by Content-Length, or chunk by chunk (httpx streams some uploads)."""
    if "chunked" in headers.get("Transfer-Encoding", "").lower():
        chunks: list[bytes] = []
        while size := int(rfile.readline().split(b";")[0].strip() or b"0", 16):
            if size + sum(map(len, chunks)) > MAX_BODY:
                raise BotAPIError(413, "Request Entity Too Large")
            chunks.append(rfile.read(size))
            rfile.readline()
        while rfile.readline().strip():  # trailers, up to the blank line
            pass
        return b"".join(chunks)
    length = int(headers.get("Content-Length") or 0)
    if length > MAX_BODY:
        raise BotAPIError(413, "Request Entity Too Large")
    return rfile.read(length) if length > 0 else b""


def decode_body(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, Upload]]:
    """Parameters and uploads of a request body in any encoding PTB or a test may use."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if not body.strip():
        return {}, {}
    try:
        if kind == "application/json":
            params = json.loads(body)
            if not isinstance(params, dict):
                raise bad_request("the JSON body must be an object")
            return params, {}
        if kind == "multipart/form-data":
            return _multipart(content_type, body)
        if kind in ("application/x-www-form-urlencoded", ""):
            return dict(parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=True)), {}
    except (ValueError, UnicodeDecodeError) as error:
        raise bad_request(f"can't parse the {kind or 'request'} body: {error}") from None
    raise bad_request(f"unsupported Content-Type {kind!r}")


def _multipart(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, Upload]]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart() or message.defects:
        raise ValueError("malformed multipart data")
    params: dict[str, Any] = {}
    files: dict[str, Upload] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise ValueError("a part has no name")
        content = part.get_payload(decode=True)
        content = content if isinstance(content, bytes) else b""
        filename = part.get_filename()
        if filename is None:
            params[name] = content.decode()
        else:
            files[name] = Upload(filename, content, part.get_content_type())
    return params, files
