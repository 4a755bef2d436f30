"""Reply latency under churn: a user's /show_data answered while many users change their facts.

Black-box, against the offline stand-in: the real generated bot runs as a subprocess
(`python -m <package>` in the project's own environment, through the stand-in's `BotProcess`),
its store filled beforehand with `--users` users who each have three facts (written with the
package's own `persistence.build_persistence`, so in the real store format). While it runs:

- churn: every 1/`--rate` seconds one of those users changes a fact through the conversation
  (/start, a category from the keyboard, a value), each step sent once the bot answered the
  previous one; saves every second (BOT_PERSISTENCE_INTERVAL=1). A fact change is three
  updates, two of which change the user's data: the default 35/s is about 100 updates/s,
  70 of them data changes;
- probe: one more user sends /show_data every 200 ms; its latency runs from the send to the
  bot's answer appearing at the stand-in. Probes of the first `--warmup` seconds are dropped,
  and the next probe goes out on time even if the last is unanswered (no coordinated omission).

The baseline is the same bot with a persistence that writes nothing (a subclass of the
package's `BufferedPersistence` that holds the same users in memory), measured in the same run
under the same conditions; runs alternate between it and the store. "busy" adds one CPU-bound
process competing for the cores. Each row is the median of `--runs` runs (p50, p99 and max each
taken separately); the ratio is the store's median p99 over the baseline's. Target: <= 1.5x.
"changes/s" is the churn the bot kept up with ("behind": under 90% of `--rate`, so latency then
grows with the queue); "bot CPU %" is the bot process's CPU time over the window (100: a core).

Run from the template repository: with no --project it renders each backend with copier into a
temporary directory and installs it with `uv sync` (copier and uv needed); with --project it
uses projects already generated and synced (their `.venv/bin/python`). The sql backend runs on
SQLite, and also on PostgreSQL (a fresh schema, dropped after) with --postgres:

    python benchmarks/latency.py [--project PATH ...] [--backends pickle json custom sql]
                                 [--users 10000] [--rate 35] [--seconds 30] [--warmup 3]
                                 [--runs 3] [--conditions idle busy]
                                 [--postgres postgresql://postgres@127.0.0.1:5432/test]

--backends applies only to rendering; with --project each project's own backend is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import importlib
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).resolve().parents[1]
BACKENDS = ("pickle", "json", "custom", "sql")
TARGET = 1.5  # the store's p99 may be at most this many times the baseline's
FIRST_USER = 100_000  # churning users are FIRST_USER ... FIRST_USER + users - 1
PROBE = 99_999  # the user who sends /show_data
# The conversation's keyboard buttons, and values a user may give for each.
CATEGORIES = {
    "Age": ("19", "42", "67"),
    "Favourite colour": ("red", "blue"),
    "Number of siblings": ("0", "3"),
}
COLOURS = ("red", "green", "blue", "yellow", "purple")
BEHIND = 0.9  # below this share of --rate the bot did not keep up with the churn
GRACE = 15.0  # seconds a probe may still be answered after the run before it counts as lost
BASELINE = "baseline"
RUNNER = "latency_baseline_bot"  # the module the baseline runs (written into a temp dir)
HEADER = (
    "| backend | condition | changes/s | bot CPU % | p50 ms | p99 ms | max ms "
    "| p99 ratio to baseline |\n"
    "|---------|-----------|----------:|----------:|-------:|-------:|-------:"
    "|----------------------:|"
)


def facts(user: int) -> dict[str, str]:
    """The three facts a user starts with, under the conversation's keys (lower-case)."""
    return {
        "age": str(18 + user % 60),
        "favourite colour": COLOURS[user % len(COLOURS)],
        "number of siblings": str(user % 4),
    }


# ---------------------------------------------------------------- the template repository side


