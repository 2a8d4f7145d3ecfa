"""File names residents' clients chose, made safe to send on: a name goes into an upload's
multipart header, where control characters are refused (and could inject headers), and into
staff chats, where bidi controls disguise an extension."""

from __future__ import annotations

import unicodedata

MAX_FILE_NAME = 128


def portable_file_name(name: object) -> str | None:
    """The name without control and format characters, cut to a length every platform takes;
    None when nothing is left."""
    if not isinstance(name, str):
        return None
    # Controls (line breaks among them) part words; invisible format characters go.
    kept = "".join(
        " " if category == "Cc" else ch
        for ch in name
        if (category := unicodedata.category(ch)) not in ("Cf", "Cs")
    )
    kept = " ".join(kept.split())[:MAX_FILE_NAME].strip()
    return kept or None
