"""Every persistence backend, rendered, passes its generated contract suite with 50 SIGKILLs.

`sql` runs it against SQLite and against the real PostgreSQL server (TEST_DATABASE_URL,
default postgresql://postgres@127.0.0.1:5432/test); an unreachable server fails the test.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from .helpers import render

POSTGRES = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
INSTALL = ["-e", ".", "pytest", "pytest-asyncio"]
CONTRACT = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_persistence.py"]


def _run(command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, "CONTRACT_CRASH_ROUNDS": "50", **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )


@pytest.fixture(scope="session")
def backend_project(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Render a backend once per session into a project with its own venv."""
    projects: dict[str, Path] = {}

    def get(persistence: str) -> Path:
        if persistence not in projects:
            dst = tmp_path_factory.mktemp(f"backend-{persistence}") / "bot"
            render(dst, persistence=persistence)
            for command in (
                ["uv", "venv", "-q", ".venv"],
                ["uv", "pip", "install", "-q", "--python", ".venv/bin/python", *INSTALL],
            ):
                result = _run(command, dst)
                assert result.returncode == 0, result.stderr
            projects[persistence] = dst
        return projects[persistence]

    return get


@pytest.mark.slow
@pytest.mark.parametrize("persistence", ["pickle", "json", "custom", "sql"])
def test_contract_suite_passes(persistence: str, backend_project: Callable[[str], Path]) -> None:
    project = backend_project(persistence)
    result = _run([str(project / ".venv/bin/python"), *CONTRACT], project)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in result.stdout


@pytest.mark.slow
def test_sql_contract_suite_passes_on_postgresql(backend_project: Callable[[str], Path]) -> None:
    project = backend_project("sql")
    python = str(project / ".venv/bin/python")
    probe = "import psycopg, sys; psycopg.connect(sys.argv[1], connect_timeout=5).close()"
    reachable = _run([python, "-c", probe, POSTGRES], project)
    if reachable.returncode != 0:
        reason = reachable.stderr.strip().splitlines()[-1]
        pytest.fail(
            f"PostgreSQL at {POSTGRES} is unreachable ({reason}): start it or set "
            "TEST_DATABASE_URL; the sql backend must be tested against it"
        )
    command = [python, *CONTRACT, "-k", "postgresql"]
    result = _run(command, project, TEST_DATABASE_URL=POSTGRES)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
