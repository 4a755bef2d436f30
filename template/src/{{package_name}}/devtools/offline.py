"""A `telegram.request.BaseRequest` that talks to a `FakeBotAPI` in the same process.

Passed to `build_application(settings, request=OfflineRequest(api))` it replaces the network
entirely: no sockets, no threads, and a getUpdates long poll awaits without blocking the loop.
"""

from __future__ import annotations

import json
from typing import IO

from telegram.request import BaseRequest, RequestData

from .botapi import FakeBotAPI
from .model import Upload


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
