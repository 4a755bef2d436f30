"""`copier update` for real: a git copy of this template tagged v1.0.0 and v2.0.0, a project
generated from v1 with the user's own changes, then updated to v2."""

from __future__ import annotations

import filecmp
import re
import shutil
from pathlib import Path

import copier
import pytest
import yaml
from copier.errors import UserMessageError

from .helpers import TEMPLATE, render, run

CONFLICT = re.compile(r"^<<<<<<< .*\n(.*\n)*?=======\n(.*\n)*?>>>>>>> ", re.M)
PERSISTENCE = ["pickle", "json", "custom", "sql"]
IGNORED = shutil.ignore_patterns(".git", ".venv", "*.pyc", "__pycache__", ".*_cache", "site")
USER_HANDLER = '''"""The user's own feature: a /ping command."""

from telegram import Update
from telegram.ext import ContextTypes


async def ping(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer pong."""
    if update.effective_message:
        await update.effective_message.reply_text("pong")
'''


def commit_all(repo: Path, message: str) -> None:
    run(["git", "add", "--all"], repo)
    run(["git", "commit", "--quiet", "--allow-empty", "-m", message], repo)


def make_v2(template: Path) -> None:
    """A realistic release: a new file, an edited file, and a renamed answer with a migration."""
    (template / "template" / "CONTRIBUTING.md").write_text(
        "# Contributing\n\nRun `uv run pytest`.\n"
    )
    readme = template / "template" / "README.md.jinja"
    readme.write_text(
        readme.read_text().replace(
            "## Set up\n", "## Set up\n\nInstall [uv](https://docs.astral.sh/uv/) first.\n"
        )
    )
    for path in [template / "copier.yml", *(template / "template").rglob("*.jinja")]:
        text = path.read_text()
        text = text.replace("{{ description }}", "{{ bot_description }}")
        path.write_text(text.replace("\ndescription:\n", "\nbot_description:\n"))
    config = template / "copier.yml"
    config.write_text(
        config.read_text()
        + "\n_migrations:\n"
        + "  - version: v2.0.0\n"
        + "    when: \"{{ _stage == 'before' }}\"\n"
        + '    command: ["{{ _copier_python }}",'
        + ' "{{ _copier_conf.src_path }}/migrations/rename_answer.py",'
        + " description, bot_description]\n"
    )


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("template") / "copier-ptb-bot"
    shutil.copytree(TEMPLATE, repo, ignore=IGNORED)
    run(["git", "init", "--quiet"], repo)
    commit_all(repo, "v1")
    run(["git", "tag", "v1.0.0"], repo)
    make_v2(repo)
    commit_all(repo, "v2")
    run(["git", "tag", "v2.0.0"], repo)
    return repo


def copy(template: Path, dst: Path, ref: str, **answers: str) -> Path:
    render(dst, src=template, ref=ref, **answers)
    run(["git", "init", "--quiet"], dst)
    commit_all(dst, "generated")
    return dst


def update(project: Path, ref: str = "v2.0.0", **answers: str) -> None:
    copier.run_update(
        project,
        data=answers,
        defaults=True,
        unsafe=True,
        vcs_ref=ref,
        quiet=True,
        overwrite=True,
        settings=copier.Settings(),
    )


def answers(project: Path) -> dict[str, str]:
    return dict(yaml.safe_load((project / ".copier-answers.yml").read_text()))


@pytest.mark.parametrize("persistence", PERSISTENCE)
def test_update_keeps_user_changes_and_brings_template_changes(
    template_repo: Path, tmp_path: Path, persistence: str
) -> None:
    project = copy(
        template_repo,
        tmp_path / "bot",
        "v1.0.0",
        persistence=persistence,
        description="Reminds me of things",
    )
    handler = project / "src" / "my_bot" / "ping.py"
    handler.write_text(USER_HANDLER)
    readme = project / "README.md"
    readme.write_text(
        readme.read_text().replace("## Test\n", "## Test\n\nOur team runs tests in CI.\n")
    )
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("line-length = 99", "line-length = 110"))
    commit_all(project, "my changes")

    update(project)

    assert handler.read_text() == USER_HANDLER
    assert "Our team runs tests in CI." in readme.read_text()
    assert "line-length = 110" in pyproject.read_text()
    assert "Install [uv](https://docs.astral.sh/uv/) first." in readme.read_text()
    assert (project / "CONTRIBUTING.md").is_file()
    recorded = answers(project)
    assert recorded["_commit"] == "v2.0.0"
    assert recorded["bot_description"] == "Reminds me of things"
    assert "description" not in recorded
    assert "Reminds me of things" in pyproject.read_text()
    assert not list(project.rglob("*.rej"))
    assert not CONFLICT.search(readme.read_text())


