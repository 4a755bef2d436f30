"""Logging set-up that keeps the bot's secrets out of every log line and error line.

httpx logs each request URL at INFO, and python-telegram-bot's URLs contain the token, so httpx
is lowered to WARNING and, as a second guard, every record passes through a redacting filter.
The secrets are `Settings.secrets()`: the token, DATABASE_URL's password, the webhook secret.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import unquote, unquote_plus

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "[redacted]"


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with each secret replaced by `[redacted]`, longest first (so none leaks a part)."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def url_passwords(url: str) -> tuple[str, ...]:
    """The password of a database URL (user-info or `password=`), as written and decoded."""
    found = re.findall(r"://[^:/@]*:([^@]*)@", url)  # user:password@, as SQLAlchemy reads it
    found += re.findall(r"://[^:/@]*:(.*)@", url)  # a password holding a bare "@"
    found += re.findall(r"[?&]password=([^&#]*)", url, flags=re.IGNORECASE)
    spellings = {form for raw in found for form in (raw, unquote(raw), unquote_plus(raw))}
    return tuple(sorted((s for s in spellings if s), key=len, reverse=True))


class RedactingFilter(logging.Filter):
    """Replace each secret with `[redacted]` in the final message of a record."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = [secret for secret in secrets if secret]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message, self._secrets)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._secrets)
        return True


def configure_logging(level: str, secrets: Iterable[str] = ()) -> None:
    """Log to stderr at `level`, with secrets redacted from every handler's output."""
    logging.basicConfig(format=FORMAT, level=level, force=True)
    redactor = RedactingFilter(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)
    # apscheduler logs every job added and run at INFO: 200,000 lines to restore 100,000 saved
    # reminders; jobs.py logs what matters (restored, late, not saved).
    for noisy in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    # PTB logs an answer that is not JSON (a proxy's error page) with a traceback and the whole
    # page; the error it raises next is logged in one line where it is caught (startup, poller).
    logging.getLogger("telegram.request.BaseRequest").setLevel(logging.CRITICAL)
