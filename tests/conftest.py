"""Fixtures for testing the template: render it with the real copier, then run what users run.

The tests are isolated from the machine: copier gets empty user settings, git gets its own
config file, and pre-commit and uv share one cache per machine under pytest's temp root.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Give git, copier, uv and pre-commit a clean, private configuration."""
    home = tmp_path_factory.mktemp("home")
    gitconfig = home / "gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Template Tests\n\temail = tests@example.com\n"
        "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n"
        "[advice]\n\tdetachedHead = false\n"
    )
    shared = tmp_path_factory.getbasetemp().parent / "shared-cache"
    saved = dict(os.environ)
    os.environ.update(
        GIT_CONFIG_GLOBAL=str(gitconfig),
        GIT_CONFIG_NOSYSTEM="1",
        COPIER_SETTINGS_PATH=str(home / "copier-settings.yml"),
        PRE_COMMIT_HOME=str(shared / "pre-commit"),
        UV_PYTHON=sys.executable,
        UV_PYTHON_DOWNLOADS="never",
        UV_NO_PROGRESS="1",
        # uv, pre-commit and copier come from the test environment, even when it is not active.
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    for leak in ("VIRTUAL_ENV", "BOT_TOKEN", "BOT_API_BASE_URL", "BOT_DATA_DIR", "DATABASE_URL"):
        os.environ.pop(leak, None)
    yield
    os.environ.clear()
    os.environ.update(saved)
