"""The commands the READMEs show work exactly as written, on a fresh virtual environment."""

from __future__ import annotations

import re
from pathlib import Path

from .helpers import TEMPLATE, bash, render


def code_block(markdown: str, heading: str) -> str:
    """The first ```bash block after `heading`."""
    section = markdown.split(heading, 1)[1]
    match = re.search(r"```bash\n(.*?)```", section, re.S)
    assert match, f"no bash block under {heading!r}"
    return match.group(1)


def test_ci_runs_the_readme_test_command() -> None:
    command = code_block((TEMPLATE / "README.md").read_text(), "## Run the template's tests")
    assert command.strip() in (TEMPLATE / ".ci" / "run").read_text()


def test_generate_and_chat_as_the_readme_says(tmp_path: Path) -> None:
    script = code_block((TEMPLATE / "README.md").read_text(), "## Generate a bot and chat")
    result = bash(script, tmp_path, stdin="/start\n/quit\n", TEMPLATE=str(TEMPLATE))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Age" in result.stdout, result.stdout
    assert (tmp_path / "mybot" / ".copier-answers.yml").is_file()


def test_generated_readme_setup_then_missing_token_error(tmp_path: Path) -> None:
    project = render(tmp_path / "bot")
    setup = code_block((project / "README.md").read_text(), "## Set up")
    assert bash(setup, project).returncode == 0
    result = bash("uv run python -m my_bot", project)
    assert result.returncode == 2
    assert result.stderr.startswith("error: BOT_TOKEN is not set"), result.stderr
    assert "Traceback" not in result.stderr
