"""Masking of personal data in residents' and staff texts before they leave the bot in a
report or a knowledge-base draft.

Detection works on spans: each pass finds spans in the text not yet claimed by an earlier
pass, so an e-mail is never half-masked as a phone and a street name is never mistaken for
a surname. Some spans are claimed but kept verbatim: a street named without a house number
(«на улице Гагарина нет света») is public information that staff need, and claiming it stops
the name pass from reading «Гагарина» as a surname.

Names are found by general signals rather than lists: runs of capitalised words that
pymorphy3 takes for first names, surnames or patronymics, patronymic and surname suffixes,
initials, and phrases such as «меня зовут». A capitalised word at the start of a sentence is
capitalised for grammar's sake, so there it needs a stronger signal. Residents often write
names in lowercase: there a word counts only next to one that can hardly be anything but a
name («анна петрова», «спасибо ивану»), so «вера» or «роман» alone stay.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from bot.reports import texts
from faq.normalize import morph

__all__ = ["mask_personal_data"]

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Bank cards: 16 digits in fours (or in one run), up to 19 with a tail group.
_CARD = re.compile(r"(?<![\w.,\-])\d{4}([ \-]?)\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?(?![\w\-]|[.,]\d)")
# Messenger accounts: profile links and @usernames (an e-mail is claimed before).
_PROFILE_LINK = re.compile(
    r"(?i:(?:https?://)?(?:m\.)?vk\.(?:com|ru)/id\d+|tg://user\?id=\d+)(?![\w/])"
)
_USERNAME = re.compile(r"(?<![\w@.])@[A-Za-z][A-Za-z0-9_.]{2,31}(?<![.])(?![\w@])")
# Full numbers: +7 / 8 / 7, then 10 digits in the usual 3-3-2-2 grouping.
_PHONE_GROUPED = re.compile(
    r"(?<![\w+\-])(?<!\d\.)(?:\+\s?7|8|7)?[ \-]?\(?\d{3}\)?"
    r"[ \-]?\d{3}[ \-]?\d{2}[ \-]?\d{2}(?![\w-])"
)
# Any 10–11 digits with light separators; dates (dots, or too many digits) do not fit.
_PHONE_LOOSE = re.compile(r"(?<![\w+\-])(?<!\d\.)\+?\d(?:[ \-()]{0,2}\d){9,10}(?![\w-])(?![ \-]\d)")
# «1 234 567 890 рублей»: digits grouped in thousands are an amount, not a phone.
_THOUSANDS = re.compile(r"\d{1,3}(?: \d{3})+")
# City numbers such as 2-34-56 or 234-56-78.
_PHONE_SHORT = re.compile(r"(?<![\w-])\d{1,3}-\d{2}-\d{2}(?![\w-])")

_HOUSE = r"\d+(?:\s?[а-яА-Я](?![а-яёА-ЯЁ]))?(?:\s?[/\-]\s?\d+)?(?!\d)"
_BUILDING = r"(?:\s*,?\s*(?i:корп\.?|корпус|стр\.|строение)\s*\d+)?"
_FLAT = r"(?:\s*,?\s*(?i:кв\.?|квартира)\s*№?\s*\d+)?"
_STREET_MARKER = (
    r"(?i:ул\.|ул\b|улиц[аеуыи]\b|пр-т|пр-кт|просп\.|проспект[аеу]?\b|пер\.|"
    r"переул(?:ок|ке|ка)\b|б-р|бульвар[аеу]?\b|шоссе\b|пл\.|площад[ьи]\b|наб\.|"
    r"набережн(?:ая|ой|ую)\b|мкр\.?|микрорайон[аеу]?\b|проезд[аеу]?\b|тупик[аеу]?\b)"
)
_STREET_NAME = r"(?:\d+(?:-[а-яё]+)?\s+)?[А-ЯЁ][\w\-]*(?:\s+[А-ЯЁ][\w\-]*){0,2}"
_STREET = re.compile(
    rf"{_STREET_MARKER}\s*(?P<name>{_STREET_NAME})"
    rf"(?P<house>\s*,?\s*(?:(?i:д\.|дом)\s*)?№?\s*{_HOUSE}{_BUILDING}{_FLAT})?"
)
_HOUSE_ALONE = re.compile(rf"(?i:\bд\.|\bдом[аеу]?\b)\s*№?\s*{_HOUSE}{_BUILDING}{_FLAT}")
_FLAT_ALONE = re.compile(r"(?i:\bкв\.|\bкв\b|\bквартир[аеуы]\b)\s*№?\s*\d+")
# «на Садовой 12», «возле Первомайской, 3»: the preposition stays, the place goes.
_PLACE_AFTER_PREPOSITION = re.compile(
    rf"(?i:\b(?:на|по|около|возле|напротив|у))\s+"
    rf"(?P<mask>(?:[А-ЯЁ][а-яё]+[\s\-])?[А-ЯЁ][а-яё]{{3,}},?\s*{_HOUSE}{_FLAT})"
)
# «Ленина, 5-12»: a street-like word (adjective or possessive ending), a comma, a number.
_STREET_COMMA = re.compile(
    rf"\b[А-ЯЁ][а-яё]+(?:ой|ая|ий|ый|ого|ина|ова|ева|ена)\s*,\s*{_HOUSE}{_FLAT}"
)

_INITIALS_AFTER = re.compile(r"\b[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?\s+[А-ЯЁ]\.\s?(?:[А-ЯЁ]\.)?")
_INITIALS_BEFORE = re.compile(r"\b[А-ЯЁ]\.\s?(?:[А-ЯЁ]\.\s?)?[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?")
# «меня зовут анна петрова»: the word after the phrase is a name whatever its case; up to
# two more words join it when they look like a surname or patronymic.
_INTRODUCTION = re.compile(
    r"(?i:\b(?:меня\s+зовут|зовут\s+меня|мо[её]\s+имя|мо[яю]\s+фамили[яю]))\s*[:—-]?\s*"
    r"(?P<first>[а-яёА-ЯЁ]+)(?P<rest>(?:\s+[а-яёА-ЯЁ]+){0,2})"
)
_WORD = re.compile(r"\s+([а-яёА-ЯЁ]+)")
_CAPITALISED = re.compile(r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?")
_LOWERCASE = re.compile(r"(?<![\w\-])[а-яё]+(?![\w\-])")
_PATRONYMIC = re.compile(r"(?:ович|евич|овн|евн|ичн|иничн)(?:а|у|ем|е|ой|ы|ом)?$")
_SURNAME = re.compile(r"(?:ов|ев|ёв|ин|ын|ова|ева|ина|ына|ский|ская|цкий|цкая)$")
_SENTENCE_END = frozenset(".!?…\n")
_TRANSPARENT = frozenset(" \t\"'«»„“”()[]-—–")
# Below these first-parse scores a word is as likely an ordinary noun (Вера, Роман).
_SENTENCE_START_SCORE = 0.5
_SENTENCE_START_SURNAME_SCORE = 0.7
# A lowercase word alone is a name only when that is nearly its only reading (анна, сергей,
# not вера, роман, слава).
_LOWERCASE_NAME_SCORE = 0.8
# A reading this unlikely (из as a name) does not make a word part of a name.
_LOWERCASE_PART_SCORE = 0.05
_PERSON_TAGS = frozenset({"Name", "Surn", "Patr"})


@dataclass(frozen=True, slots=True)
class _Span:
    start: int
    end: int
    token: str | None  # None: claimed but kept as written


class _Spans:
    def __init__(self, text: str) -> None:
        self.text = text
        self._spans: list[_Span] = []

    def free(self, start: int, end: int) -> bool:
        return all(end <= span.start or start >= span.end for span in self._spans)

    def claim(self, start: int, end: int, token: str | None) -> None:
        while end > start and self.text[end - 1] in " ,":
            end -= 1
        if end > start and self.free(start, end):
            self._spans.append(_Span(start, end, token))

    def render(self) -> str:
        out: list[str] = []
        cursor = 0
        for span in sorted(self._spans, key=lambda item: item.start):
            out.append(self.text[cursor : span.start])
            out.append(self.text[span.start : span.end] if span.token is None else span.token)
            cursor = span.end
        out.append(self.text[cursor:])
        return "".join(out)


def _claim_all(spans: _Spans, pattern: re.Pattern[str], token: str, group: int | str = 0) -> None:
    for match in pattern.finditer(spans.text):
        spans.claim(match.start(group), match.end(group), token)


def _claim_loose_phones(spans: _Spans) -> None:
    for match in _PHONE_LOOSE.finditer(spans.text):
        if not _THOUSANDS.fullmatch(match.group()):
            spans.claim(match.start(), match.end(), texts.MASK_PHONE)


def _claim_streets(spans: _Spans) -> None:
    for match in _STREET.finditer(spans.text):
        if match.group("house"):
            spans.claim(match.start(), match.end(), texts.MASK_ADDRESS)
        else:
            spans.claim(match.start(), match.end(), None)


@lru_cache(maxsize=20000)
def _person_kind(word: str) -> tuple[str | None, float]:
    """'name', 'surname' or 'patronymic' with the score of the parse that says so."""
    lowered = word.lower()
    if "-" in word:
        kinds = [_person_kind(part) for part in word.split("-")]
        found = [kind for kind in kinds if kind[0] is not None]
        return found[0] if found else (None, 0.0)
    analyzer = morph()
    parse = analyzer.parse(lowered)[0]
    tag = parse.tag
    if "Patr" in tag:
        return "patronymic", parse.score
    if "Name" in tag:
        return "name", parse.score
    if "Surn" in tag:
        return "surname", parse.score
    if "Geox" in tag or analyzer.word_is_known(lowered):
        return None, 0.0
    if _PATRONYMIC.search(lowered):
        return "patronymic", 1.0
    if _SURNAME.search(lowered):
        return "surname", 1.0
    return None, 0.0


def _starts_sentence(text: str, position: int) -> bool:
    index = position - 1
    while index >= 0 and text[index] in _TRANSPARENT:
        index -= 1
    return index < 0 or text[index] in _SENTENCE_END


def _capitalised_runs(text: str) -> Iterator[list[re.Match[str]]]:
    """Maximal runs of capitalised words separated by single spaces."""
    run: list[re.Match[str]] = []
    for match in _CAPITALISED.finditer(text):
        if match.end() < len(text) and text[match.end()].isalpha():
            continue  # «МФЦ», «ЖКХ»: an abbreviation, not a capitalised word
        if run and text[run[-1].end() : match.start()] != " ":
            yield run
            run = []
        run.append(match)
    if run:
        yield run


def _single_word_is_person(text: str, match: re.Match[str]) -> bool:
    kind, score = _person_kind(match.group())
    if kind is None:
        return False
    if not _starts_sentence(text, match.start()):
        return True
    if kind == "surname":
        return score >= _SENTENCE_START_SURNAME_SCORE and bool(
            _SURNAME.search(match.group().lower())
        )
    return score >= _SENTENCE_START_SCORE


def _claim_introductions(spans: _Spans) -> None:
    for match in _INTRODUCTION.finditer(spans.text):
        end = match.end("first")
        for word in _WORD.finditer(match.group("rest")):
            if _person_kind(word.group(1).capitalize())[0] is None:
                break
            end = match.start("rest") + word.end()
        spans.claim(match.start("first"), end, texts.MASK_NAME)


def _claim_names(spans: _Spans) -> None:
    text = spans.text
    for run in _capitalised_runs(text):
        group: list[re.Match[str]] = []
        for match in [*run, None]:
            if match is not None and _person_kind(match.group())[0] is not None:
                group.append(match)
                continue
            if len(group) >= 2 or (len(group) == 1 and _single_word_is_person(text, group[0])):
                spans.claim(group[0].start(), group[-1].end(), texts.MASK_NAME)
            group = []


@lru_cache(maxsize=20000)
def _lowercase_person(word: str) -> tuple[bool, bool]:
    """(may be part of a name, is a name on its own) for a word written in lowercase."""
    parses = morph().parse(word)
    may = any(
        _PERSON_TAGS & parse.tag.grammemes and parse.score >= _LOWERCASE_PART_SCORE
        for parse in parses[:3]
    )
    first = parses[0]
    alone = ("Name" in first.tag or "Patr" in first.tag) and first.score >= _LOWERCASE_NAME_SCORE
    return may, alone


def _lowercase_runs(text: str) -> Iterator[list[re.Match[str]]]:
    """Maximal runs of lowercase words separated by single spaces."""
    run: list[re.Match[str]] = []
    for match in _LOWERCASE.finditer(text):
        if run and text[run[-1].end() : match.start()] != " ":
            yield run
            run = []
        run.append(match)
    if run:
        yield run


def _claim_lowercase_names(spans: _Spans) -> None:
    """«анна петрова», «спасибо ивану»: a run of words that can be parts of a name, anchored
    by one that can hardly be anything else."""
    for run in _lowercase_runs(spans.text):
        group: list[re.Match[str]] = []
        for match in [*run, None]:
            if match is not None and _lowercase_person(match.group())[0]:
                group.append(match)
                continue
            if any(_lowercase_person(word.group())[1] for word in group):
                spans.claim(group[0].start(), group[-1].end(), texts.MASK_NAME)
            group = []


_PASSES: tuple[Callable[[_Spans], None], ...] = (
    lambda spans: _claim_all(spans, _EMAIL, texts.MASK_EMAIL),
    lambda spans: _claim_all(spans, _CARD, texts.MASK_CARD),
    lambda spans: _claim_all(spans, _PROFILE_LINK, texts.MASK_ACCOUNT),
    lambda spans: _claim_all(spans, _USERNAME, texts.MASK_ACCOUNT),
    lambda spans: _claim_all(spans, _PHONE_GROUPED, texts.MASK_PHONE),
    _claim_loose_phones,
    lambda spans: _claim_all(spans, _PHONE_SHORT, texts.MASK_PHONE),
    _claim_streets,
    lambda spans: _claim_all(spans, _HOUSE_ALONE, texts.MASK_ADDRESS),
    lambda spans: _claim_all(spans, _FLAT_ALONE, texts.MASK_ADDRESS),
    lambda spans: _claim_all(spans, _PLACE_AFTER_PREPOSITION, texts.MASK_ADDRESS, "mask"),
    lambda spans: _claim_all(spans, _STREET_COMMA, texts.MASK_ADDRESS),
    _claim_introductions,
    lambda spans: _claim_all(spans, _INITIALS_AFTER, texts.MASK_NAME),
    lambda spans: _claim_all(spans, _INITIALS_BEFORE, texts.MASK_NAME),
    _claim_names,
    _claim_lowercase_names,
)


def mask_personal_data(text: str) -> str:
    """The text with phone numbers, e-mails, bank cards, messenger accounts, addresses and
    personal names replaced by tokens such as «[телефон]»; everything else is left exactly
    as written."""
    spans = _Spans(text)
    for run_pass in _PASSES:
        run_pass(spans)
    return spans.render()
