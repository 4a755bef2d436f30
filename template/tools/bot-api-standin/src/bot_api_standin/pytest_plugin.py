"""pytest fixtures for offline tests: the stand-in, the bot as a subprocess, the bot in-process.

Enable with `pytest_plugins = ["bot_api_standin.pytest_plugin"]` in tests/conftest.py, and
tell the fixtures which bot they test with a `bot_under_test` fixture there
(`BotUnderTest` is in `bot_api_standin.offline`):

    @pytest.fixture
    def bot_under_test(settings: Settings) -> BotUnderTest:
        return BotUnderTest("my_bot", lambda request: build_application(settings, request=request))
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from .botapi import FakeBotAPI
from .offline import AnyApplication, BotUnderTest, OfflineRequest
from .process import LOCAL, BotProcess
from .server import StandInServer


@pytest.fixture
def bot_under_test() -> BotUnderTest:
    """Placeholder: the project's tests/conftest.py defines the real one."""
    raise pytest.UsageError(
        "define a `bot_under_test` fixture in tests/conftest.py: "
        "see the docstring of bot_api_standin.pytest_plugin"
    )


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
def bot_process(
    bot_api: StandInServer, bot_under_test: BotUnderTest, tmp_path: Path
) -> Iterator[BotProcess]:
    """The real bot against `bot_api`, not started; data in tmp_path/"data" like `settings`.

    Set `.persistence_interval` or `.env` before `start()`. Left running, it gets SIGTERM.
    """
    process = BotProcess(
        bot_api, tmp_path / "data", module=bot_under_test.module, log_path=tmp_path / "bot.log"
    )
    yield process
    process.close()


@pytest.fixture
async def offline_app(
    bot_under_test: BotUnderTest,
) -> AsyncIterator[tuple[AnyApplication, FakeBotAPI]]:
    """The bot built in this test's event loop on an in-process stand-in, polling.

    Follows `delivery.run`'s order: initialize, post_init, start, polling; then the reverse.
    """
    api = FakeBotAPI(bot_under_test.token)
    application = bot_under_test.build(OfflineRequest(api))
    await application.initialize()
    if application.post_init:
        await application.post_init(application)
    await application.start()
    poller = bot_under_test.source(application)
    await poller.start()
    try:
        yield application, api
    finally:
        if poller.running:
            await poller.stop()
        if application.running:
            await application.stop()
        if application.post_stop:
            await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)
    assert not api.internal_errors, api.internal_errors
