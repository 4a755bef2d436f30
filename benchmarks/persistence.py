"""Benchmark of the generated persistence backends against PTB's stock PicklePersistence.

Renders every backend with copier into a temporary directory and imports the generated code,
so it measures what users get. For each store size, 1% of the users change per save interval,
handed over the way Application.update_persistence() does (asyncio.gather of update_*).

The "no-write store" row is the floor: a store that writes nothing, handed the same changes.

Columns: save wall/CPU time per interval (from the first update_* to the write being durable),
the longest event-loop block (a probe task ticking every 1 ms) while PTB hands the changes over
("PTB loop ms": the gather of update_* calls, which every store pays) and after, while the store
saves ("loop ms"), the load time of a restart, and the store's size. Stock PicklePersistence
(on_flush=False) rewrites the whole file per changed user: it is timed on at most 20 changed
users and extrapolated (marked "~").

With --startup it prints instead how a bot starts on each filled store: the time to load it
(PTB's get_* calls) and the process's resident memory afterwards, each in a fresh process, for
every backend and, for sql, also with BOT_LAZY_LOAD=1 (users and chats read when first seen).

Run from the template repository, in an environment with copier, python-telegram-bot,
SQLAlchemy and psycopg:

    python benchmarks/persistence.py [--sizes 1000 10000 100000] [--million]
                                     [--postgres postgresql://postgres@127.0.0.1:5432/test]
                                     [--only sql] [--changed 100] [--startup]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import copier
from telegram.ext import BasePersistence, PicklePersistence

TEMPLATE = Path(__file__).resolve().parents[1]
BACKENDS = ("pickle", "json", "custom", "sql")
INTERVALS = 3
INTERVAL = 0.5  # BOT_PERSISTENCE_INTERVAL of the generated stores: the shortest allowed
STOCK_SAMPLE = 20
CHANGED: int | None = None  # --changed: a fixed number instead of 1% of the users
TOKEN = "123456789:BENCHMARK-token-not-a-real-one-xx"
USERS = 0  # the size being measured (the no-write store holds that many in memory)
Persistence = BasePersistence[Any, Any, Any]
Interval = tuple[float, float, float, float]


def user(number: int, visits: int = 0) -> dict[str, Any]:
    return {"name": f"user{number}", "visits": visits, "lang": "en", "tags": ["a", "b"]}


class LoopProbe:
    """Measures the times the event loop could not run a 1 ms timer: (start, length) each."""

    def __init__(self) -> None:
        self.blocks: list[tuple[float, float]] = []
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(0.001)
            self.blocks.append((start, time.perf_counter() - start - 0.001))

    def longest(self, since: float = 0.0, until: float = math.inf) -> float:
        """The longest block that began in [since, until)."""
        return max((gap for start, gap in self.blocks if since <= start < until), default=0.0)

    async def __aenter__(self) -> LoopProbe:
        self._task = asyncio.create_task(self._tick())
        await asyncio.sleep(0.005)  # let it settle
        self.blocks = []
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        await asyncio.sleep(0.002)  # a last tick measures a block that just ended
        self._task.cancel()


async def load_all(persistence: Persistence) -> None:
    await persistence.get_user_data()
    await persistence.get_chat_data()
    await persistence.get_bot_data()
    await persistence.get_conversations("talk")


async def settle(persistence: Persistence) -> None:
    """Wait until the background save of the last run is durable (generated stores)."""
    tasks = getattr(persistence, "_tasks", set())
    while tasks:
        await asyncio.gather(*tasks)


async def populate(factory: Callable[[], Persistence], users: int) -> None:
    store = factory()
    await load_all(store)
    if isinstance(store, PicklePersistence):
        store.on_flush = True  # one write while populating, not one per user
    await asyncio.gather(*(store.update_user_data(n, user(n)) for n in range(users)))
    await store.flush()


async def one_interval(store: Persistence, users: int, round_: int) -> Interval:
    """(wall s, CPU s, longest loop block of the hand-over s, of the save s) of one interval.

    The hand-over is PTB's part (Application.update_persistence gathers one update_* per
    changed user); blocks that begin after it returned are the store's save."""
    changed = CHANGED or max(1, users // 100)
    ids = [(round_ * changed + k * 97) % users for k in range(changed)]
    await asyncio.sleep(INTERVAL)  # a store saves at most once per interval
    async with LoopProbe() as probe:
        wall, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(
            store.update_bot_data({"round": round_}),
            *(store.update_user_data(n, user(n, round_)) for n in ids),
        )
        handed_over = time.perf_counter()
        await settle(store)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return wall, cpu, probe.longest(until=handed_over), probe.longest(since=handed_over)


async def stock_interval(store: Persistence, users: int, round_: int) -> Interval:
    """Stock PicklePersistence: time STOCK_SAMPLE writes, extrapolate to 1% of the users."""
    changed = CHANGED or max(1, users // 100)
    sample = min(changed, STOCK_SAMPLE)
    wall, cpu, block = time.perf_counter(), time.process_time(), 0.0
    for k in range(sample):  # each call blocks the loop for a whole-file write
        start = time.perf_counter()
        await store.update_user_data(k, user(k, round_ + 1))
        block = max(block, time.perf_counter() - start)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    scale = changed / sample
    return wall * scale, cpu * scale, math.nan, block  # its save is the update_* call


def size_of(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


def render(backend: str, root: Path) -> Any:
    """The generated package of `backend`, imported under its own name."""
    package = f"bench_{backend}"
    destination = root / package
    copier.run_copy(
        str(TEMPLATE),
        destination,
        data={"persistence": backend, "package_name": package},
        defaults=True,
        unsafe=True,
        vcs_ref="HEAD",
        quiet=True,
    )
    sys.path.insert(0, str(destination / "src"))
    return importlib.import_module(package)


def settings_for(
    package: str,
    data: Path,
    *,
    interval: float | None = None,
    url: str | None = None,
    lazy: bool = False,
) -> Any:
    """The generated `package`'s Settings, read as the bot reads them, for a store in `data`."""
    env = {"BOT_TOKEN": TOKEN, "BOT_DATA_DIR": str(data)}
    env |= {"BOT_PERSISTENCE_INTERVAL": f"{interval}"} if interval is not None else {}
    env |= {"DATABASE_URL": url} if url else {}
    env |= {"BOT_LAZY_LOAD": "1"} if lazy else {}
    settings = importlib.import_module(f"{package}.settings")
    return settings.Settings.from_env(env, env_file=data / "none.env")


def factories(root: Path, postgres: str | None) -> dict[str, Callable[[Path], Callable[[], Any]]]:
    """Backend label -> (data dir -> persistence factory)."""
    out: dict[str, Callable[[Path], Callable[[], Any]]] = {
        "stock PicklePersistence": lambda data: lambda: PicklePersistence(data / "stock.pickle")
    }
    for backend in BACKENDS:
        package = render(backend, root).__name__
        persistence = importlib.import_module(f"{package}.persistence")

        def make(
            data: Path, url: str | None = None, package: str = package, module: Any = persistence
        ) -> Callable[[], Any]:
            config = settings_for(package, data, interval=INTERVAL, url=url)
            return lambda: module.build_persistence(config)

        out[backend if backend != "sql" else "sql (SQLite)"] = make
        if backend == "pickle":  # the floor: handing the changes over as PTB does, no store
            out["no-write store"] = lambda data, module=persistence: lambda: no_write(module)
        if backend == "sql" and postgres:
            out["sql (PostgreSQL)"] = lambda data, make=make: make(data, postgres_schema(postgres))
    return out


def no_write(module: Any) -> Any:
    """A generated BufferedPersistence that writes nothing: PTB's hand-over (an asyncio.gather
    of one coroutine per changed user) and the interpreter's own work over a heap that holds
    the users as every store's does (loaded, then frozen)."""

    class NoWrite(module.BufferedPersistence):  # type: ignore[misc, name-defined]
        def _read(self) -> Any:
            return module._buffered.Stored(user_data={n: user(n) for n in range(USERS)})

        def _write(self, batch: Any) -> None:
            pass

    return NoWrite(update_interval=INTERVAL)


def postgres_schema(base: str) -> str:
    """A fresh schema on the server (dropped at exit), selected through the URL."""
    from sqlalchemy import create_engine, text

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    SCHEMAS.append((engine, schema))
    return f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"


SCHEMAS: list[tuple[Any, str]] = []


def drop_schemas() -> None:
    """Drop the schemas `postgres_schema` made."""
    from sqlalchemy import text

    for engine, schema in SCHEMAS:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def postgres_size() -> int:
    from sqlalchemy import text

    engine, schema = SCHEMAS[-1]
    query = text(
        "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :s AND c.relkind = 'r'"
    )
    with engine.connect() as connection:
        return int(connection.execute(query, {"s": schema}).scalar() or 0)


async def measure(label: str, make: Callable[[], Persistence], users: int, data: Path) -> str:
    await populate(make, users)
    store = make()
    start = time.perf_counter()
    await load_all(store)
    load = time.perf_counter() - start
    interval = stock_interval if label.startswith("stock") else one_interval
    runs = [await interval(store, users, round_) for round_ in range(1, INTERVALS + 1)]
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    handover = max(r[2] for r in runs)
    ptb = "-" if math.isnan(handover) else f"{handover * 1000:.1f}"
    block = max(r[3] for r in runs)
    if hasattr(store, "flush"):
        await store.flush()
    size = postgres_size() if "PostgreSQL" in label else size_of(data)
    changed = CHANGED or max(1, users // 100)
    mark = "~" if label.startswith("stock") and changed > STOCK_SAMPLE else " "
    return (
        f"| {label:<23} | {users:>9,} | {changed:>7,} | {mark}{wall * 1000:>10,.1f} "
        f"| {mark}{cpu * 1000:>10,.1f} | {ptb:>11} | {block * 1000:>8.1f} "
        f"| {load:>7.2f} | "
        f"{size / 1e6:>8.2f} |"
    )


def fresh_load(package: str, data: Path, url: str | None, lazy: bool) -> tuple[float, float]:
    """(load s, resident MB after it) of `package`'s store, in a process of its own."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    command = [sys.executable, __file__, "--load-one", package, str(data), url or ""]
    output = subprocess.run(
        [*command, "1" if lazy else ""], env=env, check=True, capture_output=True, text=True
    )
    result = json.loads(output.stdout.strip().splitlines()[-1])
    return result["seconds"], result["rss_mb"]


def load_one(package: str, data: str, url: str, lazy: str) -> None:
    """--load-one: build the package's persistence as the bot does, load it, print JSON."""
    persistence = importlib.import_module(f"{package}.persistence")
    config = settings_for(package, Path(data), url=url or None, lazy=bool(lazy))
    store = persistence.build_persistence(config)
    start = time.perf_counter()
    asyncio.run(load_all(store))
    seconds = time.perf_counter() - start
    rss = int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    print(json.dumps({"seconds": seconds, "rss_mb": rss / 1e6}))


def startup(label: str, maker: Any, users: int, data: Path) -> list[str]:
    """Rows of the start-up table for one backend at one size."""
    make = maker(data)
    asyncio.run(populate(make, users))
    store = make()
    package = type(store).__module__.split(".")[0]
    url = getattr(getattr(store, "storage", None), "engine", None)
    url = url.url.render_as_string(hide_password=False) if "PostgreSQL" in label else None
    rows = []
    for lazy in (False, True) if label.startswith("sql") else (False,):
        seconds, rss = fresh_load(package, data, url, lazy)
        name = f"{label}{', lazy' if lazy else ''}"
        rows.append(f"| {name:<24} | {users:>9,} | {seconds:>7.2f} | {rss:>8,.0f} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--million", action="store_true", help="add 1,000,000 users")
    parser.add_argument("--postgres", help="also run sql on this PostgreSQL URL")
    parser.add_argument("--only", nargs="+", help="backend labels to run (prefix match)")
    parser.add_argument("--changed", type=int, help="users changed per interval (default 1%%)")
    parser.add_argument("--startup", action="store_true", help="start-up time and memory")
    parser.add_argument("--load-one", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load_one:
        load_one(*args.load_one)
        return
    global CHANGED, USERS
    CHANGED = args.changed
    sizes = args.sizes + ([1_000_000] if args.million else [])
    root = Path(tempfile.mkdtemp(prefix="persistence-bench-"))
    try:
        makers = factories(root, args.postgres)
        if args.startup:
            print("| backend                  |     users |  load s |   RSS MB |")
            print("|--------------------------|-----------|---------|----------|")
            for users in sizes:
                for label, maker in makers.items():
                    if label.startswith("stock") or (
                        args.only and not any(label.startswith(p) for p in args.only)
                    ):
                        continue
                    data = root / f"start-{label.split()[0]}-{users}"
                    data.mkdir(mode=0o700)
                    print("\n".join(startup(label, maker, users, data)), flush=True)
                    shutil.rmtree(data, ignore_errors=True)
            return
        print(
            "| backend                 |     users | changed | save wall ms | save CPU ms "
            "| PTB loop ms | loop ms  | load s  | size MB  |\n|"
            + "|".join(["-" * 25, "-" * 11, "-" * 9])
            + "|"
            + "|".join(["-" * 14, "-" * 13, "-" * 13, "-" * 10, "-" * 9, "-" * 10])
            + "|",
            flush=True,
        )
        for users in sizes:
            for label, maker in makers.items():
                if args.only and not any(label.startswith(p) for p in args.only):
                    continue
                if label.startswith("stock") and users > 100_000:
                    continue  # minutes per interval; the 100k row already makes the point
                data = root / f"data-{label.split()[0]}-{users}"
                data.mkdir(mode=0o700)
                USERS = users
                print(asyncio.run(measure(label, maker(data), users, data)), flush=True)
                shutil.rmtree(data, ignore_errors=True)
        print(f"~ = timed on {STOCK_SAMPLE} changed users and extrapolated (one write each).")
    finally:
        drop_schemas()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
