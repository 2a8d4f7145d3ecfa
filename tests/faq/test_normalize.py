from __future__ import annotations

import pytest

from faq.normalize import (
    MAX_TEXT_CHARS,
    MAX_UNKNOWN_WORDS,
    MAX_WORD_CHARS,
    Normalizer,
    Speller,
    clip,
    fold,
    is_light,
    surface_words,
    transliterate,
)


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


@pytest.mark.parametrize("letter", ["а", "z"])
def test_an_endless_word_is_cut_to_the_word_limit(letter: str) -> None:
    tokens = Normalizer({"отопление"}).tokens("отопление " + letter * 4096)
    assert tokens[0].lemma == "отопление"
    assert len(tokens) == 2
    assert len(tokens[1].surface) <= MAX_WORD_CHARS


def test_a_long_message_is_matched_on_its_beginning_without_a_cut_word() -> None:
    text = "отопление " * 500
    clipped = clip(text)
    assert len(clipped) <= MAX_TEXT_CHARS
    assert clipped.split() == ["отопление"] * len(clipped.split())
    assert clip("когда включат отопление") == "когда включат отопление"


def test_unknown_words_past_the_limit_are_not_read() -> None:
    base = "отопление"
    misspelt = [base[:i] + "ъ" + base[i + 1 :] for i in range(1, len(base))]
    words = [f"{word}{suffix}" for suffix in ("", "ы", "ь", "я", "ю", "э") for word in misspelt]
    assert len(words) > MAX_UNKNOWN_WORDS
    text = " ".join(["когда", *words, "включат"])
    tokens = Normalizer({base, *(f"{base}{s}" for s in "ыьяюэ")}).tokens(text)
    assert [t.surface for t in tokens[:2]] == ["когда", base]
    assert len(tokens) == MAX_UNKNOWN_WORDS + 2
    assert tokens[-1].lemma == "включить"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("кoгда включат oтопление", ["когда", "включат", "отопление"]),  # Latin «o»
        ("ПOЖAР", ["пожар"]),
        ("ото\u00adпле\u200bние", ["отопление"]),
        ("otoplenie", ["отопление"]),
    ],
)
def test_look_alike_letters_and_invisible_characters_are_repaired(
    text: str, expected: list[str]
) -> None:
    assert surface_words(text) == expected


def test_the_speller_only_compares_lengths_that_can_reach_the_cutoff() -> None:
    speller = Speller(["отопление", "от", "отоплениями"])
    assert speller.closest("атопление", 80) == "отопление"
    assert speller.closest("отопл", 80) is None
    assert Speller(["отопление"], reach=0).closest("отоплени", 75) is None
