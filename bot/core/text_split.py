"""Splitting long texts at platform limits without cutting or refusing them."""

from __future__ import annotations


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
