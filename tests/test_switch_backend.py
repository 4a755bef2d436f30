"""Switching backend with the data: export from the old store, `copier update --data
persistence=<new>`, import into the new store, and the bot carries on where it was.

For every pair of backends: a user mid-conversation (a fact told, a question pending) and a
saved reminder, moved across; the old store is left byte for byte as it was.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import copier
import pytest

from .helpers import TEMPLATE, render, run

PERSISTENCE = ["pickle", "json", "custom", "sql"]
IGNORED = shutil.ignore_patterns(".git", ".venv", "*.pyc", "__pycache__", ".*_cache", "site")
COUNTS = re.compile(
    r"(\d+) users, (\d+) chats, (\d+) bot_data keys, (\d+) callback entries, "
    r"(\d+) conversation keys"
)

# Runs inside the generated project: the real bot as a subprocess against the stand-in.
DRIVER = """
import sys
from pathlib import Path

from bot_api_standin.process import BotProcess
from bot_api_standin.server import StandInServer

phase, data_dir = sys.argv[1], Path(sys.argv[2])
with StandInServer() as server:
    log = Path(f"../bot-{phase}.log")
    bot = BotProcess(server, data_dir, module="my_bot", log_path=log, persistence_interval=600)

    def say(text: str) -> str:
        server.api.send_text(text)
        return server.api.wait_for_message(timeout=30).text

    bot.start()
    try:
        if phase == "begin":
            assert say("/set 3600") == "Timer successfully set!"
            say("/start")
            say("Favourite colour")
            assert "favourite colour - blue" in say("Blue")
            assert say("Age").startswith("Your age?")
        else:
            assert "Restored 1 saved job(s) in " in bot.log, bot.log
            assert " s; 0 overdue, run now" in bot.log, bot.log
            answer = say("23")
            assert "age - 23" in answer and "favourite colour - blue" in answer, answer
    finally:
        assert bot.terminate() == 0, bot.log
print("ok", phase)
"""


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git copy of the template tagged v1.0.0, as users get it from a release."""
    repo = tmp_path_factory.mktemp("template") / "copier-ptb-bot"
    shutil.copytree(TEMPLATE, repo, ignore=IGNORED)
    run(["git", "init", "--quiet"], repo)
    run(["git", "add", "--all"], repo)
    run(["git", "commit", "--quiet", "-m", "release"], repo)
    run(["git", "tag", "v1.0.0"], repo)
    return repo


@pytest.fixture(scope="module")
def begun(template_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Per old backend, made once: a bot stopped mid-conversation with a reminder set."""
    projects: dict[str, Path] = {}

    def get(old: str) -> Path:
        if old not in projects:
            projects[old] = start_on(old, template_repo, tmp_path_factory.mktemp("switch"))
        return projects[old]

    return get


def fingerprint(directory: Path) -> dict[str, str]:
    """The store's files by content; not `bot.lock`, where every command writes its pid."""
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file() and path.name != "bot.lock"
    }


def counts(output: str) -> tuple[int, ...]:
    found = COUNTS.search(output)
    assert found, output
    return tuple(int(number) for number in found.groups())


def bot(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m my_bot ARGS` as a user runs it, with the default data directory and no
    BOT_TOKEN: export and import never talk to Telegram."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_"))}
    return run(
        ["uv", "run", "--no-sync", "python", "-m", "my_bot", *args],
        project,
        status=None,
        env=environ,
        timeout=300,
    )


def start_on(old: str, template_repo: Path, workdir: Path) -> Path:
    """Generate with `old`, chat until a question is pending, stop the bot, export."""
    project = workdir / old / "bot"
    render(project, src=template_repo, ref="v1.0.0", persistence=old)
    run(["uv", "sync", "--quiet"], project)
    run(["git", "init", "--quiet"], project)
    run(["git", "add", "--all"], project)  # uv.lock included, as the generated README says
    run(["git", "commit", "--quiet", "-m", "generated"], project)
    (project.parent / "driver.py").write_text(DRIVER)  # outside the project: git stays clean
    run(["uv", "run", "--no-sync", "python", "../driver.py", "begin", "data"], project)
    return project


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param(old, new, marks=pytest.mark.xdist_group(f"switch-from-{old}"))
        for old in PERSISTENCE
        for new in PERSISTENCE
        if old != new
    ],
)
def test_switch_backend_keeps_the_conversation_and_the_reminder(
    template_repo: Path,
    begun: Callable[[str], Path],
    tmp_path: Path,
    old: str,
    new: str,
) -> None:
    project = tmp_path / "bot"
    shutil.copytree(begun(old), project, ignore=shutil.ignore_patterns(".venv"))
    run(["uv", "sync", "--quiet"], project)
    (tmp_path / "driver.py").write_text(DRIVER)
    before = fingerprint(project / "data")
    export = tmp_path / "all-data.export"

    exported = bot(project, "export", str(export))
    assert exported.returncode == 0, exported.stderr
    moved = counts(exported.stdout)
    assert moved[0] >= 1 and moved[2] >= 1 and moved[4] == 1, exported.stdout  # user, jobs, state
    assert fingerprint(project / "data") == before

    copier.run_update(
        project,
        data={"persistence": new},
        defaults=True,
        unsafe=True,
        overwrite=True,
        quiet=True,
        vcs_ref="v1.0.0",
        settings=copier.Settings(),
    )
    run(["uv", "sync", "--quiet"], project)
    (project / "data").rename(project / f"data.{old}")  # as docs/updating.md says

    imported = bot(project, "import", str(export))
    assert imported.returncode == 0, imported.stderr
    assert counts(imported.stdout) == moved
    assert "imported and verified" in imported.stdout

    again = bot(project, "import", str(export))
    assert again.returncode == 1
    assert again.stderr.startswith("error: the configured store already holds data")
    assert again.stderr.count("\n") == 1

    run(["uv", "run", "--no-sync", "python", "../driver.py", "continue", "data"], project)
    assert fingerprint(project / f"data.{old}") == before
