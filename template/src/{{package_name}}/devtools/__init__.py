"""Development tools: an offline Telegram Bot API stand-in, its pytest fixtures, a local chat.

They live in the package (not beside the tests) so that `python -m <package> chat` works from an
installed project, but production code never imports them: only the `chat` subcommand loads
them, on demand. They need nothing beyond the standard library and python-telegram-bot.
"""
