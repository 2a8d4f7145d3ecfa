"""Resident text and names on their way into staff chats: nothing a resident writes may become
a live mention, a tappable command or a visual spoof.

Telegram finds mentions and bot commands in every message text by itself (tdlib's
`match_mentions` and `match_bot_commands`, which the Bot API server runs): an `@` not preceded
by a letter, digit or `_`, or a `/` not preceded by those nor by `/`, `<`, `>`, followed by
`[A-Za-z0-9_]`. A WORD JOINER (U+2060) right after the sign breaks both: it is none of those
characters, Telegram keeps it (its input cleaning drops only U+2028–U+202E and a few combining
marks) and it shows nothing. Links, e-mail addresses and paths keep working, as their `@` and
`/` follow a letter or another `/`. In VK the same joiner keeps `@all` from being a mention.

Bidi controls reorder what staff see; zero-width characters make two names look alike. Both
go from names and topic titles, and bidi controls from texts too (zero-width joiners stay in
texts: emoji sequences are built with them).
"""

from __future__ import annotations

import html
import re

WORD_JOINER = "\u2060"
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"

_NO_BIDI = str.maketrans("", "", BIDI_CONTROLS)
_NO_INVISIBLE = str.maketrans("", "", BIDI_CONTROLS + ZERO_WIDTH)
# Python's \w (letters, digits, `_`) is tdlib's is_word_character.
_LIVE_SIGN = re.compile(r"(?:(?<!\w)@|(?<![\w/<>])/)(?=[A-Za-z0-9_])")


def clean_name(name: str) -> str:
    """A name or topic title without bidi controls and zero-width characters."""
    return name.translate(_NO_INVISIBLE).strip()


def inert(text: str) -> str:
    """Plain resident text whose mentions and commands are no longer live, without bidi
    controls."""
    return _LIVE_SIGN.sub(lambda sign: sign.group() + WORD_JOINER, text.translate(_NO_BIDI))


def plain_name(name: str) -> str:
    """A resident's name in plain staff-chat text (a caption, a VK conversation)."""
    return inert(clean_name(name))


def quote_html(text: str) -> str:
    """Resident text for a staff-chat HTML message."""
    return html.escape(inert(text))


def name_html(name: str) -> str:
    """A resident's name for a staff-chat HTML message ("" when nothing visible is left)."""
    return html.escape(plain_name(name))
