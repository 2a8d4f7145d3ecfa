"""Linguistic signals that a message is for staff rather than for the FAQ.

The FAQ explains general procedures. A message goes to staff when it reports a concrete
incident and demands action, or asks about the writer's own case that only staff can check.
The signals here are grammatical and structural, not lists of phrases:

- a demand: an imperative addressed to the administration (verbs of asking for information,
  «подскажите», «дайте номер», do not count), or «требую», «сколько можно»;
- a demand: also «пусть приедут» (a third-person demand) and «где машина?» (asking for an
  account of something promised);
- a concrete place: a street or house with a number («ул. Мира 5», «Пролетарская 3»);
- a concrete moment: a clock time, a day of a month, «с 6 утра», or «сегодня»/«вчера»
  with something that happened;
- a named person or organisation: a surname or patronymic that is not an address, an
  organisation named in quotes («УК «Комфорт»»): complaints about people go to staff;
- an ongoing incident: a duration such as «третий день», «вторую неделю», «с сентября»
  (a number of years alone is an age: «ребёнку 7 лет»);
- a personal case: the writer's own application, appeal or payment with a number or a
  past-tense story of what happened to it («подала документы… проверьте»), a refusal told
  in the first person («нам отказали», «меня не приняли»), or «в моём случае»;
- a report: a message that asks nothing but tells what happened or exclaims («упало
  дерево на провода, искрит!»); «!!!» alone only strengthens the other signs;
- a procedure question: «куда», «как», «где», «к кому», «что делать», «можно ли» — its
  presence turns a would-be escalation into a suggestion, because the writer asks how,
  unless two other signs are present, which keeps the FAQ from answering on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from faq.normalize import Token, fold, part_of_speech

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
_INDEFINITE = frozenset(["нибудь", "то", "либо"])
_SPEAKER = frozenset(["я", "мы", "мне", "нам", "меня", "нас", "мой", "наш"])
_MONTHS = (
    "январ|феврал|март|апрел|ма[яй]|июн|июл|август|сентябр|октябр|ноябр|декабр|"
    "лета|осени|зимы|весны|утра|вечера|ночи|прошлого|позапрошлого"
)
_ORDINALS = r"втор\w*|трет\w*|четверт\w*|пят[аыоу]\w*|шест[аыоу]\w*|седьм\w*|десят[аыоу]\w*"
_COUNTS = r"\d+|два|две|три|четыре|пять|шесть|семь|восемь|девять|десять|несколько|много"
_UNITS = r"(?:день|дня|дней|сутки|суток|недел\w*|месяц\w*|час\w*|год\w*|лет)"
_SHORT_UNITS = r"(?:день|дня|дней|сутки|суток|недел\w*|месяц\w*|час\w*)"
# A number of years is usually an age («ребёнку 7 лет», «нам по 28 лет»), not how long
# something has lasted: years count as a duration only as an ordinal («третий год») or with
# «уже» or «назад».
_DURATION = re.compile(
    rf"\b(?:уже\s+)?(?:{_ORDINALS}|{_COUNTS})\s+{_SHORT_UNITS}\b|"
    rf"\b(?:уже\s+)?(?:{_ORDINALS})\s+{_UNITS}\b|\bуже\s+(?:{_COUNTS})\s+{_UNITS}\b|"
    rf"\bс\s+(?:{_MONTHS})\w*\b|"
    rf"\b(?:уже|целую|целый|всю|весь)\s+{_UNITS}\b|\b{_UNITS}\s+назад\b|\bс\s+\d{{4}}\b"
)
_STREET = re.compile(
    r"\b(?:ул|улиц\w*|пер|переул\w*|просп\w*|пр-т|дом\w*|д|кв|квартир\w*)(?![а-яё])\.?\s*"
    r"(?:[а-я]+\s+){0,2}\d+|"
    r"\b(?:на|по|у|возле|около)\s+(?:ул\.?\s+)?[А-ЯЁ][а-яё]+\s+\d+"
)
# A street named by an adjective and a house number, without «ул.»: «Пролетарская 3»,
# «на Зелёной 8».
_STREET_ADJECTIVE = re.compile(r"\b([а-я]{3,}(?:ая|ой))\s+\d{1,3}[а-я]?\b")
_MONTH_NAMES = "январ|феврал|март|апрел|ма[яй]|июн|июл|август|сентябр|октябр|ноябр|декабр"
# A concrete moment: a clock time, a day of a month, «с 6 утра», «в 12 дня».
_MOMENT = re.compile(
    rf"\b\d{{1,2}}:\d{{2}}\b|\b\d{{1,2}}\s+(?:числ\w*|(?:{_MONTH_NAMES})\w*)\b|"
    r"\b[вс]\s+\d{1,2}\s+(?:утра|вечера|дня|ночи)\b"
)
_RECENT = frozenset(["сегодня", "вчера", "позавчера"])
# «Где машина?», «где оно?»: asking where a thing is that should have come is a reproach,
# not a question of where to go.
_WHERE_IS = re.compile(r"\bгде\s+([а-я]+)\s*\?")
# An organisation named in quotes after what it is: «УК «Жилсервис»», «МУП «Тепловые сети»».
_NAMED_ORGANISATION = re.compile(
    r"(?i:\b(?:ук|муп|ооо|оао|зао|ао|ип|регоператор\w*|компани\w*|подрядчик\w*|фирм\w*|"
    r"магазин\w*|организаци\w*))\s+«[А-ЯЁA-Z]"
)
# Words before a surname that make it an address («на Гагарина», «ул. Ленина»).
_ADDRESS_WORDS = frozenset(["на", "по", "у", "ул", "улица", "пер", "переулок", "проспект"])
_CASE_NUMBER = re.compile(r"(?:№|номер\w*|заявлени\w*|обращени\w*)\s*[:№]?\s*\d[\d\-/]{2,}")
_EMPHASIS = re.compile(r"!{2,}|\?{2,}!|!\?{1,}")
_REPROACH = re.compile(
    r"(?<!во\s)\bсколько\s+можно\b|\bэто\s+(?:нормально|как|законно)\b|\bпозор|\bни\s+разу\b|"
    r"\bнаконец\b|\bчто\s+за\s+(?:ерунда|безобразие|бардак)"
)
_DEMAND_FIRST_PERSON = frozenset(["требовать", "настаивать"])
# Verbs of refusing, and verbs of granting that say the same when negated («не приняли»):
# told in the past about the writer, they make the message a dispute over one case.
_REFUSE_VERBS = frozenset(["отказать", "отказаться", "отклонить"])
_GRANT_VERBS = frozenset(
    ["принять", "дать", "выдать", "одобрить", "назначить", "засчитать", "зарегистрировать"]
)
# A past-tense verb after these states a purpose, not an event.
_PURPOSE = frozenset(["чтобы", "чтоб"])
# «в моём случае», «в нашей ситуации»: the writer wants a verdict on their own situation.
_CASE_WORDS = frozenset(["случай", "ситуация"])
_OWN = frozenset(["мой", "наш"])


@dataclass(frozen=True, slots=True)
class StaffSignal:
    escalate: bool = False
    doubt: bool = False
    reason: str = ""
    strength: int = 0
    asks: bool = False


def _is_demand(token: Token, addressed: bool) -> bool:
    """An imperative, or a second-person plural verb without «вы»: «почините» reads as the
    future («вы почините») to the analyser, but with no «вы» a resident is demanding."""
    # Abbreviations such as «см» parse as imperatives but ask nothing of anyone.
    second_plural = "2per" in token.tag and "plur" in token.tag and not addressed
    if token.surface in _INDEFINITE:
        return False  # «кто-нибудь» reads as an imperative of «нибыть»
    if "VERB" in token.tag and "Abbr" not in token.tag and ("impr" in token.tag or second_plural):
        return token.lemma not in _INFO_VERBS
    return token.lemma in _DEMAND_FIRST_PERSON and "1per" in token.tag


def _asks_procedure(tokens: list[Token]) -> bool:
    # «сколько можно» is a reproach, not «можно ли»; «кто-нибудь», «где-то» ask nothing.
    lemmas = {
        token.lemma
        for before, token, after in zip([None, *tokens], tokens, [*tokens[1:], None], strict=False)
        if not (token.lemma == "можно" and before is not None and before.lemma == "сколько")
        and not (after is not None and after.surface in _INDEFINITE)
    }
    return bool(lemmas & _PROCEDURE_WORDS) or "делать" in lemmas


def _told(tokens: list[Token]) -> list[Token]:
    """Verbs that tell what happened. The first past form after «чтобы» and one next to
    «бы» state a wish or a condition («есть программа, чтоб помогли с жильём?»)."""
    told: list[Token] = []
    purpose = False
    for index, token in enumerate(tokens):
        if token.lemma in _PURPOSE:
            purpose = True
            continue
        if "VERB" not in token.tag or "past" not in token.tag:
            continue
        if purpose or "бы" in {t.lemma for t in tokens[max(0, index - 1) : index + 2]}:
            purpose = False
            continue
        told.append(token)
    return told


def _personal_past(tokens: list[Token]) -> bool:
    """A first-person story: «подала», «мы сдали», «нам отказали», «мне пришёл»."""
    speaker = bool({t.lemma for t in tokens} & _SPEAKER)
    return speaker and bool(_told(tokens))


def _refused(tokens: list[Token]) -> bool:
    """Something was refused in the past tense: «отказали», «отклонили», «не приняли»."""
    told = {id(t) for t in _told(tokens)}
    for before, token in zip([None, *tokens], tokens, strict=False):
        if id(token) not in told:
            continue
        if token.lemma in _REFUSE_VERBS:
            return True
        if token.lemma in _GRANT_VERBS and before is not None and before.lemma == "не":
            return True
    return False


def _own_situation(tokens: list[Token]) -> bool:
    return any(
        first.lemma in _OWN and second.lemma in _CASE_WORDS for first, second in pairwise(tokens)
    )


def _named_person(tokens: list[Token]) -> bool:
    """A surname or patronymic that is not part of an address: a complaint about a named
    official («депутат Смирнова», «начальника отдела Петрова»)."""
    return any(
        ("Surn" in token.tag or "Patr" in token.tag)
        and (before is None or before.lemma not in _ADDRESS_WORDS)
        for before, token in zip([None, *tokens], tokens, strict=False)
    )


def _let_them(tokens: list[Token]) -> bool:
    """«Пусть свяжутся», «пусть убирают»: a demand in the third person."""
    return any(
        first.lemma == "пусть" and "VERB" in second.tag and "1per" not in second.tag
        for first, second in pairwise(tokens)
    )


def _where_is(text: str) -> bool:
    return any(part_of_speech(word) in {"NOUN", "NPRO"} for word in _WHERE_IS.findall(text))


def _street_adjective(text: str) -> bool:
    return any(part_of_speech(word) == "ADJF" for word in _STREET_ADJECTIVE.findall(text))


def _is_question(tokens: list[Token], text: str) -> bool:
    """A question mark, a question word or a request for information («подскажите»)."""
    return "?" in text or any(
        t.lemma in QUESTION_WORDS or ("impr" in t.tag and t.lemma in _INFO_VERBS) for t in tokens
    )


def staff_signal(tokens: list[Token], text: str) -> StaffSignal:
    lowered = fold(text)
    lemmas = {t.lemma for t in tokens}
    speaker = bool(lemmas & _SPEAKER)
    demand = any(_is_demand(t, "вы" in lemmas) for t in tokens) or _let_them(tokens)
    place = bool(_STREET.search(text.replace("ё", "е"))) or _street_adjective(lowered)
    # A clock time or a date, or «сегодня»/«вчера» with something that happened.
    moment = bool(_MOMENT.search(lowered)) or (bool(lemmas & _RECENT) and bool(_told(tokens)))
    named = _named_person(tokens) or bool(_NAMED_ORGANISATION.search(text))
    ongoing = bool(_DURATION.search(lowered))
    case_number = bool(_CASE_NUMBER.search(lowered))
    asks = _asks_procedure(tokens)
    personal = _personal_past(tokens)
    refusal = speaker and _refused(tokens)
    own_case = (speaker and bool(lemmas & _CASE_NOUNS) and ongoing) or _own_situation(tokens)
    emphasis = bool(_EMPHASIS.search(text))
    # «!!!» and «?!» show feeling, which is no case by itself; they strengthen other signs.
    account = _where_is(lowered)
    reproach = bool(_REPROACH.search(lowered)) or (
        emphasis
        and (demand or place or ongoing or case_number or refusal or (personal and not asks))
    )
    # A message that asks nothing but tells what happened («упало дерево», «врач не
    # пришёл») or exclaims reports an incident; the FAQ answers questions. Present-tense
    # statements («врач на дом приходит или только скорая») are often unmarked questions.
    report = not _is_question(tokens, text) and (emphasis or bool(_told(tokens)))

    found = [
        name
        for name, present in (
            ("demand", demand),
            ("concrete place", place),
            ("concrete moment", moment),
            ("named person or organisation", named),
            ("where is it", account),
            ("ongoing incident", ongoing),
            ("own case number", case_number),
            ("reproach", reproach),
            ("personal story", personal),
            ("own case", own_case),
            ("refusal", refusal),
            ("report without a question", report),
        )
        if present
    ]
    strength = (
        2 * demand
        + 2 * case_number
        + 2 * own_case
        + place
        + moment
        + 2 * named
        + 2 * account
        + ongoing
        + reproach
        + (personal and not asks)
        # Asking how to proceed after a refusal is still a dispute over one case, so a
        # refusal outweighs a procedure question and at least keeps the FAQ from answering.
        + 3 * refusal
        + report
    )
    # «Где машина?» asks for an account, not the way somewhere.
    if asks and not account:
        strength -= 2
    if strength >= 2:
        return StaffSignal(True, False, "staff: " + ", ".join(found), strength, asks)
    # Two signs of a staff case make a procedure question doubtful too.
    if strength >= 1 or (found and not asks) or (len(found) >= 2 and strength >= 0):
        return StaffSignal(False, True, "doubt: " + ", ".join(found), strength, asks)
    return StaffSignal(strength=strength, asks=asks)
