"""Neutralising resident text, checked against Telegram's own entity rules: `mentions` and
`bot_commands` below port tdlib's `match_mentions` and `match_bot_commands`
(td/telegram/MessageEntity.cpp) line for line, over code points instead of UTF-8 bytes."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from bot.core.sanitize import (
    BIDI_CONTROLS,
    WORD_JOINER,
    ZERO_WIDTH,
    clean_name,
    inert,
    name_html,
    quote_html,
)


def is_word_character(char: str) -> bool:
    return unicodedata.category(char)[0] in "LN" or char == "_"


def is_alpha_digit_or_underscore(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char == "_")


def mentions(text: str) -> list[str]:
    found = []
    for at, char in enumerate(text):
        if char != "@" or (at > 0 and is_word_character(text[at - 1])):
            continue
        end = at + 1
        while end < len(text) and is_alpha_digit_or_underscore(text[end]):
            end += 1
        if not 2 <= end - at - 1 <= 32:
            continue
        if end < len(text) and is_word_character(text[end]):
            continue
        found.append(text[at:end])
    return found


def bot_commands(text: str) -> list[str]:
    found = []
    for at, char in enumerate(text):
        if char != "/":
            continue
        if at > 0 and (is_word_character(text[at - 1]) or text[at - 1] in "/<>"):
            continue
        end = at + 1
        while end < len(text) and is_alpha_digit_or_underscore(text[end]):
            end += 1
        if not 1 <= end - at - 1 <= 64:
            continue
        if end < len(text) and text[end] == "@":
            mention_end = end + 1
            while mention_end < len(text) and is_alpha_digit_or_underscore(text[mention_end]):
                mention_end += 1
            if not 3 <= mention_end - end - 1 <= 32:
                continue
            end = mention_end
        if end < len(text) and (is_word_character(text[end]) or text[end] in "/<>"):
            continue
        found.append(text[at:end])
    return found


LIVE = [
    ("@all срочно", ["@all"], []),
    ("позовите @ivanova_duty, пусть закроет", ["@ivanova_duty"], []),
    ("/close", [], ["/close"]),
    ("просто нажмите /close 2026-0001", [], ["/close"]),
    ("(/ban@vmeste_bot)", [], ["/ban@vmeste_bot"]),
    ("«@admin»\n/forget telegram:1", ["@admin"], ["/forget"]),
    ("\u200b@zero и \u200b/zero", ["@zero"], ["/zero"]),
    ("@\u202ealice", [], []),
]


def test_the_port_finds_what_telegram_finds() -> None:
    for text, expected_mentions, expected_commands in LIVE:
        assert mentions(text) == expected_mentions, text
        assert bot_commands(text) == expected_commands, text
    assert mentions("ivan@mail.ru") == [] and bot_commands("https://x.ru/a/b") == []


def test_inert_leaves_no_mention_and_no_command() -> None:
    for text, _, _ in LIVE:
        neutral = inert(text)
        assert mentions(neutral) == [] and bot_commands(neutral) == [], text
        assert neutral.replace(WORD_JOINER, "") == text.translate({ord(c): None for c in "\u202e"})
    assert inert("/close") == "/\u2060close"
    assert inert("@all") == "@\u2060all"
    # The bidi trick is gone, and a sign that hid behind it is disarmed as well.
    assert inert("@\u202ealice") == "@\u2060alice"


def test_links_addresses_and_plain_signs_stay_as_written() -> None:
    for text in (
        "https://example.com/path/to?x=1",
        "пишите на ivan@mail.ru",
        "дом 5/2, кв. 7",
        "1/2 ставки",
        "@ и / отдельно",
        "<b>/тег</b> @Вася",
    ):
        assert inert(text) == text


@given(st.text(alphabet=st.sampled_from("@/<>_ aZ9ж\u200b\u202e\n.:-")))
def test_no_generated_text_keeps_a_live_entity(text: str) -> None:
    neutral = inert(text)
    assert mentions(neutral) == [] and bot_commands(neutral) == []
    assert not set(neutral) & set(BIDI_CONTROLS)


@given(st.text())
def test_any_unicode_text_is_disarmed(text: str) -> None:
    neutral = inert(text)
    assert mentions(neutral) == [] and bot_commands(neutral) == []


def test_names_and_titles_lose_bidi_and_zero_width_characters() -> None:
    spoof = "\u202eанна\u202c Пе\u200bтрова\u2066\u2069\u200e\u200f\u061c\ufeff\u2060\u200c\u200d"
    assert clean_name(spoof) == "анна Петрова"
    for char in BIDI_CONTROLS + ZERO_WIDTH:
        assert clean_name(f"А{char}Б") == "АБ"
    assert clean_name("\u200b\u202e") == ""
    assert name_html("<@admin> & /close") == "&lt;@\u2060admin&gt; &amp; /\u2060close"
    assert quote_html("<i>@all</i>") == "&lt;i&gt;@\u2060all&lt;/i&gt;"


def test_word_characters_are_telegrams() -> None:
    """The module's `\\w` is tdlib's is_word_character for every code point."""
    differ = [
        code
        for code in range(0x110000)
        if not 0xD800 <= code < 0xE000
        and bool(re.match(r"\w", chr(code))) != is_word_character(chr(code))
    ]
    assert differ == []
