from __future__ import annotations

import pytest

from faq.normalize import Normalizer, fold, is_light, surface_words, transliterate


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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("пишите на press@zarechye-adm.example", ["пишите", "на", "заречеадм"]),
        (
            "через https://www.gosuslugi.ru/600101 или nalog.gov.ru",
            ["через", "госуслуги", "или", "налог"],
        ),
        ("ул.Мира, д.5", ["ул", "мира", "д", "5"]),
    ],
)
def test_links_stand_for_the_site_name(text: str, expected: list[str]) -> None:
    assert surface_words(text) == expected


@pytest.mark.parametrize(
    ("lemma", "light"),
    [("когда", True), ("надо", True), ("такой", True), ("сделать", True), ("паспорт", False)],
)
def test_light_words(lemma: str, light: bool) -> None:
    assert is_light(lemma) is light


def test_colloquial_words_expand_to_neutral_ones() -> None:
    lemmas = set(Normalizer().lemmas("к окулисту запись, паспорт посеяла"))
    assert {"врач", "потерять"} <= lemmas