def render(backend: str, root: Path) -> Path:
    """Generate and install a project for `backend`; return its directory."""
    import copier

    project = root / f"lat_{backend}"
    copier.run_copy(
        str(TEMPLATE),
        project,
        data={"persistence": backend, "package_name": f"lat_{backend}"},
        defaults=True,
        unsafe=True,
        vcs_ref="HEAD",
        quiet=True,
    )
    subprocess.run(["uv", "sync", "--quiet"], cwd=project, check=True)
    return project


def answers(project: Path) -> dict[str, str]:
    """The copier answers of a generated project (flat `key: value` lines)."""
    found: dict[str, str] = {}
    path = project / ".copier-answers.yml"
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.fullmatch(r"(\w+):\s*(.*?)\s*", line)
            if match:
                found[match[1]] = match[2].strip("'\"")
    return found


def describe(project: Path) -> tuple[str, str]:
    """(package name, backend) of a generated project."""
    known = answers(project)
    package = known.get("package_name")
    if not package:
        mains = sorted((project / "src").glob("*/__main__.py"))
        if not mains:
            raise SystemExit(f"error: {project} is not a generated project (no src/*/__main__.py)")
        package = mains[0].parent.name
    backend = known.get("persistence")
    if not backend:
        stores = sorted((project / "src" / package / "persistence").glob("*_store.py"))
        backend = stores[0].stem.removesuffix("_store") if stores else "?"
    return package, backend


def run_project(project: Path, args: argparse.Namespace) -> None:
    """Run the driver in the project's own environment; it prints its rows."""
    python = project / ".venv" / "bin" / "python"
    if not python.exists():
        raise SystemExit(f"error: {python} not found: run `uv sync` in {project} first")
    package, backend = describe(project)
    command = [str(python), str(Path(__file__).resolve()), "--driver"]
    command += ["--package", package, "--backend", backend]
    command += ["--users", str(args.users), "--rate", str(args.rate)]
    command += ["--seconds", str(args.seconds), "--warmup", str(args.warmup)]
    command += ["--runs", str(args.runs), "--conditions", *args.conditions]
    if args.postgres and backend == "sql":
        command += ["--postgres", args.postgres]
    subprocess.run(command, cwd=project, check=True)


# ---------------------------------------------------------------- the project side (--driver)


@dataclass
class Run:
    """One measurement: probe latencies (seconds), probes lost, fact changes per second, and
    the bot's CPU time per second of the measured window (1.0: one core; NaN if unknown)."""

    latencies: list[float]
    lost: int
    changes_per_second: float
    bot_cpu: float = math.nan

    def percentile(self, share: float) -> float:
        """Nearest-rank percentile; infinite if a probe was never answered."""
        if self.lost or not self.latencies:
            return math.inf
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass
class Variant:
    """A bot to measure: its label, module, data directory and extra environment."""

    label: str
    module: str
    data: Path
    env: dict[str, str] = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)


