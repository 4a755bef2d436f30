"""The web chat's HTTP side: the page, and a small JSON API the page (and tests) call.

GET /                 the page           GET /api/state?user=alice&chat=private
GET /api/file?id=ID   a photo or file the bot sent
POST /api/send        {"user", "chat", "text"}     POST /api/press {"user", "chat", "label"}
POST /api/photo|document|location  {"user", "chat"}   POST /api/restart | /api/crash
Only JSON is read from the network: nothing a request carries is ever run.
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .web_view import sent_file

PAGE = resources.files(__package__).joinpath("web_chat.html")
MAX_BODY = 1 << 20


class Handler(BaseHTTPRequestHandler):
    """Routes requests to `self.server.chat` (a web.WebChat)."""

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/":
            self._send(200, PAGE.read_bytes(), "text/html; charset=utf-8")
        elif url.path == "/api/state":
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            self._json(200, self.server.chat.state(query))  # type: ignore[attr-defined]
        elif url.path == "/api/file":
            file_id = parse_qs(url.query).get("id", [""])[-1]
            found = sent_file(self.server.chat.api, file_id)  # type: ignore[attr-defined]
            if found is None:
                self._json(404, {"error": "no such file"})
                return
            content, kind, inline = found
            self._send(200, content, kind, download=not inline)
        else:
            self._json(404, {"error": "not found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._json(413, {"error": "too large"})
            return
        try:
            body: Any = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._json(400, {"error": "the body is not JSON"})
            return
        if not isinstance(body, dict):
            self._json(400, {"error": "the body must be a JSON object"})
            return
        action = urlsplit(self.path).path.removeprefix("/api/")
        try:
            result = self.server.chat.act(action, body)  # type: ignore[attr-defined]
        except (KeyError, ValueError, LookupError) as error:
            self._json(400, {"error": str(error)})
            return
        self._json(200, result)

    def _json(self, status: int, value: Any) -> None:
        self._send(status, json.dumps(value).encode(), "application/json")

    def _send(self, status: int, body: bytes, kind: str, download: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("X-Content-Type-Options", "nosniff")
        if download:
            self.send_header("Content-Disposition", "attachment")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal shows only the page's address and the bot's troubles."""