def test_update_without_user_changes_equals_a_fresh_copy(
    template_repo: Path, tmp_path: Path
) -> None:
    updated = copy(template_repo, tmp_path / "updated", "v1.0.0")
    update(updated)
    fresh = copy(template_repo, tmp_path / "fresh", "v2.0.0")
    differences = filecmp.dircmp(updated, fresh, ignore=[".git"])
    assert_same_tree(differences)
    assert answers(updated) == answers(fresh)


def assert_same_tree(cmp: filecmp.dircmp[str]) -> None:
    assert not cmp.left_only and not cmp.right_only, (cmp.left_only, cmp.right_only)
    assert not cmp.diff_files, cmp.diff_files
    for sub in cmp.subdirs.values():
        assert_same_tree(sub)


def test_true_conflict_leaves_markers_that_pre_commit_refuses(
    template_repo: Path, tmp_path: Path
) -> None:
    project = copy(template_repo, tmp_path / "bot", "v1.0.0")
    readme = project / "README.md"
    readme.write_text(readme.read_text().replace("## Set up\n", "## Set up\n\nWe use pip here.\n"))
    commit_all(project, "my set-up notes")
    update(project)
    text = readme.read_text()
    assert CONFLICT.search(text), text
    run(["git", "add", "--all"], project)
    result = run(["pre-commit", "run", "--all-files"], project, status=1)
    assert "refuse unresolved merge conflict markers" in result.stdout
    assert "README.md" in result.stdout


def test_dirty_tree_is_refused_and_left_alone(template_repo: Path, tmp_path: Path) -> None:
    project = copy(template_repo, tmp_path / "bot", "v1.0.0")
    (project / "notes.txt").write_text("uncommitted\n")
    with pytest.raises(UserMessageError, match="commit or stash your local changes"):
        update(project)
    assert answers(project)["_commit"] == "v1.0.0"
    assert (project / "notes.txt").read_text() == "uncommitted\n"


def test_downgrade_is_refused(template_repo: Path, tmp_path: Path) -> None:
    project = copy(template_repo, tmp_path / "bot", "v2.0.0")
    with pytest.raises(UserMessageError, match="Downgrades are not supported"):
        update(project, ref="v1.0.0")
    assert answers(project)["_commit"] == "v2.0.0"


def test_missing_answers_file_is_refused(template_repo: Path, tmp_path: Path) -> None:
    project = copy(template_repo, tmp_path / "bot", "v1.0.0")
    (project / ".copier-answers.yml").unlink()
    commit_all(project, "lost the answers")
    with pytest.raises(UserMessageError, match=r"\.copier-answers\.yml"):
        update(project)


@pytest.mark.parametrize(
    ("old", "new"), [(old, new) for old in PERSISTENCE for new in PERSISTENCE if old != new]
)
def test_switching_backend_rerenders_it(
    template_repo: Path, tmp_path: Path, old: str, new: str
) -> None:
    project = copy(template_repo, tmp_path / "bot", "v2.0.0", persistence=old)
    update(project, persistence=new)
    assert answers(project)["persistence"] == new
    fresh = copy(template_repo, tmp_path / "fresh", "v2.0.0", persistence=new)
    assert_same_tree(filecmp.dircmp(project / "src", fresh / "src", ignore=["__pycache__"]))