class Load:
    """The users' side of one measurement: churning users and the probe, over the stand-in.

    A scheduler thread starts a fact change every 1/rate s (the next idle user: /start) and
    sends the probe's /show_data every `probe_every` s; a reader thread follows every message
    the bot sends, times the probe's answers and moves each churning user one step on.
    """

    def __init__(self, api: Any, users: int, rate: float, probe_every: float = 0.2) -> None:
        self.api = api
        self.rate = rate
        self.probe_every = probe_every
        self.random = random.Random(users)
        idle = [FIRST_USER + n for n in range(users)]
        self.random.shuffle(idle)
        self.idle: collections.deque[int] = collections.deque(idle)
        self.step: dict[int, str] = {}  # churning user -> "menu", a category, or "saved"
        self.probes: collections.deque[float] = collections.deque()  # send times, unanswered
        self.answered: list[tuple[float, float]] = []  # (sent, latency)
        self.changed: list[float] = []  # when each fact change was confirmed
        self.stopping = threading.Event()
        self.sending = threading.Event()
        self._cursor = 0

    def run(self, warmup: float, seconds: float, cpu: Callable[[], float]) -> Run:
        """Load the bot for warmup + seconds; `cpu()` is the bot's CPU time so far."""
        reader = threading.Thread(target=self._read, name="latency-reader", daemon=True)
        scheduler = threading.Thread(target=self._schedule, name="latency-users", daemon=True)
        self.sending.set()
        start = time.perf_counter()
        reader.start()
        scheduler.start()
        begin, end = start + warmup, start + warmup + seconds
        time.sleep(max(0.0, begin - time.perf_counter()))
        used = cpu()
        time.sleep(max(0.0, end - time.perf_counter()))
        used = (cpu() - used) / (time.perf_counter() - begin)
        self.sending.clear()
        scheduler.join()
        deadline = time.monotonic() + GRACE
        while self.probes and time.monotonic() < deadline:
            time.sleep(0.05)
        self.stopping.set()
        reader.join()
        latencies = [latency for sent, latency in self.answered if begin <= sent < end]
        lost = sum(begin <= sent < end for sent in self.probes)
        changes = sum(begin <= done < end for done in self.changed)
        return Run(latencies, lost, changes / seconds, used)

    def _schedule(self) -> None:
        now = time.perf_counter()
        next_change, next_probe = now, now
        while self.sending.is_set():
            now = time.perf_counter()
            if now >= next_probe:
                self.probes.append(time.perf_counter())  # before the send: the answer may win
                self.api.send_text("/show_data", user_id=PROBE, first_name="Probe")
                next_probe += self.probe_every
            if now >= next_change:
                if self.idle:
                    user = self.idle.popleft()
                    self.step[user] = "menu"
                    self.api.send_text("/start", user_id=user, first_name="User")
                next_change += 1 / self.rate
            time.sleep(max(0.0, min(next_change, next_probe) - time.perf_counter()))

    def _new_messages(self) -> list[Any] | None:
        """Under the stand-in's lock: what the bot sent since the last look."""
        new = self.api.sent[self._cursor :]
        self._cursor += len(new)
        return new or None

    def _read(self) -> None:
        while not self.stopping.is_set():
            new = self.api.wait_until(self._new_messages, 0.1)
            seen = time.perf_counter()
            for message in new or ():
                if message.chat_id == PROBE:
                    if self.probes:
                        sent = self.probes.popleft()
                        self.answered.append((sent, seen - sent))
                    continue
                self._advance(message, seen)

    def _advance(self, message: Any, seen: float) -> None:
        """Answer the bot as the churning user would: pick a category, give a value."""
        user, step = message.chat_id, self.step.get(message.chat_id)
        if step == "menu" and message.keyboard:  # the greeting with the categories
            category = self.random.choice(list(CATEGORIES))
            self.step[user] = category
            self.api.press_button(category, user_id=user)
        elif step in CATEGORIES:  # "Your age? ..."
            self.step[user] = "saved"
            self.api.send_text(self.random.choice(CATEGORIES[step]), user_id=user)
        elif step == "saved" and message.keyboard:  # "Neat! ..." with the keyboard again
            del self.step[user]
            self.changed.append(seen)
            self.idle.append(user)


