"""Reminders at scale: restoring many pending jobs at start, and /set and /unset among them.

For each backend, renders a project with copier (or takes `--project` for one already
generated, e.g. with uncommitted template changes) and installs it with uv, then runs this
same file inside the project's environment (`--driver`), which:

1. fills the store with `--jobs` pending reminders due in a day, one per user and chat, in
   process through the generated package's API (build_application on the stand-in's offline
   request, jobs.schedule_job(..., save=False) for each, one durable.save_now, shutdown);
2. starts the real bot (`python -m <package>`, LOG_LEVEL=INFO, the generated default
   BOT_PERSISTENCE_INTERVAL) against the stand-in, with a user's /show_data already waiting;
3. has `--sets` new users send `/set 86400` one after another, then `--unsets` of the
   populated users send `/unset`, each timed from sending to the bot's reply at the stand-in;
4. stops the bot with SIGTERM (its final save) and measures the store.

Columns: "restore s (log)" is the time the bot logs for restoring the saved jobs ("Restored N
saved job(s) in X s"; "-" when its log line has no time); "start to first reply s" is from
spawning the process to the answer to the waiting /show_data, start-up as a user sees it;
/set and /unset latencies in ms, beside those of the /show_data each setter sends first (a
reply that saves nothing: the stand-in's and the bot's own round trip); the store's size on
disk (PostgreSQL: its tables) at the end.
A reply other than the expected one (e.g. "could not save" after durable.SAVE_WAIT) is
counted and noted under the table.

Run from the template repository, in an environment with copier, uv, SQLAlchemy and psycopg:

    python benchmarks/reminders.py [--jobs 100000] [--sets 300] [--unsets 50]
                                   [--backends pickle json custom sql]
                                   [--postgres postgresql://postgres@127.0.0.1:5432/test]
                                   [--project PATH ...]

Copier renders HEAD with any uncommitted template changes (its DirtyLocalWarning); to compare
two versions, generate a project from each and pass them with `--project`.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).resolve().parents[1]
BACKENDS = ("pickle", "json", "custom", "sql")
DUE_IN = 86_400  # seconds: every reminder is pending for the whole run
POPULATED = 1_000_000  # chat (= user) ids of the populated reminders start here
SETTERS = 5_000_000  # ... of the users who send /set
PROBE = 9_000_000  # the user whose /show_data waits for the bot to start
REPLY_TIMEOUT = 120.0
START_TIMEOUT = 900.0
SET_REPLY = "Timer successfully set!"
UNSET_REPLY = "Timer successfully cancelled!"
RESTORED = re.compile(r"Restored (\d+) saved job\(s\)(?: in ([0-9.]+) s)?; (\d+) overdue")


# ---------------------------------------------------------------------------- the driver
# Runs with the generated project's python: imports the package and the stand-in.


async def populate(package: str, env: dict[str, str], data_dir: Path, count: int) -> float:
    """Schedule `count` reminders through the package's API and save them; returns seconds."""
    from bot_api_standin.botapi import FakeBotAPI
    from bot_api_standin.offline import OfflineRequest

    app_module = importlib.import_module(f"{package}.app")
    durable = importlib.import_module(f"{package}.durable")
    jobs = importlib.import_module(f"{package}.jobs")
    settings = importlib.import_module(f"{package}.settings").Settings.from_env(
        env, env_file=data_dir.parent / "no.env"
    )
    started = time.perf_counter()
    application = app_module.build_application(
        settings, request=OfflineRequest(FakeBotAPI(env["BOT_TOKEN"]))
    )
    await application.initialize()
    try:
        for n in range(count):
            chat = POPULATED + n
            await jobs.schedule_job(
                application,
                "reminder",
                DUE_IN,
                chat_id=chat,
                user_id=chat,
                data={"seconds": DUE_IN},
                save=False,
            )
        try:
            await durable.save_now(application)
        except durable.NotSavedError as error:  # slow, not failed: shutdown waits for it
            print(f"  save_now: {error}; waiting for the write", file=sys.stderr)
    finally:
        await application.shutdown()  # the store's flush: everything is written
    return time.perf_counter() - started


def timed(api: Any, text: str, chat: int, expected: str | None) -> tuple[float, bool]:
    """Seconds from `chat` sending `text` to the bot's reply there, and if it was `expected`
    (None: any reply)."""
    started = time.perf_counter()
    api.send_text(text, user_id=chat, chat_id=chat)
    reply = api.wait_for_message(chat_id=chat, timeout=REPLY_TIMEOUT)
    return time.perf_counter() - started, expected is None or reply.text == expected


def size_of(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


def drive(args: argparse.Namespace) -> None:
    from bot_api_standin.model import FAKE_TOKEN
    from bot_api_standin.process import WEBHOOK_ENV, BotProcess
    from bot_api_standin.server import StandInServer

    root = Path(args.root)
    data_dir = root / "data"
    extra = {"DATABASE_URL": args.database_url} if args.database_url else {}
    env = {**WEBHOOK_ENV, "BOT_TOKEN": FAKE_TOKEN, "BOT_DATA_DIR": str(data_dir), **extra}
    filled = asyncio.run(populate(args.package, env, data_dir, args.jobs))
    print(f"  populated {args.jobs:,} reminders in {filled:.1f} s", file=sys.stderr, flush=True)

    result: dict[str, Any] = {"populate_s": filled}
    with StandInServer(token=FAKE_TOKEN) as server:
        api = server.api
        bot = BotProcess(
            server,
            data_dir,
            module=args.package,
            persistence_interval=None,  # the generated default
            env=extra,
            log_path=root / "bot.log",
            cwd=root,
            log_level="INFO",
        )
        try:
            api.send_text("/show_data", user_id=PROBE, chat_id=PROBE)  # waits for the bot
            spawned = time.perf_counter()
            bot.start(timeout=START_TIMEOUT)
            api.wait_for_message(chat_id=PROBE, timeout=START_TIMEOUT)
            result["first_reply_s"] = time.perf_counter() - spawned
            found = RESTORED.search(bot.log)
            result["restored"] = int(found[1]) if found else 0
            result["restore_s"] = float(found[2]) if found and found[2] else None
            print(f"  started in {result['first_reply_s']:.2f} s", file=sys.stderr, flush=True)

            sets, shows = [], []
            for n in range(args.sets):  # each setter asks /show_data first: a reply that saves
                shows.append(timed(api, "/show_data", SETTERS + n, None))  # nothing, the baseline
                sets.append(timed(api, f"/set {DUE_IN}", SETTERS + n, SET_REPLY))
            step = max(1, args.jobs // max(1, args.unsets))
            chats = [POPULATED + k * step for k in range(min(args.unsets, args.jobs))]
            unsets = [timed(api, "/unset", chat, UNSET_REPLY) for chat in chats]
            result["set_s"] = [seconds for seconds, _ in sets]
            result["show_s"] = [seconds for seconds, _ in shows]
            result["unset_s"] = [seconds for seconds, _ in unsets]
            result["unexpected"] = sum(not ok for _, ok in sets + unsets)
            result["stop_status"] = bot.terminate(timeout=START_TIMEOUT)
        finally:
            bot.close()
        if api.internal_errors:
            print(f"  stand-in errors: {api.internal_errors}", file=sys.stderr)
    result["size"] = size_of(data_dir)
    Path(args.out).write_text(json.dumps(result), encoding="utf-8")


# ---------------------------------------------------------------------------- the outer run


def render(backend: str, root: Path) -> Path:
    import copier

    project = root / f"rem_{backend}"
    copier.run_copy(
        str(TEMPLATE),
        project,
        data={"persistence": backend, "package_name": f"rem_{backend}"},
        defaults=True,
        unsafe=True,
        vcs_ref="HEAD",
        quiet=True,
    )
    return project


def answers(project: Path) -> dict[str, str]:
    """The copier answers of a generated project (flat `key: value` lines)."""
    out = {}
    for line in (project / ".copier-answers.yml").read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition(": ")
        if sep and not key.startswith(("#", " ")):
            out[key.strip()] = value.strip().strip("'\"")
    return out


SCHEMAS: list[tuple[Any, str]] = []


def postgres_schema(base: str) -> str:
    """A fresh schema on the server (dropped at exit), selected through the URL."""
    from sqlalchemy import create_engine, text

    schema = f"reminders_bench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    SCHEMAS.append((engine, schema))
    return f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"


def postgres_size() -> int:
    from sqlalchemy import text

    engine, schema = SCHEMAS[-1]
    query = text(
        "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :s AND c.relkind = 'r'"
    )
    with engine.connect() as connection:
        return int(connection.execute(query, {"s": schema}).scalar() or 0)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def ms(values: list[float], share: float | None = None) -> str:
    if not values:
        return "-"
    value = statistics.median(values) if share is None else percentile(values, share)
    return f"{value * 1000:,.1f}"


HEADER = (
    "| backend | jobs | restore s (log) | start to first reply s | /show_data p50 ms "
    "| /show_data p99 ms | /set p50 ms | /set p99 ms | /set max ms | /unset p50 ms "
    "| /unset p99 ms | store size MB |\n"
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
)


def measure(project: Path, label: str, args: argparse.Namespace, url: str | None) -> str:
    package = answers(project)["package_name"]
    python = project / ".venv" / "bin" / "python"
    with tempfile.TemporaryDirectory(prefix="reminders-run-") as scratch:
        out = Path(scratch) / "result.json"
        command = [
            *(str(python), __file__, "--driver", "--package", package, "--root", scratch),
            *("--out", str(out), "--jobs", str(args.jobs), "--sets", str(args.sets)),
            *("--unsets", str(args.unsets)),
            *(("--database-url", url) if url else ()),
        ]
        print(f"{label}: {project}", file=sys.stderr, flush=True)
        done = subprocess.run(command, cwd=project, check=False)
        if done.returncode or not out.exists():
            log = Path(scratch) / "bot.log"
            if log.exists():
                tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-30:]
                print("\n".join(tail), file=sys.stderr)
            return f"| {label} | {args.jobs:,} | failed (exit {done.returncode}) |"
        result = json.loads(out.read_text(encoding="utf-8"))
    size = postgres_size() if url else result["size"]
    restore = result["restore_s"]
    notes = []
    if result["restored"] != args.jobs:
        notes.append(f"restored {result['restored']:,}")
    if result["unexpected"]:
        notes.append(f"{result['unexpected']} unexpected replies")
    if result["stop_status"]:
        notes.append(f"exit {result['stop_status']} on SIGTERM")
    note = f" ({'; '.join(notes)})" if notes else ""
    sets, unsets, shows = result["set_s"], result["unset_s"], result["show_s"]
    max_set = f"{max(sets) * 1000:,.1f}" if sets else "-"
    return (
        f"| {label}{note} | {args.jobs:,} | {'-' if restore is None else f'{restore:.2f}'} "
        f"| {result['first_reply_s']:.2f} | {ms(shows)} | {ms(shows, 0.99)} "
        f"| {ms(sets)} | {ms(sets, 0.99)} | {max_set} "
        f"| {ms(unsets)} | {ms(unsets, 0.99)} | {size / 1e6:,.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=100_000, help="pending reminders to restore")
    parser.add_argument("--sets", type=int, default=300, help="users who each send /set")
    parser.add_argument("--unsets", type=int, default=50, help="populated users who /unset")
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, help="default: all")
    parser.add_argument("--postgres", help="also run sql on this PostgreSQL URL")
    parser.add_argument(
        "--project", type=Path, action="append", help="a generated project (repeatable)"
    )
    parser.add_argument("--driver", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--package", help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
    if args.driver:
        drive(args)
        return
    with tempfile.TemporaryDirectory(prefix="reminders-bench-") as root:
        if args.project:
            projects = [path.resolve() for path in args.project]
            if args.backends:
                projects = [p for p in projects if answers(p)["persistence"] in args.backends]
        else:
            projects = [render(backend, Path(root)) for backend in args.backends or BACKENDS]
        print(HEADER, flush=True)
        try:
            for project in projects:
                subprocess.run(["uv", "sync", "--quiet"], cwd=project, check=True)
                backend = answers(project)["persistence"]
                runs: list[tuple[str, str | None]] = [(backend, None)]
                if backend == "sql":
                    runs = [("sql (SQLite)", None)]
                    if args.postgres:
                        runs.append(("sql (PostgreSQL)", postgres_schema(args.postgres)))
                for label, url in runs:
                    named = f"{label} `{project.name}`" if args.project else label
                    print(measure(project, named, args, url), flush=True)
        finally:
            for engine, schema in SCHEMAS:
                from sqlalchemy import text

                with engine.begin() as connection:
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                engine.dispose()


if __name__ == "__main__":
    main()
