"""Texts from the platforms made safe to keep and to split at platform limits."""

from __future__ import annotations

import re

# C0 controls other than tab and line breaks, and lone surrogates: messengers can deliver
# them, PostgreSQL cannot store NUL, and UTF-8 cannot encode a surrogate.
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def storable(text: str) -> str:
    """`text` without the characters no database or messenger should be given."""
    return _UNSTORABLE.sub("", text)


def split_text(text: str, limit: int) -> list[str]:
    """Parts of at most `limit` characters, broken at paragraph, line, sentence or word ends
    where possible; joined they give back the whole text (modulo the whitespace at breaks)."""
    if limit < 1:
        raise ValueError("limit must be positive")
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = _best_break(window)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not parts:
        parts.append(rest)
    return parts


def _best_break(window: str) -> int:
    floor = len(window) // 2
    for separator in ("\n\n", "\n", ". ", "! ", "? ", "; ", ", ", " "):
        position = window.rfind(separator, floor)
        if position != -1:
            return position + len(separator)
    return len(window)