def cpu_seconds(pid: int | None) -> float:
    """CPU time (user + system) a process used so far; NaN where /proc cannot tell."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return math.nan


@contextlib.contextmanager
def competing(busy: bool) -> Iterator[None]:
    """While inside: one CPU-bound process, if `busy`."""
    burner = None
    if busy:
        burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        if burner is not None:
            burner.kill()
            burner.wait()


def measure(variant: Variant, args: argparse.Namespace, busy: bool) -> Run:
    """Start the bot on a fresh stand-in, load it for warmup + seconds, stop it."""
    from bot_api_standin.process import BotProcess
    from bot_api_standin.server import StandInServer

    with StandInServer() as server:
        bot = BotProcess(
            server,
            variant.data,
            module=variant.module,
            persistence_interval=1.0,
            env=variant.env,
            log_path=variant.data.parent / f"{variant.data.name}.log",
            log_level="WARNING",
        )
        try:
            bot.start(timeout=300)
            with competing(busy):
                load = Load(server.api, args.users, args.rate)
                run = load.run(args.warmup, args.seconds, lambda: cpu_seconds(bot.pid))
            if not bot.running:
                raise RuntimeError(f"{variant.label}: the bot stopped:\n{bot.log[-3000:]}")
            if server.api.internal_errors:
                raise RuntimeError(f"stand-in errors: {server.api.internal_errors[:3]}")
        finally:
            bot.close()
    return run


async def populate(package: str, data: Path, env: dict[str, str], users: int) -> None:
    """Fill the store with the users and their facts, through the package's own persistence."""
    settings = importlib.import_module(f"{package}.settings")
    persistence = importlib.import_module(f"{package}.persistence")
    from bot_api_standin.model import FAKE_TOKEN
    from bot_api_standin.process import WEBHOOK_ENV  # a webhook project's settings need them

    values = {**WEBHOOK_ENV, "BOT_TOKEN": FAKE_TOKEN, "BOT_DATA_DIR": str(data), **env}
    config = settings.Settings.from_env(values, env_file=data / "none.env")
    store = persistence.build_persistence(config)
    await store.get_user_data()
    await store.get_chat_data()
    await store.get_bot_data()
    await store.get_conversations("profile")
    everyone = [PROBE, *range(FIRST_USER, FIRST_USER + users)]
    await asyncio.gather(*(store.update_user_data(n, facts(n)) for n in everyone))
    await store.flush()


def write_runner(directory: Path, package: str, users: int) -> None:
    """The baseline bot's module: runs `baseline_bot` of this very file in the bot process."""
    here = str(Path(__file__).resolve())
    code = (
        f'"""{package} with a persistence that writes nothing (benchmarks/latency.py)."""\n'
        "import importlib.util\n"
        "import sys\n\n"
        f"spec = importlib.util.spec_from_file_location('latency_benchmark', {here!r})\n"
        "benchmark = sys.modules[spec.name] = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(benchmark)\n"
        f"sys.exit(benchmark.baseline_bot({package!r}, {users}))\n"
    )
    (directory / f"{RUNNER}.py").write_text(code, encoding="utf-8")


def baseline_bot(package: str, users: int) -> int:
    """In the bot process: run `package` with a store that holds the same users as the real
    stores, in memory, and never writes. Its build_persistence is replaced wherever imported."""
    entry = importlib.import_module(f"{package}.__main__")
    persistence = importlib.import_module(f"{package}.persistence")
    base = persistence.BufferedPersistence
    stored = sys.modules[base.__module__].Stored

    class NoWrites(base):  # type: ignore[misc, valid-type]
        def _read(self) -> Any:
            everyone = [PROBE, *range(FIRST_USER, FIRST_USER + users)]
            return stored(user_data={n: facts(n) for n in everyone})

        def _write(self, batch: Any) -> None:
            pass

    def build_persistence(settings: Any) -> Any:
        return NoWrites(settings.persistence_interval)

    original = persistence.build_persistence
    modules: dict[str, Any] = dict(sys.modules)
    for name, module in modules.items():
        ours = name == package or name.startswith(f"{package}.")
        if ours and getattr(module, "build_persistence", None) is original:
            module.build_persistence = build_persistence
    return int(entry.main())


def postgres_schema(base: str) -> tuple[str, Any, str]:
    """A fresh schema on the server: (URL selecting it, engine, schema name)."""
    from sqlalchemy import create_engine, text

    schema = f"latency_bench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    return f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}", engine, schema


