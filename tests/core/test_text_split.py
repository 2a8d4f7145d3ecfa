from __future__ import annotations

import pytest

from bot.core.text_split import split_text


def words(text: str) -> list[str]:
    return text.split()


@pytest.mark.parametrize(
    ("text", "limit", "expected_parts"),
    [
        ("короткий текст", 100, 1),
        ("", 10, 1),
        ("а" * 4096, 4096, 1),
        ("а" * 4097, 4096, 2),
        ("слово " * 1000, 4096, 2),
        ("абзац.\n\n" * 1000, 1024, 8),
    ],
)
def test_parts_fit_and_lose_nothing(text: str, limit: int, expected_parts: int) -> None:
    parts = split_text(text, limit)
    assert len(parts) == expected_parts
    assert all(len(part) <= limit for part in parts)
    if any(char.isspace() for char in text):
        assert words(" ".join(parts)) == words(text)
    else:
        assert "".join(parts) == text


def test_breaks_at_paragraphs_before_words() -> None:
    text = "Первый абзац про отопление." + "\n\n" + "Второй абзац " * 10
    parts = split_text(text, 50)
    assert parts[0] == "Первый абзац про отопление."


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        split_text("текст", 0)
