"""The real bot, `python -m <module>`, run as a subprocess against a stand-in.

Tests and the local chat use it to see what users would see: a process that starts, polls,
saves on SIGTERM, loses only unsaved data on SIGKILL, and comes back with its data.

The bot is only named (`module`), never imported. It is given the settings the template's bots
read (BOT_TOKEN, BOT_API_BASE_URL, BOT_DATA_DIR, ... and WEBHOOK_* for webhook mode). Like
Telegram, the stand-in follows the bot's choice of mode: a bot that polls is served
getUpdates; one that calls setWebhook gets each update POSTed to its local port.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from .server import StandInServer
from .webhook import WebhookRelay

WEBHOOK_PATH = "telegram"
WEBHOOK_PUBLIC_URL = f"https://bot.example.test/{WEBHOOK_PATH}"
WEBHOOK_SECRET = "offline-webhook-secret-for-tests"  # noqa: S105 - not a secret
# What a webhook bot needs besides its local port; a polling bot ignores these.
WEBHOOK_ENV = {"WEBHOOK_URL": WEBHOOK_PUBLIC_URL, "WEBHOOK_SECRET": WEBHOOK_SECRET}
# Variables the bot reads that must come from here, never from the caller's shell or .env.
OWN_VARIABLES = ("BOT_TOKEN", "BOT_API_BASE_URL", "BOT_DATA_DIR", "BOT_PERSISTENCE_INTERVAL")
LOCAL = "127.0.0.1,localhost"


class BotProcess:
    """Start, stop, kill and restart the bot; its output goes to `log_path` (see `.log`)."""

    def __init__(
        self,
        server: StandInServer,
        data_dir: Path,
        *,
        module: str,
        persistence_interval: float | None = 1.0,
        env: Mapping[str, str] | None = None,
        log_path: Path | None = None,
        cwd: Path | None = None,
        log_level: str = "DEBUG",
        isolated: bool = True,
    ) -> None:
        self.server = server
        self.module = module
        self.data_dir = data_dir.absolute()
        self.persistence_interval = persistence_interval
        self.env = dict(env or {})
        self.log_path = (log_path or self.data_dir.parent / "bot.log").absolute()
        self.cwd = cwd or self.data_dir.parent
        self.log_level = log_level
        self.isolated = isolated
        self.starts = 0
        self.webhook_port = _free_port()  # used if the bot chooses webhook mode
        self._relay: WebhookRelay | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def log(self) -> str:
        """Everything the bot printed (stdout and stderr) over all its runs."""
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def environment(self) -> dict[str, str]:
        """The caller's environment, our settings, then `env`.

        Isolated (for tests), the caller's own bot settings are dropped first, so a developer's
        shell cannot point a test at a real database. The interval, if None, is left alone.
        """
        dropped = (*OWN_VARIABLES, "DATABASE_URL", "LOG_LEVEL") if self.isolated else ()
        base = {k: v for k, v in os.environ.items() if k not in dropped}
        no_proxy = ",".join(filter(None, (os.environ.get("NO_PROXY"), LOCAL)))
        ours = {
            "NO_PROXY": no_proxy,
            "no_proxy": no_proxy,
            "PYTHONUNBUFFERED": "1",
            "BOT_TOKEN": self.server.api.token,
            "BOT_API_BASE_URL": self.server.base_url,
            "BOT_DATA_DIR": str(self.data_dir),
            "LOG_LEVEL": self.log_level,
        }
        if self.persistence_interval is not None:
            ours["BOT_PERSISTENCE_INTERVAL"] = str(self.persistence_interval)
        ours |= {
            **WEBHOOK_ENV,
            "WEBHOOK_LISTEN": "127.0.0.1",
            "WEBHOOK_PORT": str(self.webhook_port),
            "WEBHOOK_PATH": "",
        }
        return {**base, **ours, **self.env}

    def start(self, timeout: float = 30.0, *, until: str | None = None) -> None:
        """Start the bot; return once it polls for updates or serves its webhook (started),
        or, with `until`, once this run logged that text (e.g. "standby:")."""
        if self.running:
            raise RuntimeError("the bot is already running")
        api = self.server.api
        mark = len(api.calls)
        self.starts += 1
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        logged = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            log.write(f"--- start {self.starts} of python -m {self.module} ---\n".encode())
            log.flush()
            self._process = subprocess.Popen(
                [sys.executable, "-m", self.module],
                cwd=self.cwd,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        process = self._process
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._started(mark) if until is None else until in self.log_since(logged):
                return
            if process.poll() is not None:
                raise RuntimeError(
                    f"the bot exited with status {process.returncode} before polling:\n"
                    + self._tail()
                )
            api.wait_until(lambda: None, 0.05)
        self.kill()
        raise RuntimeError(f"the bot did not poll within {timeout}s:\n{self._tail()}")

    def _started(self, mark: int) -> bool:
        """Polling: at the first getUpdates. Webhook: once the bot's server accepts
        connections, which PTB starts only after setWebhook succeeded (a SIGTERM before that
        would abort the set-up)."""
        methods = {call.method for call in self.server.api.calls[mark:]}
        if "getUpdates" in methods:
            return True
        if "setWebhook" not in methods:
            return False
        if self._relay is None:  # Telegram's part from now on; it outlives restarts
            url = f"http://127.0.0.1:{self.webhook_port}/{WEBHOOK_PATH}"
            self._relay = WebhookRelay(self.server.api, url).start()
        try:
            socket.create_connection(("127.0.0.1", self.webhook_port), timeout=1).close()
        except OSError:
            return False
        return True

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM, as a service manager stops the bot; returns its exit status."""
        return self._stop(signal.SIGTERM, timeout)

    def kill(self) -> int:
        """SIGKILL, as a crash or power cut would: no final save."""
        return self._stop(signal.SIGKILL, 30.0)

    def restart(self, timeout: float = 30.0) -> int:
        """SIGTERM, then start again; returns the exit status of the stopped run."""
        status = self.terminate(timeout)
        self.start(timeout)
        return status

    def command(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """Run `python -m <module> ARGS` once in the bot's environment, e.g. "health"."""
        return subprocess.run(
            [sys.executable, "-m", self.module, *args],
            cwd=self.cwd,
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def _stop(self, signum: signal.Signals, timeout: float) -> int:
        process = self._process
        if process is None:
            raise RuntimeError("the bot was never started")
        if process.poll() is None:
            process.send_signal(signum)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                raise RuntimeError(
                    f"the bot ignored {signum.name} for {timeout}s and was killed:\n"
                    + self._tail()
                ) from None
        return process.returncode

    def close(self) -> None:
        """Stop the bot if it still runs (SIGTERM, SIGKILL if it hangs), and the relay."""
        if self.running:
            with contextlib.suppress(RuntimeError):
                self.terminate(10.0)
        if self._relay is not None:
            self._relay.stop()
            self._relay = None

    def log_since(self, offset: int) -> str:
        """What the bot printed after `offset` bytes of the log."""
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode("utf-8", errors="replace")

    def _tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
