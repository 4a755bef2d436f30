"""custom and sql both keep `bot.sqlite3`: each refuses the other's store, in one line, and
leaves it untouched. (Each backend's contract suite, with 50 SIGKILLs and, for sql, the real
PostgreSQL server, runs as part of its project's own tests in test_generated.py.)"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from .helpers import Project, generate

WRITE_STORE = """
import asyncio, sys
from pathlib import Path
from my_bot.persistence import build_persistence
from my_bot.settings import Settings

async def main():
    store = build_persistence(Settings.from_env(env_file=Path("none.env")))
    await store.get_user_data()
    await store.update_user_data(1, {"precious": True})
    await store.flush()

asyncio.run(main())
"""


@pytest.fixture(scope="module")
def backend_project(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Project]:
    """A project of each backend, generated once for this module."""
    projects: dict[str, Project] = {}

    def get(persistence: str) -> Project:
        if persistence not in projects:
            dst = tmp_path_factory.mktemp(f"backend-{persistence}") / "bot"
            projects[persistence] = generate(dst, persistence=persistence)
        return projects[persistence]

    return get


@pytest.mark.slow
@pytest.mark.parametrize(("writer", "reader"), [("custom", "sql"), ("sql", "custom")])
def test_other_backends_sqlite_file_is_refused_untouched(
    writer: str, reader: str, backend_project: Callable[[str], Project], tmp_path: Path
) -> None:
    env = {
        "BOT_TOKEN": "123456789:REFUSAL-test-token-not-a-real-one",
        "BOT_DATA_DIR": str(tmp_path),
    }
    backend_project(writer).run("python", "-c", WRITE_STORE, **env)
    store = tmp_path / "bot.sqlite3"
    before = store.read_bytes()
    export = tmp_path / "all.export"
    refused = backend_project(reader).run(
        "python", "-m", "my_bot", "export", export, status=1, **env
    )
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    assert "bot.sqlite3" in refused.stderr and "not this bot's" in refused.stderr
    assert store.read_bytes() == before
    assert not export.exists()
