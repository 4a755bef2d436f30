"""Every combination of answers that changes which code exists renders, installs and passes
the generated project's own tests, linters, type checks and pre-commit hooks unchanged."""

from __future__ import annotations

import ast
import re
import shutil
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from .helpers import Project, generate, run
from .test_deployment import dockerfile_instructions

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
# A Jinja expression on one of our answers, or a statement tag; Python's own "{{" in f-strings
# and regular expressions is not one.
UNRENDERED_JINJA = re.compile(r"\{\{-?\s*[a-z_][\w.]*\s*(\|[^}]*)?-?\}\}|\{%-?\s")

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
    result = run(["uv", "run", "--no-sync", *cmd], project.path, status=None, timeout=600)
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
            leftover = UNRENDERED_JINJA.search(path.read_text())
            assert leftover is None, f"unrendered Jinja {leftover[0]!r} in {path}"


def test_plain_pip_install_gives_the_console_script(project: Project, tmp_path: Path) -> None:
    """`pip install .` (no uv, not editable) installs the bot, its backend's dependencies and
    its `<name>` command."""
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv], tmp_path)
    run([venv / "bin" / "pip", "install", "-q", str(project.path)], tmp_path)
    script = venv / "bin" / project.package.replace("_", "-")
    result = run([script, "health"], tmp_path, status=2, env={"PATH": "/usr/bin:/bin"})
    assert result.stderr.startswith("error: BOT_TOKEN is not set")
    assert result.stderr.count("\n") == 1
    # No development tools in this install: `chat` says in one line how to get them.
    chat = run([script, "chat"], tmp_path, status=2, env={"PATH": "/usr/bin:/bin"})
    assert chat.stderr == (
        "error: the chat needs the development tools: run `uv sync`, "
        "or `pip install -e tools/bot-api-standin` in a clone of this project\n"
    )


# --------------------------------------------------------------------------- the bot alone
# The Bot API stand-in (tools/bot-api-standin) is a development tool: the bot never imports
# it, and neither its wheel nor its container image holds it.

STANDIN = "bot_api_standin"
IMPORTS_PYTEST = re.compile(rb"^\s*(import|from)\s+_?pytest\b", re.M)


def test_the_wheel_holds_only_the_bot(project: Project, tmp_path: Path) -> None:
    run(["uv", "build", "--wheel", "--quiet", "--out-dir", tmp_path], project.path)
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        sources = {name: archive.read(name) for name in names if name.endswith(".py")}
    package = project.package
    assert f"{package}/__main__.py" in names
    tops = {name.split("/")[0] for name in names}
    assert {top for top in tops if not top.endswith(".dist-info")} == {package}, tops
    assert not [name for name in names if STANDIN in name or "devtools" in name]
    assert not [name for name, text in sources.items() if IMPORTS_PYTEST.search(text)]


def test_the_bot_package_imports_nothing_from_the_standin(project: Project) -> None:
    """Only `chat` names the stand-in, as a string it looks up at run time."""
    found: dict[str, list[str]] = {}
    for path in (project.path / "src" / project.package).rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            for module in modules:
                if module.split(".")[0] in (STANDIN, "pytest", "_pytest"):
                    found.setdefault(path.name, []).append(module)
        if STANDIN in path.read_text():
            found.setdefault(path.name, [])
    assert found == {"__main__.py": []}, found


def dockerignore_context(project: Path) -> list[str]:
    """The files `docker build .` sends from the repository, by .dockerignore's rules: a line
    matches a path or one of its parent directories, `!` re-includes, the last match wins."""
    rules = []
    for line in (project / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            negated, pattern = line.startswith("!"), line.lstrip("!").strip("/")
            regex = re.escape(pattern).replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
            rules.append((negated, re.compile(regex.replace(r"\?", "[^/]") + "$")))
    listed = run(["git", "ls-files", "--cached", "--others"], project).stdout.split()
    context = []
    for name in listed:
        parts = name.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        excluded = False
        for negated, regex in rules:
            if any(regex.match(prefix) for prefix in prefixes):
                excluded = not negated
        if not excluded:
            context.append(name)
    return context


def test_docker_context_and_image_hold_no_standin(project: Project, tmp_path: Path) -> None:
    """No Docker engine here: the build stage's COPY and `uv sync` steps run in a directory
    holding the build context, and the virtual environment (all the final stage copies) is
    checked: the bot without the stand-in or pytest, and `chat` says how to get them."""
    if not project.answers.get("docker", True):
        assert not (project.path / "Dockerfile").exists()
        return
    context = dockerignore_context(project.path)
    assert "uv.lock" in context and f"src/{project.package}/__main__.py" in context
    tools = [name for name in context if name.startswith("tools/")]
    assert tools == ["tools/bot-api-standin/pyproject.toml"], tools  # metadata for --locked
    for name in context:
        assert not IMPORTS_PYTEST.search((project.path / name).read_bytes()), name
    build, venv = tmp_path / "src", tmp_path / "venv"
    build.mkdir()
    instructions = dockerfile_instructions(project.path / "Dockerfile")
    final = max(i for i, (op, _) in enumerate(instructions) if op == "FROM")
    copied = [args for op, args in instructions[final:] if op == "COPY"]
    assert copied == ["--from=build /app/.venv /app/.venv"], "the image gets the venv only"
    synced = 0
    for op, arguments in instructions[:final]:
        words = arguments.split()
        if op == "COPY" and not words[0].startswith("--from="):
            *sources, target = words
            for source in sources:  # a file goes into a target/ directory; a directory's
                for name in context:  # content goes into the target
                    if name == source:
                        dest = (
                            build / target / Path(name).name
                            if target.endswith("/")
                            else build / target
                        )
                    elif name.startswith(source + "/"):
                        dest = build / target / Path(name).relative_to(source)
                    else:
                        continue
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(project.path / name, dest)
        elif op == "RUN" and "uv sync" in arguments:
            command = [word for word in words if not word.startswith("--mount=")]
            run(command, build, UV_PROJECT_ENVIRONMENT=str(venv))
            synced += 1
    assert synced == 2, "the dependencies layer, then the bot"
    site = next(venv.glob("lib/python3*/site-packages"))
    installed = {path.name.split("-")[0].lower() for path in site.iterdir()}
    assert project.package in installed
    assert not installed & {STANDIN, "pytest", "_pytest", "pytest_asyncio"}, installed
    result = run([venv / "bin" / "python", "-m", project.package, "chat"], tmp_path, status=2)
    assert result.stderr.count("\n") == 1 and "uv sync" in result.stderr, result.stderr
