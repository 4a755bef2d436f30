"""Takeover time of an sql bot on PostgreSQL: from SIGKILL of the active instance to the first
update a standby handles, over many kills; and the handover of a rolling deploy (SIGTERM).

Renders an sql project that polls, installs it with uv, then runs this same file inside the
project's environment (`--driver`): the offline stand-in, three real bot processes on one
PostgreSQL database (a schema of its own), and `--kills` rounds of: send a message, SIGKILL
the active instance, time until the reply comes, start the killed one again as a standby.

    python benchmarks/failover.py [--kills 20] [--postgres postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).resolve().parents[1]


def render(root: Path) -> Path:
    import copier

    project = root / "bot"
    copier.run_copy(
        str(TEMPLATE),
        project,
        data={"persistence": "sql", "update_mode": "polling"},
        defaults=True,
        unsafe=True,
        vcs_ref="HEAD",
        quiet=True,
    )
    subprocess.run(["uv", "sync", "--quiet"], cwd=project, check=True)
    return project


def drive(postgres: str, kills: int) -> None:
    """Inside the generated project's environment."""
    from bot_api_standin.process import BotProcess
    from bot_api_standin.server import StandInServer
    from my_bot.persistence.sql_store import connect
    from sqlalchemy import text

    schema = f"failover_bench_{uuid.uuid4().hex[:8]}"
    engine = connect(postgres)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{postgres}{'&' if '?' in postgres else '?'}options=-csearch_path%3D{schema}"
    root = Path(tempfile.mkdtemp(prefix="failover-"))
    with StandInServer() as server:
        api = server.api
        bots = []
        for n in range(3):
            (root / f"bot{n}").mkdir()
            bot = BotProcess(
                server,
                root / f"bot{n}" / "data",
                module="my_bot",
                log_path=root / f"bot{n}.log",
                env={"DATABASE_URL": url},
                log_level="INFO",
            )
            bots.append(bot)
        bots[0].start()
        for bot in bots[1:]:
            bot.start(until="standby: ")
        takeovers = []
        for kill in range(kills):
            chat = 10_000 + kill
            api.send_text("/show_data", user_id=chat, chat_id=chat)
            api.wait_for_message(chat_id=chat, timeout=30)
            while api.unacknowledged():
                time.sleep(0.01)
            active = next(
                b for b in bots if b.running and "active: " in b.log.split("--- start")[-1]
            )
            killed = time.monotonic()
            active.kill()
            api.send_text("/show_data", user_id=chat, chat_id=chat)
            api.wait_for_message(chat_id=chat, timeout=30)
            takeovers.append(time.monotonic() - killed)
            active.start(until="standby: ")
        deploys = []
        for _ in range(3):
            active = next(
                b for b in bots if b.running and "active: " in b.log.split("--- start")[-1]
            )
            started = time.monotonic()
            active.terminate()
            chat = 20_000 + len(deploys)
            api.send_text("/show_data", user_id=chat, chat_id=chat)
            api.wait_for_message(chat_id=chat, timeout=30)
            deploys.append(time.monotonic() - started)
            active.start(until="standby: ")
        for bot in bots:
            bot.close()
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()
    report("SIGKILL of the active instance", takeovers)
    report("SIGTERM (rolling deploy)", deploys)


def the_active_one(bots: list[Any]) -> Any:
    """The running bot whose latest run logged that it took the lease."""
    return next(b for b in bots if b.running and "active: " in b.log.split("--- start")[-1])


def report(what: str, seconds: list[float]) -> None:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(
        f"| {what} | {len(ordered)} | {ordered[0]:.2f} | {statistics.median(ordered):.2f} "
        f"| {p95:.2f} | {ordered[-1]:.2f} |",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--driver", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
    if args.driver:
        drive(args.postgres, args.kills)
        return
    print(
        "| event | rounds | min s | median s | p95 s | max s |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: |  (until the next update is answered)",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="failover-bench-") as root:
        project = render(Path(root))
        python = project / ".venv" / "bin" / "python"
        driver = [str(python), __file__, "--driver", "--kills", str(args.kills)]
        subprocess.run([*driver, "--postgres", args.postgres], cwd=project, check=True)


if __name__ == "__main__":
    sys.exit(main())
