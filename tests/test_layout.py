"""The generated repository's house rules: Jinja stays out of Python logic, modules stay short.

Branching on the answers happens at file level (conditional file names), so a template `.py`
carries at most one Jinja tag per 10 lines, and no generated module grows past 250 lines.
Checked on the template's sources and on a render of every backend in both update modes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .helpers import TEMPLATE, render

JINJA_TAG = re.compile(r"\{\{|\{%|\{#")
MAX_MODULE_LINES = 250
LINES_PER_TAG = 10
CONDITION = re.compile(r"\{%.*?%\}")  # a conditional file name: judge the name it renders to
PYTHON_SOURCES = sorted(
    path
    for path in (TEMPLATE / "template").rglob("*")
    if path.is_file() and re.search(r"\.py(\.jinja)?$", CONDITION.sub("", path.name))
)


@pytest.mark.parametrize(
    "source", PYTHON_SOURCES, ids=[p.relative_to(TEMPLATE).as_posix() for p in PYTHON_SOURCES]
)
def test_template_python_has_little_jinja(source: Path) -> None:
    text = source.read_text()
    tags = len(JINJA_TAG.findall(text))
    lines = text.count("\n")
    assert tags * LINES_PER_TAG <= max(lines, LINES_PER_TAG), (
        f"{source.name}: {tags} Jinja tags in {lines} lines; branch at file level instead"
    )


@pytest.mark.parametrize("update_mode", ["polling", "webhook"])
@pytest.mark.parametrize("persistence", ["pickle", "json", "custom", "sql"])
def test_generated_modules_are_short(tmp_path: Path, persistence: str, update_mode: str) -> None:
    project = render(tmp_path / "bot", persistence=persistence, update_mode=update_mode)
    long = {
        path.relative_to(project).as_posix(): count
        for path in project.rglob("*.py")
        if (count := path.read_text().count("\n")) > MAX_MODULE_LINES
    }
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"
