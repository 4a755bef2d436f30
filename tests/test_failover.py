"""More than one instance: an sql project that polls, several of its real bot processes on the
real PostgreSQL at 127.0.0.1:5432 (the generated `tests/test_failover.py`: SIGKILL of the
active one, SIGSTOP fencing, a rolling deploy, a reminder during a failover). They fail, never
skip, when PostgreSQL is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import Project, generate, run
from .test_generated import POSTGRES_URL

pytestmark = pytest.mark.xdist_group("failover")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    answers = {"persistence": "sql", "update_mode": "polling", "docker": False}
    return generate(tmp_path_factory.mktemp("failover") / "bot", **answers)


def test_failover_tests_pass_on_postgresql(project: Project) -> None:
    run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-c", "select 1"], Path())
    tests = ("pytest", "-q", "-p", "no:cacheprovider", "tests/instances")
    result = project.run(*tests, TEST_DATABASE_URL=POSTGRES_URL)
    assert "5 passed" in result.stdout, result.stdout
    assert "skipped" not in result.stdout, result.stdout
