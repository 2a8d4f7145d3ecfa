from __future__ import annotations

import pytest

from faq.normalize import Normalizer, fold, surface_words, transliterate


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ёлка", "елка"),
        ("ОТОПЛЕНИЕ", "отопление"),
    ],
)
def test_fold(text: str, expected: str) -> None:
    assert fold(text) == expected


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("kogda", "когда"),
        ("vklyuchat", "включат"),
        ("otoplenie", "отопление"),
        ("detskiy", "детский"),
        ("musor", "мусор"),
    ],
)
def test_transliterate(latin: str, cyrillic: str) -> None:
    assert transliterate(latin) == cyrillic


def test_surface_words_drop_emoji_and_punctuation() -> None:
    assert surface_words("Когда?! 🥶🥶 дадут... тепло") == ["когда", "дадут", "тепло"]


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        ("кагда включат атопление", {"отопление", "включить"}, set()),
        ("Здравствуйте! Подскажите пожалуйста про отопление", {"отопление"}, {"здравствуйте"}),
        ("kogda vklyuchat otoplenie", {"отопление", "включить"}, set()),
        ("батареи холодные", {"батарея", "отопление"}, set()),
        ("свет отключили", {"электричество"}, set()),
        ("очередь в садик", {"детский", "сад"}, {"в"}),
        ("где мусорка", {"контейнер"}, set()),
    ],
)
def test_lemmas(text: str, present: set[str], absent: set[str]) -> None:
    normalizer = Normalizer({"отопление", "включат", "когда", "очередь"})
    lemmas = set(normalizer.lemmas(text))
    assert present <= lemmas
    assert not (absent & lemmas)
