"""The stand-in over HTTP on 127.0.0.1, for a real bot process reached via BOT_API_BASE_URL."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import threading
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from . import files as file_store
from .bodies import decode_body, read_body
from .botapi import FakeBotAPI
from .faults import Fault, Faults
from .model import FAKE_TOKEN, BotAPIError, Reply, bad_request

logger = logging.getLogger(__name__)
NOT_FOUND = b'{"ok":false,"error_code":404,"description":"Not Found"}'


class StandInServer:
    """A `FakeBotAPI` served at `base_url` ("http://127.0.0.1:PORT/bot") from a thread."""

    def __init__(self, api: FakeBotAPI | None = None, token: str = FAKE_TOKEN) -> None:
        self.api = api if api is not None else FakeBotAPI(token)
        self.faults = Faults()
        self.connections = Connections()
        self._httpd = ThreadingHTTPServer(
            ("127.0.0.1", 0), _handler_for(self.api, self.faults, self.connections)
        )
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/bot"
        self._thread: threading.Thread | None = None

    def start(self) -> StandInServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                args=(0.05,),  # shutdown() waits up to this long
                name="bot-api-stand-in",
                daemon=True,
            )
            self._thread.start()
        return self

    def fail_next(
        self,
        method: str,
        status: int,
        *,
        retry_after: int | None = None,
        html: bool = False,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `method` with HTTP `status` instead (with status 0:
        close the connection unanswered); `retry_after` and `html` as in `Fault.make`."""
        self.faults.add(method, Fault.make(status, retry_after=retry_after, html=html), times)

    def stop(self) -> None:
        """Stop serving; pending long polls return at once."""
        self.api.close()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> StandInServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class Connections:
    """Client connections open right now, but for long polls waiting: a bot that exited leaves
    none once all its requests were read and recorded, so a test can split the recorded calls
    between one run and the next."""

    def __init__(self) -> None:
        self._open = 0
        self._cond = threading.Condition()

    def __len__(self) -> int:
        return self._open

    def add(self, change: int) -> None:
        with self._cond:
            self._open += change
            self._cond.notify_all()

    @contextlib.contextmanager
    def parked(self) -> Iterator[None]:
        """A getUpdates long poll waiting: its call is recorded, and a bot that died meanwhile
        must not keep `wait_closed` waiting until the poll times out."""
        self.add(-1)
        try:
            yield
        finally:
            self.add(1)

    def wait_closed(self, timeout: float = 10.0) -> None:
        """Block until every connection is closed; AssertionError after `timeout` seconds."""
        with self._cond:
            closed = self._cond.wait_for(lambda: self._open == 0, timeout)
        assert closed, f"{self._open} connections still open after {timeout} s"


def _handler_for(
    api: FakeBotAPI, faults: Faults, connections: Connections
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: PTB's httpx reuses its connections
        # Each answer leaves in one segment, at once. Unbuffered, the headers and the body
        # were two small writes, and Nagle's algorithm held the second until the client's
        # delayed ACK (about 40 ms): 23 calls a second instead of thousands.
        disable_nagle_algorithm = True  # TCP_NODELAY
        wbufsize = io.DEFAULT_BUFFER_SIZE  # one write per answer, flushed by _serve

        def setup(self) -> None:
            connections.add(1)
            super().setup()

        def finish(self) -> None:
            try:
                super().finish()
            finally:
                connections.add(-1)

        def do_POST(self) -> None:
            self._serve()

        def do_GET(self) -> None:
            if self.path.startswith("/file/bot"):
                self._download()
            else:
                self._serve()

        def _download(self) -> None:
            """The file endpoint: `/file/bot<token>/<file_path>` from getFile."""
            token, _, file_path = (
                unquote(urlsplit(self.path).path).removeprefix("/file/bot").partition("/")
            )
            with api._cond:
                data = file_store.content(api, token, file_path)
            status = 200 if data is not None else 404
            data = data if data is not None else NOT_FOUND
            try:
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the bot went away while downloading
                self.close_connection = True

        def _serve(self) -> None:
            fault = faults.take(self.path)
            if fault is not None:
                self._fault(fault)
                return
            try:
                reply = self._reply()
            except OSError:  # the bot went away (SIGKILL) in the middle of its request
                self.close_connection = True
                return
            except Exception:  # the stand-in must answer, whatever went wrong
                api.internal_errors.append(traceback.format_exc())
                logger.exception("stand-in failed on %s", self.command)
                reply = BotAPIError(500, "Internal Server Error").reply()
            status, payload = reply
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                self.wfile.flush()  # here, where a vanished client is expected
            except OSError:  # the bot went away (SIGKILL) while it waited for this answer
                self.close_connection = True

        def _fault(self, fault: Fault) -> None:
            try:
                self._body()  # read, so that the connection stays usable
                if fault.status == 0:
                    self.close_connection = True
                    return
                self.send_response(fault.status)
                self.send_header("Content-Type", fault.content_type)
                self.send_header("Content-Length", str(len(fault.body)))
                self.end_headers()
                self.wfile.write(fault.body)
                self.wfile.flush()
            except (OSError, ValueError, BotAPIError):  # the bot went away, or a bad body
                self.close_connection = True

        def _reply(self) -> Reply:
            url = urlsplit(self.path)
            prefix, _, method = url.path.rpartition("/")
            token = prefix.rpartition("/")[2].removeprefix("bot")
            try:
                body = self._body()
            except ValueError as error:
                self.close_connection = True
                return bad_request(f"can't read the request body: {error}").reply()
            except BotAPIError as error:
                self.close_connection = True
                return error.reply()
            if token != api.token:
                return BotAPIError(401, "Unauthorized").reply()
            try:
                params, files = decode_body(self.headers.get("Content-Type", ""), body)
            except BotAPIError as error:
                return error.reply()
            params = {**dict(parse_qsl(url.query)), **params}
            return api.call(token, method, params, files, parked=connections.parked())

        def _body(self) -> bytes:
            return read_body(self.rfile, self.headers)

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("stand-in: " + format, *args)

    return Handler
