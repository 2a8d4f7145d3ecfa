from __future__ import annotations

import dataclasses
import re
from datetime import date

import pytest

from bot.reports.charts import categories_chart, stats_chart
from bot.reports.stats import (
    DayFigures,
    PlatformFigures,
    compute_stats,
    parse_period,
    percentile,
    stats_text,
)
from bot.storage.database import Database
from bot.storage.models import AppealRow, ResidentRow
from tests.reports.seed import CALENDAR, MSK, NOW, msk, seed

WEEK = (date(2026, 6, 8), date(2026, 6, 14))
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


async def test_key_figures_of_the_seeded_week(database: Database) -> None:
    await seed(database)
    stats = await compute_stats(database, CALENDAR, MSK, *WEEK, now=NOW)
    assert (stats.questions, stats.answered, stats.suggested, stats.escalated) == (9, 3, 3, 3)
    assert (stats.picked, stats.small_talk) == (1, 1)
    assert (stats.helpful, stats.not_helpful) == (2, 1)
    assert stats.appeals_opened == 5
    assert stats.appeals_urgent == 1
    assert stats.appeals_closed == 2  # 2026-0003 and 2026-0002; 2026-0005 closed next week
    # 3 h (Mon 10–13), 13 h (Tue 11–18 + Wed 9–15), 3 h (Thu 16–18, Mon 9–10).
    assert stats.first_response_hours == (3.0, 3.0, 13.0)
    assert stats.first_response_median == 3.0
    assert stats.first_response_p90 == pytest.approx(11.0)
    # Answered in time: 0003 and 0005; missed: 0004 (late) and 0006 (never, deadline passed);
    # 0007 was withdrawn before anyone answered and counts for neither.
    assert (stats.within_deadline, stats.deadline_decided) == (2, 4)
    assert stats.deadline_share == 0.5
    assert stats.overdue_now == 2  # 0006 of this week and 0001 from May
    assert (stats.ratings, stats.rating_average) == (2, 4.0)
    assert stats.categories == (("Благоустройство", 2), ("ЖКХ", 2), ("Без категории", 1))
    assert stats.platforms == (
        PlatformFigures("telegram", questions=6, appeals=3),
        PlatformFigures("vk", questions=3, appeals=2),
    )
    assert stats.daily == (
        DayFigures(date(2026, 6, 8), 0, 0, 1),
        DayFigures(date(2026, 6, 9), 0, 0, 1),
        DayFigures(date(2026, 6, 10), 0, 3, 0),
        DayFigures(date(2026, 6, 11), 0, 0, 1),
        DayFigures(date(2026, 6, 12), 2, 0, 0, urgent=1),  # 2026-0006, an emergency
        DayFigures(date(2026, 6, 13), 1, 0, 0),
        DayFigures(date(2026, 6, 14), 0, 0, 0),
    )


async def test_first_response_skips_a_holiday_and_a_weekend(database: Database) -> None:
    """Opened Thursday 11 June 2026 16:00, answered Monday 15 June 10:00: Friday 12 June is
    Russia Day, then a weekend, so only Thu 16–18 and Mon 9–10 count: 3 working hours."""
    async with database.unit_of_work() as uow:
        resident = ResidentRow(platform="vk", external_id="1", first_seen=NOW, last_seen=NOW)
        uow.session.add(resident)
        await uow.session.flush()
        uow.session.add(
            AppealRow(year=2026, sequence=1, resident_id=resident.id, status="answered",
                      opened_at=msk(6, 11, 16), deadline_at=msk(6, 15, 16),
                      first_response_at=msk(6, 15, 10), last_activity_at=msk(6, 15, 10))
        )  # fmt: skip
        await uow.commit()
    stats = await compute_stats(database, CALENDAR, MSK, date(2026, 6, 11), date(2026, 6, 11))
    assert stats.first_response_hours == (3.0,)
    assert stats.first_response_median == stats.first_response_p90 == 3.0
    assert (stats.within_deadline, stats.deadline_decided) == (1, 1)
    assert stats.questions == 0


async def test_period_boundaries_follow_the_local_day(database: Database) -> None:
    await seed(database)
    # 2026-06-15 10:00 MSK is 07:00 UTC: it belongs to the 15th and only to it.
    stats = await compute_stats(database, CALENDAR, MSK, date(2026, 6, 15), date(2026, 6, 15))
    assert (stats.questions, stats.escalated, stats.appeals_opened) == (1, 1, 0)
    assert stats.appeals_closed == 1  # 2026-0005


