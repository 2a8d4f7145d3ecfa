"""Emergency detection: live dangers are caught in any wording; ordinary questions on the same
subjects (bills, safety rules, outages, past events, hypothetical «если») are not."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.emergency import detect_emergency
from bot.core.safety_texts import emergency_reply

URGENT = [
    ("Пахнет газом в подъезде, что делать?", "gas"),
    ("помогите сильный запах газа на третьем этаже", "gas"),
    ("ВОНЯЕТ ГАЗОМ У НАС В КВАРТИРЕ", "gas"),
    ("пахнит газом в падъезде", "gas"),
    ("Утечка газа во дворе, шипит труба!", "gas"),
    ("pahnet gazom v kvartire", "gas"),
    ("Какой номер аварийки, у соседей за стенкой газом несёт, пахнет сильно газ", "gas"),
    ("Пожар в соседнем доме!!!", "fire"),
    ("у нас горит подвал", "fire"),
    ("пажар в подъезде срочно", "fire"),
    ("из окна квартиры на пятом этаже валит черный дым", "fire"),
    ("Горит мусорный контейнер во дворе, огонь перекидывается на машины", "fire"),
    ("Сильное задымление на лестнице, дышать нечем", "fire"),
    ("ГОРИМ!!!", "fire"),
    ("в квартире пахнет горелой проводкой и дымится розетка", "fire"),
    ("Человек тонет в реке у моста", "drowning"),
    ("ребенок провалился под лед на пруду", "drowning"),
    ("На улице Мира оборвался провод и искрит", "power_line"),
    ("Во дворе лежит оборванный провод", "power_line"),
    ("Столб упал, провода висят над тротуаром", "power_line"),
    ("В подъезде бьет током от перил", "power_line"),
    ("Мужчина лежит без сознания на остановке", "injury"),
    ("сбили ребенка на пешеходном переходе, помогите!", "injury"),
    ("Бабушка упала во дворе и не дышит", "injury"),
    ("Человеку плохо в автобусе срочно нужна помощь", "injury"),
    ("Во дворе драка, у одного нож", "violence"),
    ("Сосед угрожает убить, ломится в дверь", "violence"),
    ("Муж бьет меня помогите", "violence"),
    ("Ребенок висит на балконе седьмого этажа", "child"),
    ("Маленький ребенок заперт один в машине на жаре", "child"),
    ("Соседка пишет что хочет покончить с собой", "suicide"),
    ("Парень стоит на краю крыши и хочет прыгнуть", "suicide"),
    ("В нашем доме обрушился потолок на лестничной клетке", "collapse"),
    ("Рухнул балкон, под завалом люди", "collapse"),
    ("Прорвало трубу, квартиру заливает кипятком", "flood"),
    ("Из подвала бьёт кипяток, пар на весь подъезд", "flood"),
    ("взорвался газовый баллон в гараже", "explosion"),
    ("POZHAR v podyezde", "fire"),
    ("ПОЖАР", "fire"),
    ("пoжар в пoдъезде, дым", "fire"),
    ("На пруду под лед провалился рыбак", "drowning"),
    ("подросток написал что не хочет больше жить", "suicide"),
    ("сосед сказал что выпрыгнет из окна", "suicide"),
    ("у мужа сердечный приступ, не можем дождаться скорую, помогите", "injury"),
    ("в соседней квартире кричат, кого-то избивают", "violence"),
    ("провод оборвался и лежит на тротуаре, люди ходят", "power_line"),
    ("Соседский парень порезал руку, кровь хлещет, мы во дворе", "injury"),
]

ORDINARY = [
    "Как оплатить газ через Госуслуги?",
    "Почему в квитанции за газ такой большой счет?",
    "Когда будет газификация нашей улицы?",
    "Сколько стоит подключение газа к частному дому?",
    "Когда поверка газового счетчика?",
    "ТО газового оборудования обязательно каждый год?",
    "Куда звонить если пахнет газом?",
    "Что делать при запахе газа в подъезде?",
    "Куда сообщить об утечке газа?",
    "Правила пожарной безопасности в многоквартирном доме",
    "Какой штраф за сжигание травы на участке?",
    "Когда вводится противопожарный режим?",
    "Нужен ли огнетушитель в машине?",
    "Куда звонить при пожаре?",
    "Вчера был пожар в доме 5, когда восстановят электричество?",
    "Соседи погорельцы, как им помочь с жильем после пожара?",
    "В прошлом году утонул человек на карьере, поставят ли знаки?",
    "У нас нет света с утра, когда дадут?",
    "Течет крыша, вода бежит по стене в подъезде",
    "Горит фонарь весь день на улице Ленина",
    "В подъезде целыми сутками горит свет",
    "Почему на нашей улице не горят фонари?",
    "Когда дадут горячую воду?",
    "Горячая вода из крана еле теплая",
    "Двор тонет в грязи, когда сделают асфальт",
    "Можно ли жечь костер на своем участке?",
    "Как часто проверяют дымоходы в частных домах?",
    "Бродячие собаки нападают на детей, когда их отловят?",
    "Управляющая компания угрожает отключить свет за долги",
    "Дом аварийный, угроза обрушения, когда расселят?",
    "Горящие путевки в лагерь для детей есть?",
    "Что делать, если ребенок один дома?",
    "Сгорела лампочка в подъезде, замените пожалуйста",
    "Из трубы котельной идет черный дым, это нормально?",
    "Провод интернета висит низко над дорогой",
    "Когда будет отключение горячей воды на опрессовку?",
    "Соседи курят на балконе, дым идет к нам",
    "Отопление горячее, батареи горят, можно убавить?",
    "Провода висят над дорогой уже год, когда уберут",
    "Как помочь тонущему - памятка",
    "В школе ребёнка бьют одноклассники, куда жаловаться",
    "Когда на площади зажгут огни ёлки",
    "Скачки напряжения, сгорел холодильник, кто возместит?",
    "Дети тонут в сугробах, когда почистят снег",
    "На прошлой неделе обрушился балкон, когда проверят остальные?",
    "Что делать если ребенок провалился под лед",
    "Мне приснился пожар",
]


@pytest.mark.parametrize(("text", "kind"), URGENT)
def test_live_dangers_are_caught(text: str, kind: str) -> None:
    signal = detect_emergency(text)
    assert signal is not None, text
    assert signal.kind == kind
    assert signal.evidence


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_questions_are_not_alarmed(text: str) -> None:
    assert detect_emergency(text) is None


def test_both_sides_are_broad_and_balanced() -> None:
    assert len(URGENT) >= 25
    assert len(ORDINARY) >= 25
    assert abs(len(URGENT) - len(ORDINARY)) <= 3


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "!!!",
        "112",
        "газ",
        "Здравствуйте! Подскажите часы работы МФЦ",
    ],
)
def test_empty_and_neutral_messages(text: str) -> None:
    assert detect_emergency(text) is None


def test_own_situation_inside_if_is_still_an_emergency() -> None:
    assert detect_emergency("Что делать если у нас в подъезде пахнет газом") is not None
    assert detect_emergency("Что делать если в подъезде пахнет газом") is None


def test_urgency_revives_an_old_or_hypothetical_wording() -> None:
    assert detect_emergency("вчера был пожар, а сейчас опять дым идёт из подвала") is not None
    assert detect_emergency("сгорел сарай, огонь прямо сейчас переходит на дом") is not None


def test_negated_danger_is_not_an_emergency() -> None:
    assert detect_emergency("В подъезде больше не пахнет газом, спасибо") is None
    assert detect_emergency("Пожара нет, просто соседи жарят шашлык") is None


ODD_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(),
        st.sampled_from("\u200b\u200d\u2060\ufeff\u202e\u200f\u0000\u0007\x1b"),
        st.sampled_from("🔥💨🚒👩‍🚒🆘"),
        st.sampled_from("газпожаргоритпровод !?,.\n"),
        st.sampled_from("שלוםمرحبا"),
    ),
    max_size=300,
)


@settings(max_examples=300, deadline=None)
@given(ODD_TEXT)
def test_never_raises_on_arbitrary_text(text: str) -> None:
    signal = detect_emergency(text)
    assert signal is None or signal.kind


@settings(max_examples=20, deadline=None)
@given(st.text(min_size=1, max_size=20), st.integers(min_value=1000, max_value=20000))
def test_never_raises_on_huge_text(chunk: str, repeat: int) -> None:
    detect_emergency(chunk * repeat)


def test_reply_names_112_and_the_district_number() -> None:
    with_edds = emergency_reply("+7 (800) 555-01-12")
    assert "112" in with_edds
    assert "+7 (800) 555-01-12" in with_edds
    without = emergency_reply(None)
    assert "112" in without
    assert "ЕДДС" not in without
    assert emergency_reply("   ") == without


def test_danger_after_many_unknown_words_is_still_found() -> None:
    noise = " ".join(f"бзык{letter}ыщ" for letter in "абвгдежзиклмнопрстуфхцчшщ")
    signal = detect_emergency(f"{noise}. В подъезде сильно пахнет газом!")
    assert signal is not None and signal.kind == "gas"
