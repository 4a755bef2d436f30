"""A `telegram.request.BaseRequest` that talks to a `FakeBotAPI` in the same process.

Passed to `build_application(settings, request=OfflineRequest(api))` it replaces the network
entirely: no sockets, no threads, and a getUpdates long poll awaits without blocking the loop.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any, Protocol, TypeAlias
from urllib.parse import unquote

from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

from . import files as file_store
from .botapi import FakeBotAPI
from .model import FAKE_TOKEN, Upload

AnyApplication: TypeAlias = Application[Any, Any, Any, Any, Any, Any]


class UpdateSource(Protocol):
    """What feeds the bot its updates (the bot's poller): `offline_app` starts and stops it."""

    @property
    def running(self) -> bool: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass(frozen=True)
class BotUnderTest:
    """The bot the fixtures run; given by the project, as the stand-in never imports it."""

    module: str  # `bot_process` runs `python -m <module>`
    build: Callable[[BaseRequest], AnyApplication]  # `offline_app`: the app on this request
    source: Callable[[AnyApplication], UpdateSource]  # `offline_app`: what polls for the app
    token: str = FAKE_TOKEN  # the token `build` gives the bot


class OfflineRequest(BaseRequest):
    """Serve each Bot API request from `api`, encoded exactly as PTB would send it."""

    def __init__(self, api: FakeBotAPI) -> None:
        self.api = api

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = None,
        write_timeout: object = None,
        connect_timeout: object = None,
        pool_timeout: object = None,
    ) -> tuple[int, bytes]:
        if "/file/bot" in url:  # a download from getFile's file_path
            token, _, path = unquote(url.partition("/file/bot")[2]).partition("/")
            with self.api._cond:
                data = file_store.content(self.api, token, path)
            return (200, data) if data is not None else (404, b"")
        prefix, _, api_method = url.rpartition("/")
        token = prefix.rpartition("/")[2].removeprefix("bot")
        params: dict[str, str] = request_data.json_parameters if request_data else {}
        files = {
            name: Upload(filename, _read(content), mimetype)
            for name, (filename, content, mimetype) in (
                request_data.multipart_data if request_data else {}
            ).items()
        }
        status, payload = await self.api.acall(token, api_method, params, files)
        return status, json.dumps(payload).encode()


def _read(content: bytes | IO[bytes]) -> bytes:
    return content if isinstance(content, bytes) else content.read()
