"""A full disk under a running bot: saves fail and are kept, the bot keeps answering, and once
there is space again the retry writes everything without waiting for another change.

The data directory is a real 1 MiB tmpfs that the test fills with a file, so the store's
write meets a real ENOSPC (the template's CI runs as root, which may mount it)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .helpers import generate

DRIVER = """
import json, sys, time
from pathlib import Path
from bot_api_standin.process import BotProcess
from bot_api_standin.server import StandInServer
package, disk, log = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])

def wait_for(condition, timeout):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True

def fill(path):
    with open(path, "wb", buffering=0) as file:
        try:
            while True:
                file.write(bytes(4096))
        except OSError:
            pass

with StandInServer() as server:
    api = server.api
    bot = BotProcess(server, disk / "data", module=package, persistence_interval=0.5,
                     log_path=log)
    bot.start()
    api.send_text("/start")
    api.wait_for_message(timeout=30)
    fill(disk / "filler")
    api.send_text("Age")
    api.wait_for_message(timeout=30)
    api.send_text("42")
    answered_while_full = "age - 42" in api.wait_for_message(timeout=30).text.lower()
    failed = wait_for(lambda: "Saving the bot's data failed" in bot.log, 20)
    (disk / "filler").unlink()
    recovered = wait_for(lambda: "Saving works again" in bot.log, 30)
    bot.kill()  # SIGKILL: only what the retry wrote survives
    bot.start()
    api.send_text("/start")
    restored = "age - 42" in api.wait_for_message(timeout=30).text.lower()
    status = bot.terminate()
print(json.dumps({"answered_while_full": answered_while_full, "failed": failed,
                  "recovered": recovered, "restored": restored, "status": status,
                  "failures_logged": bot.log.count("Saving the bot's data failed")}))
"""


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], check=True)
    try:
        yield disk
    finally:
        subprocess.run(["umount", "--lazy", str(disk)], check=True)  # even if a bot lingers


@pytest.mark.slow
@pytest.mark.parametrize("persistence", ["json", "sql"])
def test_a_full_disk_is_caught_up_when_space_returns(
    tmp_path: Path, small_disk: Path, persistence: str
) -> None:
    project = generate(tmp_path / "bot", persistence=persistence)
    log = tmp_path / "bot.log"
    result = project.run("python", "-c", DRIVER, project.package, str(small_disk), str(log))
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    bot_log = log.read_text()[-3000:]
    assert outcome["answered_while_full"], bot_log
    assert outcome["failed"], bot_log
    assert outcome["recovered"], bot_log
    assert outcome["failures_logged"] == 1, bot_log  # once per outage, not once per try
    assert outcome["restored"], bot_log
    assert outcome["status"] == 0, bot_log
