"""Benchmark of the offline Bot API stand-in over HTTP: sendMessage calls per second, and how
soon a waiting getUpdates long poll answers once a user sends a message.

Imports the stand-in straight from template/tools/bot-api-standin (it has no Jinja) and serves
it on 127.0.0.1. Each client runs in a process of its own, as a bot does:

- "http.client": one keep-alive connection, form-encoded POSTs as PTB sends them, in turn;
  the stand-in's own cost per call;
- "PTB Bot": python-telegram-bot's `Bot.send_message` (httpx), in turn and 8 at once; the
  same client against a minimal asyncio server that answers a canned message shows what the
  client itself allows;
- "long poll": a getUpdates(timeout=30) waits in the stand-in; the time from `send_text` to
  the poll's answer reaching the client.

Needs python-telegram-bot, so run it with a generated project's environment:

    cd mybot && uv run python "$TEMPLATE/benchmarks/standin.py" [--calls 3000] [--wakes 200]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

TEMPLATE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TEMPLATE / "template" / "tools" / "bot-api-standin" / "src"))

from bot_api_standin.model import FAKE_TOKEN  # noqa: E402
from bot_api_standin.server import StandInServer  # noqa: E402

CANNED = {  # the minimal server's answers: getMe, and a message for everything else
    b"getMe": {"id": 1, "is_bot": True, "first_name": "Bot", "username": "bot"},
    b"": {"message_id": 1, "date": 0, "chat": {"id": 1001, "type": "private"}},
}


def client_http(port: int, calls: int) -> list[float]:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    durations = []
    for n in range(calls):
        start = time.perf_counter()
        body = urlencode({"chat_id": "1001", "text": f"message {n}"})
        connection.request("POST", f"/bot{FAKE_TOKEN}/sendMessage", body, headers)
        response = connection.getresponse()
        response.read()
        assert response.status == 200
        durations.append(time.perf_counter() - start)
    return durations


def client_ptb(base_url: str, calls: int, concurrency: int) -> list[float]:
    """Per-call times; with concurrency > 1, each call gets an equal share of the wall time."""
    from telegram import Bot
    from telegram.request import HTTPXRequest

    async def run() -> list[float]:
        request = HTTPXRequest(connection_pool_size=concurrency)
        async with Bot(FAKE_TOKEN, base_url=base_url, request=request) as bot:
            durations: list[float] = []

            async def worker(first: int) -> None:
                for n in range(first, calls, concurrency):
                    start = time.perf_counter()
                    await bot.send_message(1001, f"message {n}")
                    durations.append(time.perf_counter() - start)

            start = time.perf_counter()
            await asyncio.gather(*(worker(first) for first in range(concurrency)))
            wall = time.perf_counter() - start
            return durations if concurrency == 1 else [wall / calls] * calls

    return asyncio.run(run())


def in_a_process(*args: str) -> list[float]:
    output = subprocess.run(
        [sys.executable, __file__, "--client", *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    return list(json.loads(output))


def canned_server() -> tuple[int, threading.Thread]:
    """A minimal keep-alive HTTP server answering every POST with one canned message."""
    ready: list[int] = []
    started = threading.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        await reader.readexactly(int(line.split(b":")[1]))
                method = head.split(b" ", 2)[1].rpartition(b"/")[2]
                body = json.dumps({"ok": True, "result": CANNED.get(method, CANNED[b""])})
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(body), body.encode())
                )
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def serve() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        ready.append(server.sockets[0].getsockname()[1])
        started.set()
        await server.serve_forever()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    started.wait(10)
    return ready[0], thread


def long_poll_wakes(server: StandInServer, wakes: int) -> list[float]:
    """Seconds from a user's message to the waiting getUpdates answer reaching the client."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port)
    offset, latencies = 0, []
    for _ in range(wakes):
        arrived: list[float] = []
        body = urlencode({"offset": offset, "timeout": 30})
        poller = threading.Thread(target=poll, args=(connection, body, arrived))
        polls = len(server.api.calls_to("getUpdates"))
        poller.start()
        server.api.wait_until(lambda n=polls: polled_more(server, n), 10)
        time.sleep(0.005)  # well into the wait
        sent = time.perf_counter()
        offset = server.api.send_text("/start") + 1
        poller.join(30)
        latencies.append(arrived[0] - sent)
    connection.close()
    return latencies


def poll(connection: http.client.HTTPConnection, body: str, arrived: list[float]) -> None:
    connection.request("POST", f"/bot{FAKE_TOKEN}/getUpdates", body)
    connection.getresponse().read()
    arrived.append(time.perf_counter())


def polled_more(server: StandInServer, polls: int) -> bool | None:
    return True if len(server.api.calls_to("getUpdates")) > polls else None


def row(label: str, durations: list[float]) -> str:
    ordered = sorted(durations)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"| {label:<48} | {len(ordered):>5} | {len(ordered) / sum(ordered):>8,.0f} | "
        f"{statistics.median(ordered) * 1e3:>9.2f} | {p99 * 1e3:>6.2f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--wakes", type=int, default=200)
    parser.add_argument("--client", nargs="+", help=argparse.SUPPRESS)  # KIND TARGET [N]
    args = parser.parse_args()
    if args.client:  # a client process: print its per-call times
        kind, target, concurrency = (*args.client, "1")[:3]
        if kind == "http":
            print(json.dumps(client_http(int(target), args.calls)))
        else:
            print(json.dumps(client_ptb(target, args.calls, int(concurrency))))
        return
    calls = str(args.calls)
    title = "sendMessage over HTTP, client in its own process"
    print(f"| {title:<48} | calls |  calls/s | median ms | p99 ms |")
    print(f"| {'-' * 48} | ----: | -------: | --------: | -----: |")
    with StandInServer() as server:
        server.api.send_text("/start")  # chat 1001 exists once its user wrote
        print(
            row(
                "stand-in, http.client, one at a time",
                in_a_process("http", str(server.port), "1", "--calls", calls),
            )
        )
        for concurrency in ("1", "8"):
            durations = in_a_process("ptb", server.base_url, concurrency, "--calls", calls)
            print(row(f"stand-in, PTB Bot.send_message, {concurrency} at a time", durations))
    port, _ = canned_server()
    durations = in_a_process("ptb", f"http://127.0.0.1:{port}/bot", "1", "--calls", calls)
    print(row("minimal asyncio server, PTB Bot, 1 at a time", durations))
    with StandInServer() as server:
        wakes = sorted(long_poll_wakes(server, args.wakes))
    print()
    print("| getUpdates long poll: message to answer | polls | median ms | p99 ms | max ms |")
    print("| -------------------------------------- | ----: | --------: | -----: | -----: |")
    p99 = wakes[min(len(wakes) - 1, int(len(wakes) * 0.99))]
    print(
        f"| {'one waiting poll, one new message':<38} | {len(wakes):>5} | "
        f"{statistics.median(wakes) * 1e3:>9.2f} | {p99 * 1e3:>6.2f} | {wakes[-1] * 1e3:>6.2f} |"
    )


if __name__ == "__main__":
    main()
