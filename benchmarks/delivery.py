"""Throughput of the generated bot's delivery: updates handled per second, by concurrency.

Renders a polling project with copier and runs its real application, Poller and Scheduler
in-process against the offline stand-in, with `latency` seconds added to every Bot API answer
but getUpdates, as a network round trip would. By default through `OfflineRequest` (no
sockets: the delivery alone); with `--http` over HTTP to the stand-in's server in a thread, so
that PTB's httpx connection pool, which grows costly with many requests in flight, counts too.
The flood is `--users` users sending /show_data (one reply each) in groups of their own, all
queued before the bot starts; a row times the first getUpdates until Telegram holds nothing.
Concurrency 1 is sequential handling (PTB's default); per-chat order holds in every row.
`--modes interval write-through` compares the default (a save every BOT_PERSISTENCE_INTERVAL)
with write-through (BOT_PERSISTENCE_INTERVAL=0: each group of handled updates is saved, with
their ids, before it is acknowledged).

Run from the template repository, in an environment with copier and python-telegram-bot:

    python benchmarks/delivery.py [--backends json sql] [--users 2000] [--per-user 1]
                                  [--latency 0 0.02] [--concurrency 1 4 16 64] [--http]
                                  [--modes interval write-through]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import itertools
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import copier

TEMPLATE = Path(__file__).resolve().parents[1]
TOKEN = "123456789:BENCHMARK-token-not-a-real-one-xx"


def render(backend: str, root: Path) -> str:
    """Generate a polling project for `backend`; return its package name (importable)."""
    package = f"dbench_{backend}"
    copier.run_copy(
        str(TEMPLATE),
        root / package,
        data={"persistence": backend, "package_name": package},
        defaults=True,
        unsafe=True,
        vcs_ref="HEAD",
        quiet=True,
    )
    sys.path.insert(0, str(root / package / "src"))
    sys.path.insert(0, str(root / package / "tools" / "bot-api-standin" / "src"))
    return package


async def measure(
    package: str,
    data: Path,
    users: int,
    per_user: int,
    latency: float,
    concurrency: int,
    http: bool,
    mode: str,
) -> float:
    """Updates per second for one configuration."""
    mod = {name: importlib.import_module(f"{package}.{name}") for name in MODULES}
    mod |= {name: importlib.import_module(f"bot_api_standin.{name}") for name in STANDIN}
    env = {"BOT_TOKEN": TOKEN, "BOT_DATA_DIR": str(data)}
    if mode == "write-through":
        env["BOT_PERSISTENCE_INTERVAL"] = "0"
    server = mod["server"].StandInServer(token=TOKEN).start() if http else None
    if server is not None:
        env["BOT_API_BASE_URL"] = server.base_url
    settings = mod["settings"].Settings.from_env(env, env_file=data / "none.env")
    api = server.api if server else mod["botapi"].FakeBotAPI(TOKEN)
    request = None if server else mod["offline"].OfflineRequest(api)
    application: Any = mod["app"].build_application(settings, request=request)
    for _ in range(per_user):
        for n in range(10_000, 10_000 + users):
            api.send_text("/show_data", user_id=n, chat_id=-n)
    await application.initialize()
    await application.start()
    api.latency = latency
    checkpoint = mod["checkpoint"].Checkpoint(application)
    scheduler = mod["delivery"].Scheduler(application, checkpoint, concurrency=concurrency)
    poller = mod["poller"].Poller(application, scheduler, checkpoint)
    start = time.perf_counter()
    await poller.start()
    await api.async_wait_until(lambda: True if not api.unacknowledged() else None, 3600)
    elapsed = time.perf_counter() - start
    await poller.stop()
    await application.stop()
    await application.shutdown()
    if server is not None:
        server.stop()
    return users * per_user / elapsed


MODULES = (
    "settings",
    "app",
    "checkpoint",
    "delivery",
    "poller",
)
STANDIN = ("botapi", "offline", "server")  # bot_api_standin's modules


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", nargs="+", default=["json"])
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--per-user", type=int, default=1)
    parser.add_argument("--latency", type=float, nargs="+", default=[0.0, 0.02])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16, 64])
    parser.add_argument("--http", action="store_true", help="over HTTP, not in-process")
    parser.add_argument("--modes", nargs="+", default=["interval"])
    args = parser.parse_args()
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
    root = Path(tempfile.mkdtemp(prefix="delivery-bench-"))
    try:
        print(
            "| backend | mode          | transport  | updates | latency ms | concurrency "
            "| updates/s |\n|---------|---------------|------------|--------:|-----------:"
            "|------------:|----------:|",
            flush=True,
        )
        for backend in args.backends:
            package = render(backend, root)
            for mode, latency, concurrency in itertools.product(
                args.modes, args.latency, args.concurrency
            ):
                data = root / f"data-{backend}-{mode}-{latency}-{concurrency}"
                rate = asyncio.run(
                    measure(
                        package,
                        data,
                        args.users,
                        args.per_user,
                        latency,
                        concurrency,
                        args.http,
                        mode,
                    )
                )
                transport = "HTTP" if args.http else "in-process"
                print(
                    f"| {backend:<7} | {mode:<13} | {transport:<10} "
                    f"| {args.users * args.per_user:>7,} | {latency * 1000:>10.0f} "
                    f"| {concurrency:>11} | {rate:>9,.0f} |",
                    flush=True,
                )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
