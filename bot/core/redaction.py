"""Secrets out of logs and out of the database.

Tokens travel in places nobody chose to log: aiohttp puts the request URL (Telegram's
`/file/bot<TOKEN>/…`) into its exceptions, and exceptions end up in log lines and in stored
error texts. One redactor masks every configured secret, also URL-encoded, and credentials
recognisable by their shape whether configured or not; the log filter and the database apply
the same one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "***"
# Shorter values would mask ordinary words and numbers everywhere; no token is that short.
MIN_SECRET_LENGTH = 6
# A Telegram bot token, `<bot id>:<35 characters>`, and an OAuth-style `access_token=`
# query or form parameter (VK's), whoever's they are.
_TELEGRAM_TOKEN = r"\d{5,}:[A-Za-z0-9_-]{30,}"
_ACCESS_TOKEN = r"(?P<name>(?i:access_token)(?:=|%3D))[^&\s\"'<>]+"


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        variants = {
            variant
            for secret in secrets
            if len(secret) >= MIN_SECRET_LENGTH
            for variant in (secret, quote(secret), quote(secret, safe=""), quote_plus(secret))
        }
        # Longest first, so a secret containing another is masked whole.
        literals = [re.escape(v) for v in sorted(variants, key=len, reverse=True)]
        self._pattern = re.compile("|".join([_ACCESS_TOKEN, *literals, _TELEGRAM_TOKEN]))

    def __call__(self, text: str) -> str:
        if self._pattern.search(text) is None:
            return text
        return self._pattern.sub(_mask, text)


def _mask(match: re.Match[str]) -> str:
    name = match.group("name")
    return name + MASK if name else MASK


class RedactingFilter(logging.Filter):
    """Masks secrets in a record's message, traceback and stack before any handler formats
    it. Installed on handlers, since a logger's own filters skip records of its children."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True  # a broken format string is logging's own error to report
        record.msg, record.args = self._redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redact(record.stack_info)
        return True


def redact_logs(redact: Redactor, logger: logging.Logger | None = None) -> None:
    """Install the filter on every handler of `logger` (the root logger by default)."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter(redact))
