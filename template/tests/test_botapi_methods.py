"""The stand-in against python-telegram-bot's own description of the Bot API: every method it
serves checks the parameters PTB's `Bot` requires."""

from __future__ import annotations

import inspect
import re

from bot_api_standin.botapi import FakeBotAPI
from telegram import Bot

# Telegram takes an empty url as "remove the webhook": not a missing parameter.
MAY_BE_EMPTY = {"setWebhook": {"url"}}


def test_required_parameters_follow_ptbs_signatures() -> None:
    """Every served method refuses a call without the parameters PTB's Bot requires for it."""
    api = FakeBotAPI()
    checked = 0
    for name in dir(Bot):
        if not name[0].islower() or name == name.lower() or not api.implements(name):
            continue
        signature = inspect.signature(getattr(Bot, re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()))
        required = {
            parameter.name
            for parameter in list(signature.parameters.values())[1:]  # after self
            if parameter.default is inspect.Parameter.empty
            and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
        } - MAY_BE_EMPTY.get(name, set())
        if required:
            status, answer = api.call(api.token, name, {})
            assert status == 400, f"{name} without {sorted(required)}: {answer}"
            checked += 1
    assert checked > 30  # most served methods have required parameters