# --- the previous release, as users have it ---------------------------------------------------
# Projects generated before the stand-in moved out of the bot package (src/<pkg>/devtools/ ->
# tools/): the last landed template version without that move. It is read from this
# repository's own history, so a clone must be complete (not --depth).
PREVIOUS_RELEASE = "9a70bec758937a8ac283c6196945c354af6c2787"
USER_EXAMPLE = '"Favourite film"'
OFFLINE_TOKEN = "123456789:TEST-token-for-the-offline-stand-in"
WRITE_V1_DATA = """
import asyncio
from my_bot.persistence import build_persistence
from my_bot.settings import Settings

async def main() -> None:
    persistence = build_persistence(Settings.from_env())
    await persistence.get_user_data()
    await persistence.update_user_data(42, {"favourite film": "alien", "age": "23"})
    await persistence.update_conversation("profile", (42, 42), 1)
    await persistence.flush()

asyncio.run(main())
"""


@pytest.fixture(scope="module")
def release_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git copy of this template: the previous release as v1.0.0, this tree as v2.0.0."""
    repo = tmp_path_factory.mktemp("releases") / "copier-ptb-bot"
    repo.mkdir()
    archive = repo.parent / "previous.tar"
    found = run(
        ["git", "-C", TEMPLATE, "archive", "-o", archive, PREVIOUS_RELEASE], repo, status=None
    )
    assert found.returncode == 0, (
        f"commit {PREVIOUS_RELEASE} is not in this clone's history "
        f"({found.stderr.strip()}): clone the template without --depth"
    )
    run(["tar", "-xf", archive, "-C", repo], repo)
    run(["git", "init", "--quiet"], repo)
    commit_all(repo, "previous release")
    run(["git", "tag", "v1.0.0"], repo)
    for child in repo.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    shutil.copytree(TEMPLATE, repo, ignore=IGNORED, dirs_exist_ok=True)
    commit_all(repo, "this release")
    run(["git", "tag", "v2.0.0"], repo)
    return repo


def updated_release_project(release_repo: Path, dst: Path, persistence: str) -> Path:
    """A v1 project with a user change and data written by v1's own code, updated to v2."""
    project = copy(release_repo, dst, "v1.0.0", persistence=persistence)
    conversation = project / "src" / "my_bot" / "conversation.py"
    text = conversation.read_text()
    assert '"Most impressive skill"' in text
    conversation.write_text(text.replace('"Most impressive skill"', USER_EXAMPLE))
    commit_all(project, "my example category")
    run(["uv", "sync", "--quiet"], project)
    data = {"BOT_TOKEN": OFFLINE_TOKEN, "BOT_DATA_DIR": str(project / "data")}
    run(["uv", "run", "--no-sync", "python", "-c", WRITE_V1_DATA], project, **data)
    commit_all(project, "lock file")
    update(project)
    run(["uv", "sync", "--quiet"], project)
    return project


def test_previous_release_updates_to_the_new_layout(release_repo: Path, tmp_path: Path) -> None:
    project = updated_release_project(release_repo, tmp_path / "bot", "json")
    assert not (project / "src" / "my_bot" / "devtools").exists()
    assert (project / "tools").is_dir()
    assert USER_EXAMPLE in (project / "src" / "my_bot" / "conversation.py").read_text()
    assert not list(project.rglob("*.rej"))
    changed = run(["git", "diff", "--name-only"], project).stdout.split()
    for name in changed:
        if (project / name).is_file():
            assert not CONFLICT.search((project / name).read_text()), name
    assert answers(project)["_commit"] == "v2.0.0"
    result = run(["uv", "run", "--no-sync", "pytest", "-q", "-p", "no:cacheprovider"], project)
    assert " passed" in result.stdout and " failed" not in result.stdout, result.stdout


@pytest.mark.parametrize("persistence", PERSISTENCE)
def test_previous_release_data_loads_after_update(
    release_repo: Path, tmp_path: Path, persistence: str
) -> None:
    project = updated_release_project(release_repo, tmp_path / "bot", persistence)
    exported = tmp_path / "export"
    data = {"BOT_TOKEN": OFFLINE_TOKEN, "BOT_DATA_DIR": str(project / "data")}
    run(["uv", "run", "--no-sync", "python", "-m", "my_bot", "export", exported], project, **data)
    text = exported.read_bytes()
    assert b"alien" in text and b"favourite film" in text and b"profile" in text
