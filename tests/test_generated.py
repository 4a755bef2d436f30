"""Every combination of answers that changes which code exists renders, installs and passes
the generated project's own tests, linters, type checks and pre-commit hooks unchanged."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .helpers import Project, generate, run

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"

# One project per persistence value; the other answers are spread across them so that each
# value of each question is rendered and checked at least once.
COMBINATIONS: dict[str, dict[str, Any]] = {
    "pickle": {"persistence": "pickle"},
    "json": {
        "persistence": "json",
        "license": "Apache-2.0",
        "package_name": "echo_bot",
        "docker": False,
        "github_actions": False,
    },
    "custom": {"persistence": "custom", "license": "GPL-3.0-or-later", "update_mode": "webhook"},
    "sql": {"persistence": "sql", "license": "Proprietary", "update_mode": "webhook"},
}


@pytest.fixture(
    scope="session",
    params=[pytest.param(k, marks=pytest.mark.xdist_group(k)) for k in COMBINATIONS],
)
def project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Project:
    name = request.param
    return generate(tmp_path_factory.mktemp(name) / "bot", **COMBINATIONS[name])


def test_own_test_suite_passes(project: Project) -> None:
    env = {"CONTRACT_CRASH_ROUNDS": "50"}
    if project.answers["persistence"] == "sql":
        run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-c", "select 1"], Path())
        env["TEST_DATABASE_URL"] = POSTGRES_URL
    result = project.run("pytest", "-q", "-p", "no:cacheprovider", **env)
    assert " passed" in result.stdout
    assert " skipped" not in result.stdout, result.stdout


def test_ruff_lint_and_format_are_clean(project: Project) -> None:
    project.run("ruff", "check", ".")
    project.run("ruff", "format", "--check", ".")


def test_mypy_strict_is_clean(project: Project) -> None:
    project.run("mypy")


def test_pre_commit_passes_without_changes(project: Project) -> None:
    project.run("pre-commit", "run", "--all-files", "--show-diff-on-failure")
    status = run(["git", "status", "--porcelain"], project.path).stdout
    assert status == "", f"pre-commit changed files:\n{status}"


def test_pre_commit_refuses_conflict_markers_and_rej_files(project: Project) -> None:
    readme = project.path / "README.md"
    original = readme.read_text()
    rej = project.path / "README.md.rej"
    try:
        readme.write_text(
            original + "<<<<<<< before updating\nmine\n=======\ntheirs\n>>>>>>> after\n"
        )
        rej.write_text("@@ -1 +1 @@\n-a\n+b\n")
        run(["git", "add", "README.md", "README.md.rej"], project.path)
        result = project_run_failing(project, "pre-commit", "run", "--all-files")
        assert "check-merge-conflict" in result or "merge conflict" in result.lower()
        assert "README.md.rej" in result
    finally:
        readme.write_text(original)
        rej.unlink()
        run(["git", "reset", "--quiet", "--hard"], project.path)


def project_run_failing(project: Project, *cmd: str) -> str:
    result = subprocess.run(
        ["uv", "run", "--no-sync", *cmd],
        cwd=project.path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode != 0, f"{cmd} should have failed:\n{result.stdout}"
    return result.stdout + result.stderr


def test_files_follow_the_answers(project: Project) -> None:
    answers = project.answers
    files = {p.relative_to(project.path).as_posix() for p in project.path.rglob("*")}
    package = project.package
    assert f"src/{package}/__main__.py" in files
    assert ("LICENSE" in files) == (answers.get("license") != "Proprietary")
    recorded = (project.path / ".copier-answers.yml").read_text()
    assert f"persistence: {answers['persistence']}" in recorded
    assert "_src_path:" in recorded
    assert not any("{{" in name or "{%" in name for name in files)
    for path in project.path.rglob("*.py"):
        if ".venv" not in path.parts:
            assert "{{" not in path.read_text(), f"unrendered Jinja in {path}"


def test_plain_pip_install_gives_the_console_script(project: Project, tmp_path: Path) -> None:
    """`pip install .` (no uv, not editable) installs the bot, its backend's dependencies and
    its `<name>` command."""
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv], tmp_path)
    run([venv / "bin" / "pip", "install", "-q", str(project.path)], tmp_path)
    script = venv / "bin" / project.package.replace("_", "-")
    result = subprocess.run(
        [script, "health"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: BOT_TOKEN is not set")
    assert result.stderr.count("\n") == 1
