"""Chart axes that stay readable whatever the period's length."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.reports.charts import day_ticks, poll_chart
from bot.reports.report import PollOptionResult, PollResult
from tests.reports.seed import msk


def test_a_week_labels_every_day() -> None:
    first = date(2026, 6, 8)
    assert day_ticks(first, first + timedelta(days=6)) == [
        first + timedelta(days=n) for n in range(7)
    ]


def test_a_single_day_is_labelled() -> None:
    assert day_ticks(date(2026, 6, 8), date(2026, 6, 8)) == [date(2026, 6, 8)]


def test_two_months_label_the_mondays() -> None:
    ticks = day_ticks(date(2026, 5, 1), date(2026, 6, 30))
    assert ticks[0] == date(2026, 5, 4) and all(day.weekday() == 0 for day in ticks)
    assert len(ticks) == 9


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (date(2026, 1, 1), date(2026, 6, 30), [1, 15]),
        (date(2026, 1, 1), date(2026, 12, 31), [1]),
    ],
)
def test_long_periods_label_days_of_the_month(first: date, last: date, expected: list[int]) -> None:
    ticks = day_ticks(first, last)
    assert 2 <= len(ticks) <= 12
    assert {day.day for day in ticks} == set(expected)


def test_poll_chart_is_a_png() -> None:
    poll = PollResult(
        question="Какой сквер благоустроить первым?",
        status="closed",
        opens_at=msk(6, 1, 9),
        closes_at=msk(6, 10, 18),
        options=(PollOptionResult("Сквер у школы", 2), PollOptionResult("Набережная", 0)),
        voters=2,
        other_answers=1,
    )
    assert poll_chart(poll).startswith(b"\x89PNG\r\n\x1a\n")
