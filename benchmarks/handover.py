"""PTB's hand-over at a million users, fed like a busy bot: all at once on PTB's timer, or early.

PTB hands an interval's changes to the store in one pass of the event loop (a deep copy and an
update_* call per changed user and chat), so the more users change per interval, the longer
the bot stops answering. The generated bot hands over early once checkpoint.HANDOVER_AT changes
wait. This script runs the generated application in-process on the stand-in (no network) with
every backend's store filled with --users users and sends --changed updates from different
users (each in its private chat: a user and a chat change) evenly over one save interval,
through the bot's own Scheduler and Checkpoint, as updates from Telegram arrive. A probe task
ticking every 1 ms measures the longest event-loop block from the first update until PTB's timer
fired and the store's write finished ("loop ms"; "in hand-overs": the longest that overlapped a run
of `update_persistence`), for each mode:

- "PTB's timer": HANDOVER_AT set out of reach, PTB's stock behaviour;
- "early": the generated bot as shipped.

Run from the template repository, in an environment with copier, python-telegram-bot,
SQLAlchemy and psycopg (the `bench` dependency group):

    python benchmarks/handover.py [--users 1000000] [--changed 10000] [--interval 10]
                                  [--postgres postgresql://postgres@127.0.0.1:5432/test]
                                  [--only sql]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes, TypeHandler

sys.path.insert(0, str(Path(__file__).resolve().parent))
import persistence as bench  # render, populate, LoopProbe, PostgreSQL schemas

TOKEN = bench.TOKEN
MODES = {"PTB's timer": math.inf, "early": None}  # None: HANDOVER_AT as generated


async def visit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """What a handler of a busy bot does: change the user's data."""
    assert context.user_data is not None
    context.user_data["visits"] = context.user_data.get("visits", 0) + 1


def message(update_id: int, user_id: int) -> dict[str, Any]:
    person = {"id": user_id, "first_name": f"user{user_id}"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {**person, "type": "private"},
            "from": {**person, "is_bot": False},
            "text": "hello",
        },
    }


async def one_mode(
    package: str, settings: Any, handover_at: float | None, users: int, changed: int
) -> tuple[float, float, int, int, float]:
    """(longest loop block s, the longest that overlapped a hand-over, hand-overs, most changes
    in one, seconds to feed the updates)."""
    from bot_api_standin.botapi import FakeBotAPI
    from bot_api_standin.offline import OfflineRequest

    app = importlib.import_module(f"{package}.app")
    checkpoint = importlib.import_module(f"{package}.checkpoint")
    delivery = importlib.import_module(f"{package}.delivery")
    generated = checkpoint.HANDOVER_AT
    checkpoint.HANDOVER_AT = generated if handover_at is None else handover_at
    application = app.build_application(settings, request=OfflineRequest(FakeBotAPI(TOKEN)))
    application.add_handler(TypeHandler(Update, visit), group=-1)
    await application.initialize()
    await application.post_init(application)
    await application.start()
    sizes: list[int] = []  # changes waiting at each hand-over's start
    spans: list[tuple[float, float]] = []  # each hand-over's (start, end)
    hand_over = application.update_persistence

    async def counted() -> None:  # PTB's timer and the early hand-over both call this
        sizes.append(checkpoint.pending_changes(application))
        start = time.perf_counter()
        await hand_over()
        spans.append((start, time.perf_counter()))

    application.update_persistence = counted
    scheduler = delivery.Scheduler(application)
    interval = settings.persistence_interval
    try:
        async with bench.LoopProbe() as probe:
            start = time.perf_counter()
            for k in range(changed):  # evenly over 90% of the interval, in 10 ms steps
                due = start + 0.9 * interval * k / changed
                if due > time.perf_counter() + 0.01:
                    await asyncio.sleep(due - time.perf_counter())
                user_id = 1 + (k * 97) % (users - 1)
                scheduler.submit(Update.de_json(message(k + 1, user_id), application.bot))
            fed = time.perf_counter() - start
            while scheduler.busy:
                await asyncio.sleep(0.01)
            while checkpoint.pending_changes(application) or len(spans) < len(sizes):
                await asyncio.sleep(0.01)  # until PTB's timer handed the rest over
            await bench.settle(application.persistence)
        during = max(  # blocks that overlap a hand-over
            (gap for at, gap in probe.blocks for a, b in spans if at < b and at + 0.001 + gap > a),
            default=0.0,
        )
        return probe.longest(), during, len([s for s in sizes if s]), max(sizes), fed
    finally:
        await application.stop()
        await application.shutdown()
        checkpoint.HANDOVER_AT = generated


async def measure(package: str, label: str, settings: Any, users: int, changed: int) -> list[str]:
    make = importlib.import_module(f"{package}.persistence").build_persistence
    await bench.populate(lambda: make(settings), users)
    rows = []
    for mode, handover_at in MODES.items():
        longest, during, count, most, fed = await one_mode(
            package, settings, handover_at, users, changed
        )
        rows.append(
            f"| {label:<17} | {mode:<11} | {users:>9,} | {changed:>7,} | {count:>10} "
            f"| {most:>11,} | {longest * 1000:>8.1f} | {during * 1000:>13.1f} | {fed:>6.1f} |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--changed", type=int, default=10_000, help="updates per interval")
    parser.add_argument("--interval", type=float, default=10.0, help="BOT_PERSISTENCE_INTERVAL")
    parser.add_argument("--postgres", help="also run sql on this PostgreSQL URL")
    parser.add_argument("--only", nargs="+", help="backend labels to run (prefix match)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="handover-bench-"))
    print(
        "| backend           | hand-over   |     users | updates | hand-overs | most in one "
        "| loop ms  | in hand-overs | fed s  |\n|"
        + "|".join("-" * n for n in (19, 13, 11, 9, 12, 13, 10, 15, 8))
        + "|",
        flush=True,
    )
    try:
        for backend in bench.BACKENDS:
            labels = {backend: None} if backend != "sql" else {"sql (SQLite)": None}
            if backend == "sql" and args.postgres:
                labels["sql (PostgreSQL)"] = args.postgres
            if args.only and not any(name.startswith(tuple(args.only)) for name in labels):
                continue
            package = bench.render(backend, root).__name__
            sys.path.insert(0, str(root / package / "tools" / "bot-api-standin" / "src"))
            for label, url in labels.items():
                if args.only and not label.startswith(tuple(args.only)):
                    continue
                data = root / f"data-{label.split()[-1].strip('()')}"
                data.mkdir(mode=0o700)
                url = bench.postgres_schema(url) if url else None
                settings = bench.settings_for(package, data, interval=args.interval, url=url)
                rows = asyncio.run(measure(package, label, settings, args.users, args.changed))
                print("\n".join(rows), flush=True)
                shutil.rmtree(data, ignore_errors=True)
    finally:
        bench.drop_schemas()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
