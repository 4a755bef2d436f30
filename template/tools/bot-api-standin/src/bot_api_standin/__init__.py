"""An offline Telegram Bot API for developing and testing a python-telegram-bot bot.

A development tool, installed beside the bot (never as its dependency): the bot never imports
it. `python -m <bot> chat` loads `chat` on demand; tests use `pytest_plugin`'s fixtures. It
needs nothing beyond the standard library, python-telegram-bot and, for the fixtures, pytest.
"""
