"""The stand-in's HTTP side: the token, malformed and oversized bodies, the encodings PTB
uses, how each answer is written, and the waits tests rely on."""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from bot_api_standin.botapi import FAKE_TOKEN, FakeBotAPI
from bot_api_standin.offline import OfflineRequest
from bot_api_standin.server import StandInServer
from telegram import Bot
from telegram.error import InvalidToken

from .test_botapi import ALICE


def post(
    server: StandInServer, path: str, body: bytes, content_type: str
) -> tuple[int, dict[str, Any]]:
    """A raw POST, for bodies telegram.Bot would never send."""
    request = urllib.request.Request(  # noqa: S310 - the stand-in's own http://127.0.0.1 URL
        server.base_url.removesuffix("/bot") + path,
        data=body,
        headers={"Content-Type": content_type},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


async def test_wrong_token_is_unauthorized(bot_api: StandInServer) -> None:
    wrong = Bot("987654321:AAAA-some-other-bots-token-xxxxxxxx", base_url=bot_api.base_url)
    with pytest.raises(InvalidToken):
        await wrong.get_me()
    offline = OfflineRequest(FakeBotAPI("111:a-different-token-of-the-stand-in-xxxxx"))
    with pytest.raises(InvalidToken):
        await Bot(FAKE_TOKEN, request=offline).get_me()


@pytest.mark.parametrize(
    ("body", "content_type", "error"),
    [
        (b'{"chat_id": 1001,', "application/json", "can't parse the application/json body"),
        (b"[1, 2]", "application/json", "the JSON body must be an object"),
        (b"\xff\xfe", "application/x-www-form-urlencoded", "can't parse"),
        (b"--x\r\nnonsense", "multipart/form-data; boundary=x", "can't parse"),
        (b"<xml/>", "text/xml", "unsupported Content-Type"),
        (b"chat_id=abc&text=hi", "application/x-www-form-urlencoded", "chat not found"),
        (
            b"chat_id=1001&text=hi&reply_markup=%7Bnope",
            "application/x-www-form-urlencoded",
            "reply_markup",
        ),
        (b"offset=soon", "application/x-www-form-urlencoded", "offset must be an integer"),
    ],
)
def test_bad_bodies_get_bad_request(
    bot_api: StandInServer, body: bytes, content_type: str, error: str
) -> None:
    bot_api.api.send_text("so that chat 1001 exists")
    method = "getUpdates" if body.startswith(b"offset") else "sendMessage"
    status, reply = post(bot_api, f"/bot{FAKE_TOKEN}/{method}", body, content_type)
    assert (status, reply["ok"], reply["error_code"]) == (400, False, 400)
    assert reply["description"].startswith("Bad Request: ") and error in reply["description"]
    status, reply = post(bot_api, f"/bot{FAKE_TOKEN}/getMe", b"", "application/json")
    assert status == 200 and reply["result"]["is_bot"]  # the stand-in is still serving


def test_json_and_multipart_bodies(bot_api: StandInServer) -> None:
    bot_api.api.send_text("hi")
    status, reply = post(
        bot_api,
        f"/bot{FAKE_TOKEN}/sendMessage",
        json.dumps({"chat_id": ALICE, "text": "via JSON"}).encode(),
        "application/json",
    )
    assert status == 200 and reply["result"]["text"] == "via JSON"
    body = (
        b'--b\r\nContent-Disposition: form-data; name="chat_id"\r\n\r\n1001\r\n'
        b'--b\r\nContent-Disposition: form-data; name="text"\r\n\r\nvia multipart\r\n--b--\r\n'
    )
    status, reply = post(
        bot_api, f"/bot{FAKE_TOKEN}/sendMessage", body, "multipart/form-data; boundary=b"
    )
    assert status == 200 and reply["result"]["text"] == "via multipart"
    status, reply = post(bot_api, "/botWRONG/getMe", b"", "application/json")
    assert (status, reply["description"]) == (401, "Unauthorized")


def test_chunked_and_oversized_bodies(
    bot_api: StandInServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", bot_api.port, timeout=10)
    connection.request(
        "POST",
        f"/bot{FAKE_TOKEN}/getMyCommands",
        body=iter([b'{"language_code":', b' "en"}']),  # an iterable body is sent chunked
        headers={"Content-Type": "application/json"},
    )
    response = connection.getresponse()
    assert (response.status, json.loads(response.read())) == (200, {"ok": True, "result": []})
    assert bot_api.api.calls[-1].params == {"language_code": "en"}
    monkeypatch.setattr("bot_api_standin.bodies.MAX_BODY", 10)
    status, reply = post(bot_api, f"/bot{FAKE_TOKEN}/getMe", b"x" * 11, "text/plain")
    assert (status, reply["description"]) == (413, "Request Entity Too Large")


def test_each_answer_is_one_write_on_a_nodelay_socket(
    bot_api: StandInServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Status, headers and body leave in one write with TCP_NODELAY: in two writes, Nagle's
    algorithm held the body back until the client's delayed ACK, about 40 ms a call."""
    writes: list[tuple[bytes, int]] = []
    send, sendall = socket.socket.send, socket.socket.sendall

    def record(sock: socket.socket, data: bytes) -> None:
        if sock.getsockname()[1] == bot_api.port:  # the stand-in's side of the connection
            writes.append((bytes(data), sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)))

    def recording_send(self: socket.socket, data: bytes, flags: int = 0) -> int:
        record(self, data)
        return send(self, data, flags)

    def recording_sendall(self: socket.socket, data: bytes, flags: int = 0) -> None:
        record(self, data)
        sendall(self, data, flags)

    monkeypatch.setattr(socket.socket, "send", recording_send)
    monkeypatch.setattr(socket.socket, "sendall", recording_sendall)
    connection = http.client.HTTPConnection("127.0.0.1", bot_api.port, timeout=10)
    bodies = []
    for _ in range(3):  # keep-alive: the same connection answers every call
        connection.request("POST", f"/bot{FAKE_TOKEN}/getMe")
        response = connection.getresponse()
        bodies.append(response.read())
    connection.close()
    assert [(data.split(b"\r\n\r\n", 1)[1], nodelay > 0) for data, nodelay in writes] == [
        (body, True) for body in bodies
    ]


def test_a_closed_connection_counts_until_its_last_request_was_read(
    bot_api: StandInServer,
) -> None:
    """A bot that exits leaves requests the stand-in has not read yet; tests that split the
    calls between runs wait for `connections.wait_closed()` before starting the next run."""
    api = bot_api.api
    with api._cond:  # the stand-in cannot record the call while this is held
        with socket.create_connection(("127.0.0.1", bot_api.port), timeout=10) as client:
            client.sendall(f"POST /bot{FAKE_TOKEN}/getMe HTTP/1.1\r\n\r\n".encode())
        deadline = time.monotonic() + 10
        while not len(bot_api.connections) and time.monotonic() < deadline:
            time.sleep(0.01)  # until accepted; the request then waits for the lock
        with pytest.raises(AssertionError, match=r"1 connections still open after 0\.2 s"):
            bot_api.connections.wait_closed(timeout=0.2)
    bot_api.connections.wait_closed()
    assert [call.method for call in api.calls] == ["getMe"]


def test_a_waiting_long_poll_does_not_count_as_unread(bot_api: StandInServer) -> None:
    """Its call is recorded before it waits: a bot killed during a long poll (up to
    its `timeout`) does not hold up `connections.wait_closed()`."""
    api = bot_api.api
    with socket.create_connection(("127.0.0.1", bot_api.port), timeout=10) as client:
        client.sendall(f"POST /bot{FAKE_TOKEN}/getUpdates?timeout=30 HTTP/1.1\r\n\r\n".encode())
        assert api.wait_until(lambda: api.calls or None, 10)
        bot_api.connections.wait_closed(timeout=2)  # the poll goes on for 30 s
        assert [call.method for call in api.calls] == ["getUpdates"]


def test_wait_for_message_explains_a_timeout(bot_api: StandInServer) -> None:
    with pytest.raises(AssertionError, match=r"no new message to chat 1001 within 0\.1s"):
        bot_api.api.wait_for_message(chat_id=ALICE, timeout=0.1)


async def test_next_message_does_not_block_the_loop() -> None:
    api = FakeBotAPI()
    api.send_text("hi")
    offline = OfflineRequest(api)
    async with Bot(FAKE_TOKEN, request=offline, get_updates_request=offline) as client:
        waiting = asyncio.create_task(api.next_message(timeout=10))
        await client.send_message(ALICE, "sent while a test awaits")
        assert (await waiting).text == "sent while a test awaits"
        with pytest.raises(AssertionError, match="no new message"):
            await api.next_message(timeout=0.1)


async def test_offline_app_runs_the_bot(offline_app: tuple[object, FakeBotAPI]) -> None:
    """The in-process application: post_init ran, and polling delivers updates to handlers."""
    _, api = offline_app
    assert "start" in api.commands_for()
    api.send_text("/start")
    reply = await api.next_message(chat_id=ALICE, timeout=10)
    assert reply.chat_id == ALICE
