"""Dates and times as people type them: one parser for commands, files and dialogs."""

from __future__ import annotations

import argparse
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.core.dates import date_argument, parse_date, parse_duration, parse_moment

MOSCOW = ZoneInfo("Europe/Moscow")
NOV_1 = date(2026, 11, 1)


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-01",
        "01.11.2026",
        "1.11.2026",
        "1.11.26",
        "1 ноября 2026",
        "1 Ноября 2026 г.",
        "1 ноября 2026 года",
        "1 нояб. 2026",
        "1 ноябрь 2026",
        "  1   ноября   2026  ",
    ],
)
def test_dates(text: str) -> None:
    assert parse_date(text) == NOV_1


@pytest.mark.parametrize(
    ("text", "expected"),
    [("3 мая 2026", date(2026, 5, 3)), ("3 марта 2026", date(2026, 3, 3))],
)
def test_months_that_start_alike(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text", ["", "завтра", "1 ноября", "31.11.2026", "2026-13-01", "1 машины 2026", "1 но 2026"]
)
def test_what_is_not_a_date(text: str) -> None:
    assert parse_date(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "15.12.2026 09:00",
        "15.12.2026 9:00",
        "15 декабря 2026 09:00",
        "15 декабря 2026 в 9:00",
        "15 декабря 2026 г., 09:00",
        "2026-12-15T09:00",
        "2026-12-15 09:00",
    ],
)
def test_moments_in_the_given_zone(text: str) -> None:
    assert parse_moment(text, MOSCOW) == datetime(2026, 12, 15, 9, 0, tzinfo=MOSCOW)


def test_an_explicit_offset_wins() -> None:
    moment = parse_moment("2026-12-15T09:00+05:00", MOSCOW)
    assert moment == datetime(2026, 12, 15, 9, 0, tzinfo=timezone(timedelta(hours=5)))


@pytest.mark.parametrize(
    "text", ["15.12.2026", "2026-12-15", "15 декабря 2026", "15.12.2026 25:00", "в 9:00"]
)
def test_a_moment_needs_a_date_and_a_valid_time(text: str) -> None:
    assert parse_moment(text, MOSCOW) is None


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("10d", timedelta(days=10)),
        ("10 дней", timedelta(days=10)),
        ("1 день", timedelta(days=1)),
        ("36h", timedelta(hours=36)),
        ("12 ч", timedelta(hours=12)),
        ("3 часа", timedelta(hours=3)),
        ("2w", timedelta(weeks=2)),
        ("2 недели", timedelta(weeks=2)),
        ("90m", timedelta(minutes=90)),
        ("30 минут", timedelta(minutes=30)),
    ],
)
def test_durations(text: str, length: timedelta) -> None:
    assert parse_duration(text) == length


@pytest.mark.parametrize("text", ["", "10", "0d", "десять дней", "10 лет", "d10"])
def test_what_is_not_a_duration(text: str) -> None:
    assert parse_duration(text) is None


def test_command_line_dates() -> None:
    assert date_argument("1 ноября 2026") == NOV_1
    with pytest.raises(argparse.ArgumentTypeError, match="not a date: 'вчера'"):
        date_argument("вчера")