async def test_empty_period_has_no_averages(database: Database) -> None:
    stats = await compute_stats(database, CALENDAR, MSK, *WEEK, now=NOW)
    assert stats.questions == 0
    assert stats.first_response_median is None and stats.rating_average is None
    assert stats.deadline_share is None
    assert len(stats.daily) == 7
    text = stats_text(stats)
    assert "Вопросов: 0" in text and "медиана —" in text
    assert stats_chart(stats).startswith(PNG_SIGNATURE)
    assert categories_chart(stats) is None


async def test_stats_text_is_compact_russian_html(database: Database) -> None:
    await seed(database)
    stats = await compute_stats(database, CALENDAR, MSK, *WEEK, now=NOW)
    text = stats_text(stats)
    assert text.startswith("<b>Статистика за 08.06.2026 — 14.06.2026</b>")
    for fragment in (
        "Вопросов: 9 — ответил FAQ: 3, варианты: 3, сотрудникам: 3",
        "Обращений: открыто 5, закрыто 2",
        "медиана 3 ч, 90% — 11 ч",
        "В срок: 50% (2 из 4)",
        "Просрочено сейчас: 2",
        "Средняя оценка: 4 (2 оц.)",
        "Благоустройство (2)",
        "Telegram — 6 вопр., 3 обр.",
        "ВКонтакте — 3 вопр., 2 обр.",
    ):
        assert fragment in text
    tricky = dataclasses.replace(stats, categories=(("Дороги & <мосты>", 1),))
    assert "Дороги &amp; &lt;мосты&gt; (1)" in stats_text(tricky)
    assert "<мосты>" not in stats_text(tricky)


async def test_stats_chart_is_a_png(database: Database) -> None:
    await seed(database)
    stats = await compute_stats(database, CALENDAR, MSK, *WEEK, now=NOW)
    chart = stats_chart(stats)
    assert chart.startswith(PNG_SIGNATURE) and len(chart) > 5000
    categories = categories_chart(stats)
    assert categories is not None and categories.startswith(PNG_SIGNATURE)


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([], 0.5) is None
    assert percentile([4.0], 0.9) == 4.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([10.0, 0.0, 5.0], 0.9) == pytest.approx(9.0)


TODAY = date(2026, 11, 18)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("", (TODAY, TODAY)),
        ("  ", (TODAY, TODAY)),
        ("today", (TODAY, TODAY)),
        ("week", (date(2026, 11, 12), TODAY)),
        ("WEEK", (date(2026, 11, 12), TODAY)),
        ("неделя", (date(2026, 11, 12), TODAY)),
        ("month", (date(2026, 10, 20), TODAY)),
        ("месяц", (date(2026, 10, 20), TODAY)),
        ("2026-11-01", (date(2026, 11, 1), date(2026, 11, 1))),
        ("2026-11-01 2026-11-30", (date(2026, 11, 1), date(2026, 11, 30))),
        (" 2026-10-01   2026-10-31 ", (date(2026, 10, 1), date(2026, 10, 31))),
        ("01.11.2026", (date(2026, 11, 1), date(2026, 11, 1))),
        ("1 ноября 2026", (date(2026, 11, 1), date(2026, 11, 1))),
        ("01.11.2026 15.11.2026", (date(2026, 11, 1), date(2026, 11, 15))),
        ("1 ноября 2026 — 15 ноября 2026", (date(2026, 11, 1), date(2026, 11, 15))),
        ("с 1 октября 2026 по 31.10.2026", (date(2026, 10, 1), date(2026, 10, 31))),
        ("2026-10-01 - 2026-10-31", (date(2026, 10, 1), date(2026, 10, 31))),
    ],
)
def test_parse_period(args: str, expected: tuple[date, date]) -> None:
    assert parse_period(args, TODAY) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("yesterday", "Не понял дату «yesterday»"),
        ("2026-13-01", "Не понял дату «2026-13-01»"),
        ("31.11.2026", "Не понял дату «31.11.2026»"),
        ("1 ноября 2026 — когда-то", "Не понял дату «когда-то»"),
        ("2026-11-01 потом", "Не понял дату «потом»"),
        ("2026-11-30 2026-11-01", "Начало периода (2026-11-30) позже конца (2026-11-01)"),
        ("2026-11-01 2026-11-02 2026-11-03", "Слишком много значений"),
        ("2026-12-01 2026-12-31", "Период начинается в будущем"),
    ],
)
def test_parse_period_rejects_bad_input_in_russian(args: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_period(args, TODAY)