def row(
    label: str, condition: str, runs: list[Run], baseline: float | None, target_rate: float
) -> str:
    def ms(value: float) -> str:
        return f"{value * 1000:,.1f}" if math.isfinite(value) else "lost"

    p50 = statistics.median(r.percentile(0.50) for r in runs)
    p99 = statistics.median(r.percentile(0.99) for r in runs)
    top = statistics.median(r.percentile(1.0) for r in runs)
    rate = statistics.median(r.changes_per_second for r in runs)
    cpu = statistics.median(r.bot_cpu for r in runs)
    if baseline is None:
        ratio = "1.00 (reference)"
    elif math.isfinite(p99) and baseline > 0:
        verdict = "ok" if p99 <= TARGET * baseline else f"over {TARGET:g}x"
        ratio = f"{p99 / baseline:.2f} ({verdict})"
    else:
        ratio = "n/a"
    behind = " (behind)" if rate < BEHIND * target_rate else ""
    load = f"{rate:,.0f}{behind}", f"{cpu * 100:.0f}" if math.isfinite(cpu) else "?"
    cells = [label, condition, *load, ms(p50), ms(p99), ms(top), ratio]
    return f"| {' | '.join(cells)} |"


def quiet_resets() -> None:
    """No traceback on stderr when a stopping bot resets a kept-alive connection to the
    stand-in's server (socketserver prints every handler error)."""
    import socketserver

    loud = socketserver.BaseServer.handle_error

    def handle_error(self: socketserver.BaseServer, request: Any, address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionResetError):
            loud(self, request, address)

    socketserver.BaseServer.handle_error = handle_error  # type: ignore[method-assign, assignment]


def drive(args: argparse.Namespace) -> None:
    """Inside the generated project's environment: populate, then measure every variant."""
    sys.setswitchinterval(0.0005)  # the reader thread notices an answer soon after it lands
    quiet_resets()
    root = Path(tempfile.mkdtemp(prefix="latency-"))
    schemas: list[tuple[Any, str]] = []
    try:
        write_runner(root, args.package, args.users)
        variants = [Variant(BASELINE, RUNNER, root / "baseline" / "data")]
        label = "sql (SQLite)" if args.backend == "sql" else args.backend
        variants.append(Variant(label, args.package, root / "store" / "data"))
        if args.postgres:
            url, engine, schema = postgres_schema(args.postgres)
            schemas.append((engine, schema))
            env = {"DATABASE_URL": url}
            variants.append(Variant("sql (PostgreSQL)", args.package, root / "pg" / "data", env))
        variants[0].env = {"PYTHONPATH": str(root)}  # where the runner module is
        for variant in variants:
            variant.data.mkdir(parents=True, mode=0o700)
            if variant.module != RUNNER:
                asyncio.run(populate(args.package, variant.data, variant.env, args.users))
        for condition in args.conditions:
            for variant in variants:
                variant.runs = []
            for number in range(args.runs):
                turn = number % len(variants)  # each run starts with another bot
                for variant in variants[turn:] + variants[:turn]:
                    variant.runs.append(measure(variant, args, busy=condition == "busy"))
            reference = statistics.median(r.percentile(0.99) for r in variants[0].runs)
            for variant in variants:
                baseline = None if variant.module == RUNNER else reference
                label = f"{BASELINE} ({args.backend}'s bot, no writes)"
                label = label if variant.module == RUNNER else variant.label
                print(row(label, condition, variant.runs, baseline, args.rate), flush=True)
    finally:
        for engine, schema in schemas:
            from sqlalchemy import text

            with engine.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            engine.dispose()
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, action="append", help="a generated project")
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=35.0, help="fact changes per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured, per run")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured, per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--conditions", nargs="+", default=["idle", "busy"], choices=["idle", "busy"]
    )
    parser.add_argument("--postgres", help="also run sql on this PostgreSQL URL")
    parser.add_argument("--driver", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--package", help=argparse.SUPPRESS)
    parser.add_argument("--backend", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
    if args.driver:
        drive(args)
        return
    print(
        f"{args.users:,} users, {args.rate:g} fact changes/s, saves every 1 s, /show_data "
        f"every 200 ms; median of {args.runs} run(s) of {args.seconds:g} s\n",
        flush=True,
    )
    print(HEADER, flush=True)
    if args.project:
        for project in args.project:
            run_project(project.resolve(), args)
        return
    with tempfile.TemporaryDirectory(prefix="latency-bench-") as root:
        for backend in args.backends:
            run_project(render(backend, Path(root)), args)


if __name__ == "__main__":
    main()
