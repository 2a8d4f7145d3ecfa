"""Linguistic signals that a message is for staff rather than for the FAQ.

The FAQ explains general procedures. A message goes to staff when it reports a concrete
incident and demands action, or asks about the writer's own case that only staff can check.
The signals here are grammatical and structural, not lists of phrases:

- a demand: an imperative addressed to the administration (verbs of asking for information,
  «подскажите», «дайте номер», do not count), or «требую», «сколько можно»;
- a concrete place: a street or house with a number;
- an ongoing incident: a duration such as «третий день», «вторую неделю», «с сентября»;
- a personal case: the writer's own application, appeal or payment with a number or a
  past-tense story of what happened to it («подала документы… проверьте»);
- a procedure question: «куда», «как», «где», «к кому», «что делать», «можно ли» — its
  presence turns a would-be escalation into a suggestion, because the writer asks how.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from faq.normalize import Token, fold

# Imperatives that ask for information or help, not for action on a problem.
_INFO_VERBS = frozenset(
    [
        "подсказать",
        "сказать",
        "рассказать",
        "объяснить",
        "пояснить",
        "помочь",
        "дать",
        "скинуть",
        "написать",
        "уточнить",
        "посоветовать",
        "сообщить",
        "показать",
        "прислать",
        "подсказывать",
        "извинить",
        "простить",
        "напомнить",
        "разъяснить",
        "ответить",
    ]
)
_PROCEDURE_WORDS = frozenset(["куда", "как", "где", "кто", "откуда", "можно", "нужно", "надо"])
# Words that mark a sentence as the question of a longer message.
QUESTION_WORDS = _PROCEDURE_WORDS | frozenset(
    ["когда", "сколько", "почему", "зачем", "какой", "чей", "ли", "подсказать", "делать"]
)
_CASE_NOUNS = frozenset(
    ["номер", "очередь", "заявление", "обращение", "статус", "компенсация", "выплата"]
)
_SPEAKER = frozenset(["я", "мы", "мне", "нам", "меня", "нас", "мой", "наш"])
_MONTHS = (
    "январ|феврал|март|апрел|ма[яй]|июн|июл|август|сентябр|октябр|ноябр|декабр|"
    "лета|осени|зимы|весны|утра|вечера|ночи|прошлого|позапрошлого"
)
_ORDINAL = (
    r"втор\w*|трет\w*|четверт\w*|пят\w*|шест\w*|седьм\w*|десят\w*|"
    r"\d+|два|две|три|четыре|пять|шесть|семь|восемь|девять|десять|несколько|много"
)
_UNITS = r"(?:день|дня|дней|сутки|суток|недел\w*|месяц\w*|час\w*|год\w*|лет)"
_DURATION = re.compile(
    rf"\b(?:уже\s+)?(?:{_ORDINAL})\s+{_UNITS}\b|\bс\s+(?:{_MONTHS})\w*\b|"
    rf"\b(?:уже|целую|целый|всю|весь)\s+{_UNITS}\b|\b{_UNITS}\s+назад\b|\bс\s+\d{{4}}\b"
)
_STREET = re.compile(
    r"\b(?:ул|улиц\w*|пер|переул\w*|просп\w*|пр-т|дом\w*|д|кв|квартир\w*)\.?\s*"
    r"(?:[а-я]+\s+){0,2}\d+|"
    r"\b(?:на|по|у|возле|около)\s+(?:ул\.?\s+)?[А-ЯЁ][а-яё]+\s+\d+"
)
_CASE_NUMBER = re.compile(r"(?:№|номер\w*|заявлени\w*|обращени\w*)\s*[:№]?\s*\d[\d\-/]{2,}")
_EMPHASIS = re.compile(r"!{2,}|\?{2,}!|!\?{1,}")
_REPROACH = re.compile(r"\bсколько\s+можно\b|\bэто\s+(?:нормально|как|законно)\b|\bпозор")
_DEMAND_FIRST_PERSON = frozenset(["требовать", "настаивать"])


@dataclass(frozen=True, slots=True)
class StaffSignal:
    escalate: bool = False
    doubt: bool = False
    reason: str = ""
    strength: int = 0
    asks: bool = False


def _is_demand(token: Token) -> bool:
    if "impr" in token.tag and "VERB" in token.tag:
        return token.lemma not in _INFO_VERBS
    return token.lemma in _DEMAND_FIRST_PERSON and "1per" in token.tag


def _asks_procedure(tokens: list[Token]) -> bool:
    lemmas = {t.lemma for t in tokens}
    return bool(lemmas & _PROCEDURE_WORDS) or "делать" in lemmas


def _personal_past(tokens: list[Token]) -> bool:
    """A first-person story: «подала», «мы сдали», «нам отказали», «мне пришёл»."""
    speaker = bool({t.lemma for t in tokens} & _SPEAKER)
    past = sum(1 for t in tokens if "VERB" in t.tag and "past" in t.tag)
    return speaker and past >= 1


def staff_signal(tokens: list[Token], text: str) -> StaffSignal:
    lowered = fold(text)
    demand = any(_is_demand(t) for t in tokens)
    place = bool(_STREET.search(text.replace("ё", "е")))
    ongoing = bool(_DURATION.search(lowered))
    case_number = bool(_CASE_NUMBER.search(lowered))
    reproach = bool(_REPROACH.search(lowered)) or bool(_EMPHASIS.search(text))
    asks = _asks_procedure(tokens)
    personal = _personal_past(tokens)
    lemmas = {t.lemma for t in tokens}
    own_case = bool(lemmas & _SPEAKER) and bool(lemmas & _CASE_NOUNS) and ongoing

    found = [
        name
        for name, present in (
            ("demand", demand),
            ("concrete place", place),
            ("ongoing incident", ongoing),
            ("own case number", case_number),
            ("reproach", reproach),
            ("personal story", personal),
            ("own case", own_case),
        )
        if present
    ]
    strength = (
        2 * demand
        + 2 * case_number
        + 2 * own_case
        + place
        + ongoing
        + reproach
        + (personal and not asks)
    )
    if asks:
        strength -= 2
    if strength >= 2:
        return StaffSignal(True, False, "staff: " + ", ".join(found), strength, asks)
    if strength >= 1 or (found and not asks):
        return StaffSignal(False, True, "doubt: " + ", ".join(found), strength, asks)
    return StaffSignal(strength=strength, asks=asks)
