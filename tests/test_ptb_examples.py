"""python-telegram-bot 22.8's own example bots run, unmodified, against the generated stand-in.

The examples come from PTB's sdist on PyPI (not copied here). A generated project provides the
stand-in and PTB; `ptb_examples/scenarios.py` drives each example as users would, in that
project's environment, each example a subprocess started through the stand-in's `run_script`
shim, which changes only the token and base URLs. The method table in docs/testing.md is
checked against the stand-in too (UPDATE_METHOD_TABLE=1 rewrites it).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tarfile
from pathlib import Path

import pytest

from .helpers import TEMPLATE, Project, generate, run

pytestmark = pytest.mark.xdist_group("ptb_examples")

PTB = "python-telegram-bot==22.8"
HERE = Path(__file__).parent / "ptb_examples"
EXAMPLES = {  # every example a user can drive without third-party services
    "echobot", "timerbot", "conversationbot", "conversationbot2", "persistentconversationbot",
    "nestedconversationbot", "inlinekeyboard", "inlinekeyboard2", "inlinebot", "pollbot",
    "chatmemberbot", "contexttypesbot", "deeplinking", "errorhandlerbot",
    "arbitrarycallbackdatabot", "paymentbot", "rawapibot",
    "customwebhookbot/starlettebot",  # the webhook example that needs no framework setup
}  # fmt: skip
TABLE = re.compile(r"(<!-- method-table:start -->\n)(.*?)(<!-- method-table:end -->)", re.S)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A generated project, plus what two examples need: PTB's callback-data extra, and
    Starlette and uvicorn for the custom webhook example."""
    project = generate(tmp_path_factory.mktemp("examples") / "bot", persistence="json")
    python = project.path / ".venv" / "bin" / "python"
    extras = ["python-telegram-bot[callback-data]==22.8", "starlette", "uvicorn"]
    run(["uv", "pip", "install", "--quiet", "--python", python, *extras], project.path)
    return project


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`examples/` of PTB 22.8's sdist, downloaded from the package index."""
    where = tmp_path_factory.mktemp("sdist")
    pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-binary", ":all:"]
    run([*pip, "--no-deps", PTB, "-d", where], where)
    (sdist,) = where.glob("python_telegram_bot-22.8.tar.gz")
    with tarfile.open(sdist) as archive:
        members = [m for m in archive.getmembers() if "/examples/" in m.name]
        archive.extractall(where, members=members, filter="data")
    return where / "python_telegram_bot-22.8" / "examples"


def test_every_drivable_example_is_driven(examples: Path) -> None:
    scenarios = (HERE / "scenarios.py").read_text()
    driven = set(re.findall(r'example\("([\w/]+)"', scenarios))
    assert driven == EXAMPLES
    assert {
        str(p.relative_to(examples).with_suffix("")) for p in examples.rglob("*.py")
    } >= EXAMPLES


def test_examples_run_unmodified(project: Project, examples: Path, tmp_path: Path) -> None:
    shutil.copy(HERE / "scenarios.py", tmp_path / "test_scenarios.py")
    ini = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
    (tmp_path / "pytest.ini").write_text(ini)
    result = project.run(
        "python", "-m", "pytest", "-c", tmp_path / "pytest.ini", "--rootdir", tmp_path,
        "-p", "no:cacheprovider", "-q", "-rA", tmp_path / "test_scenarios.py",
        PTB_EXAMPLES=str(examples),
        STANDIN="bot_api_standin",
    )  # fmt: skip
    summary = result.stdout.strip().splitlines()[-1]
    passed = rf"=* ?{len(EXAMPLES)} passed(, \d+ warnings?)? in .*"
    assert re.fullmatch(passed, summary), result.stdout[-3000:]


def test_method_table_in_docs_matches_the_stand_in(project: Project) -> None:
    table = project.run(
        "python", HERE / "method_table.py", "bot_api_standin"
    ).stdout  # fmt: skip
    page = TEMPLATE / "docs" / "testing.md"
    text = page.read_text()
    match = TABLE.search(text)
    assert match is not None, "docs/testing.md lost its method-table markers"
    if os.environ.get("UPDATE_METHOD_TABLE") == "1":
        page.write_text(TABLE.sub(lambda m: m[1] + table + m[3], text))
    else:
        assert match[2] == table, "stale; rerun with UPDATE_METHOD_TABLE=1 to rewrite it"
    assert "| `sendMessage` | yes |" in table and "| `sendPoll` | yes |" in table
