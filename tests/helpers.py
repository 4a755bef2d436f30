"""Helpers to render the template and run what a user would run in the result."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import copier

TEMPLATE = Path(__file__).resolve().parents[1]


def render(dst: Path, *, src: Path = TEMPLATE, ref: str = "HEAD", **answers: Any) -> Path:
    """Render the template (`src` at git `ref`) into `dst`, the defaults overridden by
    `answers`; `copier.Settings()` keeps the user's own copier defaults out."""
    copier.run_copy(
        str(src),
        dst,
        data=answers,
        defaults=True,
        unsafe=True,
        vcs_ref=ref,
        quiet=True,
        settings=copier.Settings(),
    )
    return dst


def run(
    cmd: Sequence[str | Path],
    cwd: Path,
    *,
    status: int | None = 0,
    env: Mapping[str, str] | None = None,
    stdin: str = "",
    timeout: float = 900,
    **extra_env: str,
) -> subprocess.CompletedProcess[str]:
    """The one way the template's tests run a command. Its environment is this process's (or
    `env` in its place) plus `extra_env`; unless `status` is None it must exit with `status`,
    and the assertion shows its whole output."""
    result = subprocess.run(
        [str(part) for part in cmd],
        cwd=cwd,
        env={**(os.environ if env is None else env), **extra_env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert status is None or result.returncode == status, (
        f"{' '.join(map(str, cmd))} exited {result.returncode}, not {status}, in {cwd}\n"
        f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )
    return result


def bash(script: str, cwd: Path, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    """Run a script as the READMEs and docs show it (bash, strict mode); the caller checks."""
    command = ["bash", "-euo", "pipefail", "-c", script]
    return run(command, cwd, status=None, stdin=stdin, timeout=600, **env)


@dataclass
class Project:
    """A generated project, installed with `uv sync` into its own .venv and committed to git."""

    path: Path
    answers: dict[str, Any]

    def run(
        self, *cmd: str | Path, status: int | None = 0, **env: str
    ) -> subprocess.CompletedProcess[str]:
        return run(["uv", "run", "--no-sync", *cmd], self.path, status=status, **env)

    @property
    def package(self) -> str:
        return str(self.answers.get("package_name", "my_bot"))


def generate(dst: Path, **answers: Any) -> Project:
    """Render, install with uv (as the README says), and commit, as a user would."""
    render(dst, **answers)
    run(["uv", "sync", "--quiet"], dst)
    run(["git", "init", "--quiet"], dst)
    run(["git", "add", "--all"], dst)
    run(["git", "commit", "--quiet", "-m", "Generated from the template"], dst)
    return Project(dst, answers)
