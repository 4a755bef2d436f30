"""The documentation builds strictly, and everything a page shows as something to run, runs.

Each fenced block in docs/ is preceded by a marker comment saying what the tests do with it:

    <!-- test: shell [backend=NAME] [cwd=empty] -->   bash -euo pipefail, in a generated project
                                                      (or, with cwd=empty, in an empty directory
                                                      with $TEMPLATE set, as the README says)
    <!-- test: python [backend=NAME] -->              run with the project's Python, in it
    <!-- test: file PATH [backend=NAME] -->           written to PATH in the project; .py files
                                                      then pass ruff, ruff format and mypy, and
                                                      modules under src/ are imported
    <!-- test: patch [backend=NAME] -->               a diff applied with `git apply`
    <!-- test: same-as-readme -->                     must appear verbatim in README.md (whose
                                                      commands tests/test_readme.py runs)
    <!-- test: show (REASON) -->                      not run, for the reason given

A block without a marker fails `test_every_block_is_marked`, so nothing shown can slip by.
One project per backend (default pickle) is generated for the whole module; pages only add
files of their own names, so they do not depend on each other's order.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from .helpers import TEMPLATE, Project, bash, generate, run

pytestmark = pytest.mark.xdist_group("docs")  # one worker: the projects are shared

DOCS = TEMPLATE / "docs"
MARKED = re.compile(
    r"^<!-- test: (?P<kind>[\w-]+)(?P<args>[^\n]*?) -->\n"
    r"```(?P<lang>\w+)[^\n]*\n(?P<body>.*?)^```$",
    re.M | re.S,
)
FENCE = re.compile(r"^```", re.M)
KINDS = {"shell", "python", "file", "patch", "same-as-readme", "show"}
RUNNABLE = KINDS - {"show", "same-as-readme"}


@dataclass
class Block:
    page: str
    kind: str
    body: str
    args: list[str] = field(default_factory=list)

    def option(self, name: str, default: str) -> str:
        for arg in self.args:
            if arg.startswith(f"{name}="):
                return arg.split("=", 1)[1]
        return default

    @property
    def backend(self) -> str:
        return self.option("backend", "pickle")


def nav_pages() -> list[str]:
    config = yaml.safe_load((TEMPLATE / "mkdocs.yml").read_text())
    return [next(iter(entry.values())) for entry in config["nav"]]


def blocks(page: str) -> list[Block]:
    text = (DOCS / page).read_text()
    return [
        Block(page, match["kind"], match["body"], match["args"].split())
        for match in MARKED.finditer(text)
    ]


def test_site_builds_strictly(tmp_path: Path) -> None:
    """Broken links, unknown anchors, pages missing from the nav: each is a warning, so fails."""
    config, site = TEMPLATE / "mkdocs.yml", tmp_path / "site"
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", config, "-d", site]
    result = run(command, tmp_path, NO_MKDOCS_2_WARNING="1")
    assert "WARNING" not in result.stderr, result.stderr
    assert (tmp_path / "site" / "img" / "lifecycle.svg").is_file()
    assert sorted(nav_pages()) == sorted(p.name for p in DOCS.glob("*.md"))


@pytest.mark.parametrize("page", nav_pages())
def test_every_block_is_marked(page: str) -> None:
    text = (DOCS / page).read_text()
    found = blocks(page)
    assert 2 * len(found) == len(FENCE.findall(text)), (
        f"{page}: a fenced block lacks its <!-- test: ... --> marker"
    )
    for block in found:
        assert block.kind in KINDS, f"{page}: unknown marker kind {block.kind!r}"
        if block.kind == "show":
            assert block.args, f"{page}: a `show` block must say why it is not run"
        if block.kind == "file":
            assert block.args and not block.args[0].startswith("/"), f"{page}: file needs a path"


@pytest.mark.parametrize("page", nav_pages())
def test_readme_blocks_are_the_readme_commands(page: str) -> None:
    readme = (TEMPLATE / "README.md").read_text()
    for block in blocks(page):
        if block.kind == "same-as-readme":
            assert f"```bash\n{block.body}```" in readme, f"{page}: block differs from README"


class Projects(dict[str, Project]):
    """Generated projects by backend, each made when a page first needs it."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        super().__init__()
        self.factory = factory

    def __missing__(self, backend: str) -> Project:
        path = self.factory.mktemp(f"docs-{backend}") / "bot"
        project = self[backend] = generate(path, persistence=backend)
        return project


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> Projects:
    return Projects(tmp_path_factory)


@pytest.mark.slow
@pytest.mark.parametrize(
    "page", [page for page in nav_pages() if any(b.kind in RUNNABLE for b in blocks(page))]
)
def test_page_runs(page: str, projects: Projects, tmp_path: Path) -> None:
    """Run the page's blocks in order, as a reader would, then check the code it added."""
    written: dict[str, list[str]] = {}
    for number, block in enumerate(blocks(page)):
        where = f"{page}, block {number + 1} ({block.kind})"
        if block.kind not in RUNNABLE:
            continue
        if block.kind == "shell" and block.option("cwd", "") == "empty":
            empty = tmp_path / f"empty-{number}"
            empty.mkdir()
            run_bash(block.body, empty, where, TEMPLATE=str(TEMPLATE))
            continue
        project = projects[block.backend]
        if block.kind == "shell":
            run_bash(block.body, project.path, where)
        elif block.kind == "python":
            script = tmp_path / f"block{number}.py"
            script.write_text(block.body)
            project.run("python", script)
        elif block.kind == "file":
            target = project.path / block.args[0]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.body)
            if target.suffix == ".py":
                written.setdefault(block.backend, []).append(block.args[0])
        elif block.kind == "patch":
            diff = tmp_path / f"block{number}.diff"
            # Editors strip the single space of blank context lines; git needs it back.
            diff.write_text(re.sub(r"^$", " ", block.body.rstrip("\n"), flags=re.M) + "\n")
            run(["git", "apply", "--verbose", diff], project.path)
    for backend, paths in written.items():
        project = projects[backend]
        project.run("ruff", "check", *paths)
        project.run("ruff", "format", "--check", *paths)
        project.run("mypy", *paths)
        modules = [
            ".".join(Path(path).with_suffix("").parts[1:])
            for path in paths
            if path.startswith("src/")
        ]
        if modules:
            project.run("python", "-c", "; ".join(f"import {m}" for m in modules))


def run_bash(script: str, cwd: Path, where: str, **env: str) -> None:
    result = bash(script, cwd, **env)
    assert result.returncode == 0, (
        f"{where} exited {result.returncode}\n--- script\n{script}"
        f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )
