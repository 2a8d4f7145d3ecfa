"""Dates and times as people type them, in one place for every command, file and dialog.

Accepted dates: ISO `2026-11-01`, `01.11.2026` (or `1.11.26`), and Russian `1 ноября 2026`
(the month in any case or as a common abbreviation, optionally followed by «г.» or «года»).
A moment is such a date with a time `9:00` after it (`T`, a space, a comma or «в» between),
or an ISO moment with its own offset. Durations are `10d`, `12h`, `30m`, `2w` or the same in
Russian (`10 дней`, `12 ч`).
"""

from __future__ import annotations

import argparse
import re
from datetime import date, datetime, time, timedelta, tzinfo

__all__ = [
    "DATE_EXAMPLE",
    "MOMENT_EXAMPLE",
    "date_argument",
    "parse_date",
    "parse_duration",
    "parse_moment",
]

DATE_EXAMPLE = "1 ноября 2026, 01.11.2026 или 2026-11-01"
MOMENT_EXAMPLE = "15.12.2026 09:00 или 15 декабря 2026 09:00"

# Each month's nominative and genitive forms; any start of them of 3 or more letters is
# accepted, which covers the abbreviations «нояб», «сент», «дек.».
_MONTH_FORMS = (
    ("январь", "января"),
    ("февраль", "февраля"),
    ("март", "марта"),
    ("апрель", "апреля"),
    ("май", "мая"),
    ("июнь", "июня"),
    ("июль", "июля"),
    ("август", "августа"),
    ("сентябрь", "сентября"),
    ("октябрь", "октября"),
    ("ноябрь", "ноября"),
    ("декабрь", "декабря"),
)

# «1 ноября»: the month as a date in words writes it.
MONTHS_GENITIVE = tuple(genitive for _, genitive in _MONTH_FORMS)

_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})")
_WORDED = re.compile(r"(\d{1,2})\s+([а-я]+)\.?\s+(\d{4})(?:\s*(?:года?|г\.?))?")
_TIME = re.compile(r"(\d{1,2})[:.](\d{2})")
_SEPARATOR = re.compile(r"\s*(?:t|,|\s|\bв\b)+\s*")
_DURATION = re.compile(r"(\d+)\s*([a-zа-я]+)\.?")
_UNITS = {
    "w": timedelta(weeks=1),
    "нед": timedelta(weeks=1),
    "d": timedelta(days=1),
    "д": timedelta(days=1),
    "h": timedelta(hours=1),
    "ч": timedelta(hours=1),
    "m": timedelta(minutes=1),
    "мин": timedelta(minutes=1),
}


def _clean(text: str) -> str:
    return " ".join(text.casefold().replace("ё", "е").split())


def _month(word: str) -> int | None:
    if len(word) < 3:
        return None
    for number, forms in enumerate(_MONTH_FORMS, start=1):
        if any(form.startswith(word) for form in forms):
            return number
    return None


def _date_prefix(text: str) -> tuple[date, str] | None:
    """The date at the start of a cleaned text, and what follows it."""
    for pattern in (_ISO_DATE, _DOTTED, _WORDED):
        found = pattern.match(text)
        if found is None:
            continue
        first, middle, last = found.groups()
        if pattern is _ISO_DATE:
            year, month, day = int(first), int(middle), int(last)
        elif pattern is _DOTTED:
            day, month = int(first), int(middle)
            year = int(last) + 2000 if len(last) == 2 else int(last)
        else:
            day, year = int(first), int(last)
            month_number = _month(middle)
            if month_number is None:
                return None
            month = month_number
        try:
            return date(year, month, day), text[found.end() :]
        except ValueError:
            return None
    return None


def parse_date(text: str) -> date | None:
    """A calendar date as typed, or None."""
    found = _date_prefix(_clean(text))
    if found is None or found[1].strip():
        return None
    return found[0]


def date_argument(text: str) -> date:
    """An argparse `type` for a date on the command line."""
    day = parse_date(text)
    if day is None:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (write {DATE_EXAMPLE})")
    return day


def parse_moment(text: str, tz: tzinfo) -> datetime | None:
    """A date and time as typed, in `tz` unless it carries its own offset; None without a
    time, since a day alone does not say when to act."""
    cleaned = _clean(text)
    try:
        moment = datetime.fromisoformat(cleaned.upper())
    except ValueError:
        pass
    else:
        if "t" in cleaned or " " in cleaned:
            return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)
        return None
    found = _date_prefix(cleaned)
    if found is None:
        return None
    day, rest = found
    rest = _SEPARATOR.sub(" ", rest).strip()
    clock = _TIME.fullmatch(rest)
    if clock is None:
        return None
    hour, minute = int(clock.group(1)), int(clock.group(2))
    if hour > 23 or minute > 59:
        return None
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


def parse_duration(text: str) -> timedelta | None:
    """`10d`, `36h`, `2w`, `90m` or the Russian `10 дней`, `12 ч`, `2 недели`; None otherwise."""
    found = _DURATION.fullmatch(_clean(text))
    if found is None:
        return None
    count, word = int(found.group(1)), found.group(2)
    for unit, length in _UNITS.items():
        if word == unit or (len(unit) > 1 and word.startswith(unit)) or _russian(word, unit):
            return count * length if count else None
    return None


def _russian(word: str, unit: str) -> bool:
    """Whole Russian unit words: «день/дня/дней», «час/часа/часов», «минута/минут»."""
    words = {
        "д": ("день", "дня", "дней", "дн"),
        "ч": ("час", "часа", "часов"),
        "мин": ("минута", "минуты", "минут"),
    }
    return word in words.get(unit, ())
