"""pytest fixtures for offline tests: the stand-in, the bot as a subprocess, the bot in-process.

Enable with `pytest_plugins = ["<package>.devtools.pytest_plugin"]` in tests/conftest.py.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from telegram import Update

from ..app import BotApplication, build_application
from ..settings import Settings
from .botapi import FakeBotAPI
from .offline import OfflineRequest
from .process import LOCAL, BotProcess
from .server import StandInServer


@pytest.fixture
def bot_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[StandInServer]:
    """A running stand-in; the test fails if the stand-in itself broke on a request."""
    no_proxy = ",".join(filter(None, (os.environ.get("NO_PROXY"), LOCAL)))
    monkeypatch.setenv("NO_PROXY", no_proxy)  # a CI proxy must not catch 127.0.0.1
    monkeypatch.setenv("no_proxy", no_proxy)
    with StandInServer() as server:
        yield server
    assert not server.api.internal_errors, server.api.internal_errors


@pytest.fixture
def bot_process(bot_api: StandInServer, tmp_path: Path) -> Iterator[BotProcess]:
    """The real bot against `bot_api`, not started; data in tmp_path/"data" like `settings`.

    Set `.persistence_interval` or `.env` before `start()`. Left running, it gets SIGTERM.
    """
    process = BotProcess(bot_api, tmp_path / "data", log_path=tmp_path / "bot.log")
    yield process
    process.close()


@pytest.fixture
async def offline_app(settings: Settings) -> AsyncIterator[tuple[BotApplication, FakeBotAPI]]:
    """The bot built in this test's event loop on an in-process stand-in, polling.

    Follows run_polling's order: initialize, post_init, polling, start; then the reverse.
    """
    api = FakeBotAPI(settings.bot_token)
    application = build_application(settings, request=OfflineRequest(api))
    await application.initialize()
    if application.post_init:
        await application.post_init(application)
    assert application.updater is not None
    await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
    await application.start()
    try:
        yield application, api
    finally:
        if application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        if application.post_stop:
            await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)
    assert not api.internal_errors, api.internal_errors
