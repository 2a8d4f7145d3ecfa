from __future__ import annotations

import pytest

from faq.normalize import Normalizer
from faq.signals import StaffSignal, staff_signal

_NORMALIZER = Normalizer()


def _signal(text: str) -> StaffSignal:
    return staff_signal(_NORMALIZER.tokens(text), text)


@pytest.mark.parametrize(
    "text",
    [
        "ребенку 2.5 года, когда будет распределение мест в садах?",
        "нам по 28 лет, есть программа, чтоб помогли с жильем?",
        "держим 2 коровы, положена ли помощь хозяйствам?",
        "сколько см должен быть лед, чтобы выйти на реку?",
        "Здравствуйте!!! По каким дням забирают мусор?",
    ],
)
def test_ages_counts_abbreviations_and_wishes_are_no_case(text: str) -> None:
    signal = _signal(text)
    assert not signal.escalate and not signal.doubt, signal


@pytest.mark.parametrize(
    "text",
    [
        "в мфц отказались принимать документы, как быть в моем случае?",
        "почему нам отказали в компенсации?",
        "меня не приняли на приеме, хотя я записывалась",
    ],
)
def test_a_refusal_told_by_the_writer_is_their_own_case(text: str) -> None:
    signal = _signal(text)
    assert signal.escalate or signal.doubt, signal
    assert "refusal" in signal.reason


def test_a_refusal_to_others_is_no_case() -> None:
    assert "refusal" not in _signal("тепло до сих пор никому не дали, когда включат?").reason


@pytest.mark.parametrize(
    "text",
    ["в Березовке упало дерево на провода, искрит!", "ГЛАВУ В ОТСТАВКУ!!!"],
)
def test_a_report_without_a_question_is_not_for_the_faq(text: str) -> None:
    signal = _signal(text)
    assert signal.escalate or signal.doubt, signal
    assert "report" in signal.reason


def test_a_present_tense_statement_may_be_a_question() -> None:
    assert not _signal("в субботу врач на дом приходит или только скорая").doubt


def test_years_with_already_are_a_duration() -> None:
    assert "ongoing incident" in _signal("уже 3 года стоим в очереди на жилье").reason


@pytest.mark.parametrize(
    "text",
    [
        "фонарь у дома 5 на Лесной не горит месяц, сколько можно, почините",
        "у подъезда на Лесной 3 вторую неделю яма, засыпьте",
    ],
)
def test_a_demand_about_a_concrete_place_goes_to_staff(text: str) -> None:
    signal = _signal(text)
    assert signal.escalate, signal
    assert not signal.asks


def test_a_second_person_verb_addressed_to_vy_is_a_question() -> None:
    signal = _signal("вы почините фонарь на нашей улице?")
    assert "demand" not in signal.reason
    assert not signal.escalate


def test_can_after_how_long_is_no_procedure_question() -> None:
    assert not _signal("сколько можно ждать").asks
    assert _signal("можно ли записаться к главе").asks


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("Садовая 12, третий подъезд, с 7 утра нет воды, когда дадут?", "concrete place"),
        ("на Луговой 5 опять темно, когда починят?", "concrete place"),
        ("электричка в 8:20 сегодня отменена, почему никто не предупредил?", "concrete moment"),
        ("подавала заявление 14 марта, когда будет ответ?", "concrete moment"),
        ("вчера у школы на Садовой 3 сбили знак, кто поставит новый?", "concrete moment"),
        (
            "хочу пожаловаться на фельдшера Кузнецову, грубит пациентам",
            "named person or organisation",
        ),
        ("директор школы Иван Петрович не отвечает на звонки", "named person or organisation"),
        ("ТСЖ у нас нет, а УК «Комфорт» не убирает подъезд", "named person or organisation"),
        ("обещали заменить трубу ещё летом. где бригада?", "where is it"),
        ("пусть приедут и посмотрят на эту дорогу", "demand"),
        ("месяц жду ответа, когда наконец ответите?", "reproach"),
    ],
)
def test_incidents_named_people_and_demands_are_signs_of_a_staff_case(text: str, sign: str) -> None:
    signal = _signal(text)
    assert sign in signal.reason, signal
    assert signal.escalate or signal.doubt, signal


@pytest.mark.parametrize(
    "text",
    [
        "во сколько можно сдать документы в мфц",
        "кто-нибудь знает, когда дадут горячую воду?",
        "где нибудь есть список улиц на ремонт?",
        "где получить справку о составе семьи?",
        "как проехать на Гагарина к поликлинике?",
        "с какого числа запись в первый класс?",
        "что такое опросы «Решаем вместе»?",
    ],
)
def test_procedure_questions_with_such_words_are_no_staff_case(text: str) -> None:
    signal = _signal(text)
    assert not signal.escalate and not signal.doubt, signal
