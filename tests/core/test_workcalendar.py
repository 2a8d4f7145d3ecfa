"""Working-time arithmetic on the Russian production calendar.

Expected values are worked out by hand from the calendar; the notes next to each case
show the arithmetic. Production-calendar facts used here (as the `holidays` package
knows them): 2024-04-27, 2024-11-02, 2024-12-28, 2025-11-01 and 2027-02-20 are working
Saturdays; 2025-12-31, 2026-01-09, 2026-12-31 and 2027-02-22 are moved days off;
2026-03-09 and 2026-05-11 are days off for holidays that fell on a weekend.
"""

from __future__ import annotations

import time as stopwatch
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.workcalendar import OfficeHours, WorkCalendar

MSK = ZoneInfo("Europe/Moscow")
YEKT = ZoneInfo("Asia/Yekaterinburg")
BERLIN = ZoneInfo("Europe/Berlin")

# 09:00-18:00, no break: 9 working hours a day.
PLAIN = WorkCalendar(MSK, OfficeHours(time(9), time(18)))
# 09:00-18:00 with lunch 13:00-14:00: 8 working hours a day.
LUNCH = WorkCalendar(MSK, OfficeHours(time(9), time(18), (time(13), time(14))))


def msk(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=MSK)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def assert_same_moment_in_msk(actual: datetime, expected: datetime) -> None:
    assert actual == expected
    assert actual.tzinfo is not None
    assert actual.utcoffset() == expected.utcoffset()
    assert getattr(actual.tzinfo, "key", None) == "Europe/Moscow"


# --- OfficeHours.parse --------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "lunch", "expected"),
    [
        ("09:00-18:00", None, OfficeHours(time(9), time(18))),
        ("09:00-18:00", "", OfficeHours(time(9), time(18))),
        ("09:00-18:00", "   ", OfficeHours(time(9), time(18))),
        ("09:00-18:00", "13:00-14:00", OfficeHours(time(9), time(18), (time(13), time(14)))),
        ("9:00 – 18:00", "13:00 — 14:00", OfficeHours(time(9), time(18), (time(13), time(14)))),
        (
            " 08:30-17:15 ",
            "12:30-13:15",
            OfficeHours(time(8, 30), time(17, 15), (time(12, 30), time(13, 15))),
        ),
    ],
)
def test_parse_valid(hours: str, lunch: str | None, expected: OfficeHours) -> None:
    assert OfficeHours.parse(hours, lunch) == expected


@pytest.mark.parametrize(
    ("hours", "lunch", "message"),
    [
        ("18:00-09:00", None, "must be after"),
        ("09:00-09:00", None, "must be after"),
        ("garbage", None, "expected a range"),
        ("", None, "expected a range"),
        ("09:00", None, "expected a range"),
        ("9-18", None, "expected a time"),
        ("09:00-18:00-19:00", None, "expected a time"),
        ("25:00-18:00", None, "not a valid time"),
        ("09:60-18:00", None, "not a valid time"),
        ("09:00-18:00", "lunch", "expected a range"),
        ("09:00-18:00", "14:00-13:00", "must be after"),
        ("09:00-18:00", "08:00-10:00", "inside office hours"),
        ("09:00-18:00", "17:00-19:00", "inside office hours"),
        ("13:00-18:00", "12:00-13:00", "inside office hours"),
        ("09:00-18:00", "09:00-18:00", "inside office hours"),
    ],
)
def test_parse_errors(hours: str, lunch: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OfficeHours.parse(hours, lunch)


def test_office_hours_validated_on_direct_construction() -> None:
    with pytest.raises(ValueError, match="must be after"):
        OfficeHours(time(18), time(9))
    with pytest.raises(ValueError, match="tzinfo"):
        OfficeHours(time(9, tzinfo=UTC), time(18))


@pytest.mark.parametrize(
    ("calendar", "expected"),
    [
        (PLAIN, 9.0),
        (LUNCH, 8.0),
        # 8h45m of office minus a 45-minute break.
        (WorkCalendar(MSK, OfficeHours.parse("08:30-17:15", "12:30-13:15")), 8.0),
    ],
)
def test_working_hours_per_day(calendar: WorkCalendar, expected: float) -> None:
    assert calendar.working_hours_per_day() == expected


# --- working days --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 10), True),  # ordinary Tuesday
        (date(2026, 3, 14), False),  # ordinary Saturday
        (date(2026, 3, 15), False),  # ordinary Sunday
        (date(2026, 6, 12), False),  # Russia Day, Friday
        (date(2026, 3, 9), False),  # 8 March fell on Sunday
        (date(2026, 5, 11), False),  # 9 May fell on Saturday
        (date(2025, 12, 31), False),  # moved day off (from 2025-01-05)
        (date(2026, 1, 8), False),  # New Year holidays
        (date(2026, 1, 9), False),  # moved day off (from 2026-01-03)
        (date(2026, 1, 12), True),  # first working day of 2026
        (date(2026, 12, 31), False),  # moved day off (from 2026-01-04)
        (date(2025, 11, 1), True),  # working Saturday
        (date(2025, 11, 3), False),  # moved day off (from 2025-11-01)
        (date(2024, 4, 27), True),  # working Saturday
        (date(2024, 11, 2), True),  # working Saturday
        (date(2024, 12, 28), True),  # working Saturday
        (date(2027, 2, 20), True),  # working Saturday
        (date(2027, 2, 22), False),  # moved day off (from 2027-02-20)
        (date(2027, 11, 5), False),  # moved day off (from 2027-01-02)
        (date(2027, 12, 31), False),  # moved day off (from 2027-01-03)
    ],
)
def test_is_working_day(day: date, expected: bool) -> None:
    assert PLAIN.is_working_day(day) is expected


def test_is_working_day_rejects_datetime() -> None:
    with pytest.raises(TypeError):
        PLAIN.is_working_day(msk(2026, 3, 10, 10))


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (msk(2026, 3, 2, 9), True),  # opening is inside
        (msk(2026, 3, 2, 12, 59), True),
        (msk(2026, 3, 2, 13), False),  # lunch starts
        (msk(2026, 3, 2, 14), True),  # lunch over
        (msk(2026, 3, 2, 18), False),  # closing is outside
        (msk(2026, 3, 2, 8, 59), False),
        (msk(2026, 3, 14, 10), False),  # Saturday
        (msk(2025, 11, 1, 10), True),  # working Saturday
        (utc(2026, 3, 2, 6), True),  # 09:00 MSK
        (utc(2026, 3, 2, 5, 59), False),  # 08:59 MSK
        (utc(2026, 3, 1, 23), False),  # Monday 02:00 MSK
    ],
)
def test_is_working_time(moment: datetime, expected: bool) -> None:
    assert LUNCH.is_working_time(moment) is expected


# --- next working moment ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (msk(2026, 3, 2, 10), msk(2026, 3, 2, 10)),  # inside hours: itself
        (msk(2026, 3, 2, 9), msk(2026, 3, 2, 9)),  # exactly at opening
        (msk(2026, 3, 2, 7, 30), msk(2026, 3, 2, 9)),  # before opening
        (msk(2026, 3, 2, 0), msk(2026, 3, 2, 9)),  # midnight
        (msk(2026, 3, 2, 13), msk(2026, 3, 2, 14)),  # lunch starts
        (msk(2026, 3, 2, 13, 20), msk(2026, 3, 2, 14)),  # at lunch
        (msk(2026, 3, 2, 14), msk(2026, 3, 2, 14)),  # lunch just over
        (msk(2026, 3, 2, 18), msk(2026, 3, 3, 9)),  # exactly at closing
        (msk(2026, 3, 2, 23, 59), msk(2026, 3, 3, 9)),  # late evening
        (msk(2026, 3, 13, 19), msk(2026, 3, 16, 9)),  # Friday evening -> Monday
        (msk(2026, 3, 14, 12), msk(2026, 3, 16, 9)),  # Saturday -> Monday
        (msk(2026, 3, 6, 19), msk(2026, 3, 10, 9)),  # Friday -> Tuesday (9 March off)
        (msk(2026, 6, 12, 10), msk(2026, 6, 15, 9)),  # Russia Day -> Monday
        (msk(2025, 12, 31, 20), msk(2026, 1, 12, 9)),  # New Year's Eve -> 12 January
        (msk(2025, 11, 1, 8), msk(2025, 11, 1, 9)),  # working Saturday morning
        (utc(2026, 3, 2, 10, 30), msk(2026, 3, 2, 14)),  # 13:30 MSK, at lunch
        (utc(2026, 3, 1, 22), msk(2026, 3, 2, 9)),  # Sunday in UTC, Monday 01:00 MSK
        (utc(2026, 3, 13, 15, 30), msk(2026, 3, 16, 9)),  # Friday 18:30 MSK
    ],
)
def test_next_working_moment(moment: datetime, expected: datetime) -> None:
    assert_same_moment_in_msk(LUNCH.next_working_moment(moment), expected)


# --- deadlines ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("calendar", "start", "hours", "expected"),
    [
        # Within a day.
        (PLAIN, msk(2026, 3, 2, 10), 3, msk(2026, 3, 2, 13)),
        # 12-13 is 1h, lunch skipped, 14-15 is the second.
        (LUNCH, msk(2026, 3, 2, 12), 2, msk(2026, 3, 2, 15)),
        # An exact closing time is a valid deadline.
        (PLAIN, msk(2026, 3, 2, 9), 9, msk(2026, 3, 2, 18)),
        (LUNCH, msk(2026, 3, 2, 9), 8, msk(2026, 3, 2, 18)),
        # Landing on lunch start stays there.
        (LUNCH, msk(2026, 3, 2, 9), 4, msk(2026, 3, 2, 13)),
        # Starting at lunch counts from 14:00.
        (LUNCH, msk(2026, 3, 2, 13, 30), 1, msk(2026, 3, 2, 15)),
        # Zero hours: the next opening.
        (PLAIN, msk(2026, 3, 14, 12), 0, msk(2026, 3, 16, 9)),
        # Crossing a night: 2h on Tuesday, 1h on Wednesday.
        (PLAIN, msk(2026, 3, 3, 16), 3, msk(2026, 3, 4, 10)),
        # Fractions: 30 min on Monday, 15 min on Tuesday.
        (PLAIN, msk(2026, 3, 2, 17, 30), 0.75, msk(2026, 3, 3, 9, 15)),
        # Received at night: counting starts at 09:00.
        (PLAIN, msk(2026, 3, 3, 2), 1, msk(2026, 3, 3, 10)),
        # Friday afternoon: 3h on Friday, 6h on Monday.
        (PLAIN, msk(2026, 3, 13, 15), 9, msk(2026, 3, 16, 15)),
        # One working day from Friday 17:00 with lunch: 1h + Monday 09-13, 14-17.
        (LUNCH, msk(2026, 3, 13, 17), 8, msk(2026, 3, 16, 17)),
        # Five full days Mon-Fri; one more hour skips the weekend and 9 March.
        (PLAIN, msk(2026, 3, 2, 9), 45, msk(2026, 3, 6, 18)),
        (PLAIN, msk(2026, 3, 2, 9), 46, msk(2026, 3, 10, 10)),
        # Russia Day (Friday 12 June): 1h on Thursday, then Monday the 15th.
        (PLAIN, msk(2026, 6, 11, 17), 9, msk(2026, 6, 15, 17)),
        (LUNCH, msk(2026, 6, 11, 17), 8, msk(2026, 6, 15, 17)),
        # Received on the holiday itself.
        (PLAIN, msk(2026, 6, 12, 10), 1, msk(2026, 6, 15, 10)),
        # New Year: 30 Dec 1h; 31 Dec moved day off; 1-8 Jan holidays; 9 Jan moved day
        # off; 10-11 weekend; Monday 12 Jan 09-13, 14-17.
        (LUNCH, msk(2025, 12, 30, 17), 8, msk(2026, 1, 12, 17)),
        (LUNCH, msk(2025, 12, 31, 19), 8, msk(2026, 1, 12, 18)),
        # 2026-12-31 is a moved day off; 2027 opens on Monday 11 Jan.
        (PLAIN, msk(2026, 12, 30, 17), 2, msk(2027, 1, 11, 10)),
        # Working Saturday 2025-11-01 counts.
        (PLAIN, msk(2025, 10, 31, 17), 2, msk(2025, 11, 1, 10)),
        # ...and after it: Sunday, 3 Nov moved off, 4 Nov Unity Day -> Wednesday.
        (PLAIN, msk(2025, 11, 1, 17), 2, msk(2025, 11, 5, 10)),
        # Working Saturday 2024-12-28, then 30-31 Dec off and 1-8 Jan 2025 holidays.
        (PLAIN, msk(2024, 12, 27, 17), 2, msk(2024, 12, 28, 10)),
        (PLAIN, msk(2024, 12, 28, 17), 2, msk(2025, 1, 9, 10)),
        # Working Saturday 2027-02-20.
        (PLAIN, msk(2027, 2, 19, 17), 2, msk(2027, 2, 20, 10)),
        # UTC input: 05:30 UTC is 08:30 MSK, counting starts at 09:00 MSK.
        (PLAIN, utc(2026, 3, 2, 5, 30), 1, msk(2026, 3, 2, 10)),
        # Sunday 22:00 UTC is Monday 01:00 MSK.
        (PLAIN, utc(2026, 3, 1, 22), 1, msk(2026, 3, 2, 10)),
        # Friday 15:30 UTC is 18:30 MSK, after closing.
        (PLAIN, utc(2026, 3, 13, 15, 30), 1, msk(2026, 3, 16, 10)),
        # Friday 14:00 UTC is 17:00 MSK: 1h on Friday, 1h on Monday.
        (PLAIN, utc(2026, 3, 13, 14), 2, msk(2026, 3, 16, 10)),
    ],
)
def test_add_working_hours(
    calendar: WorkCalendar, start: datetime, hours: float, expected: datetime
) -> None:
    assert_same_moment_in_msk(calendar.add_working_hours(start, hours), expected)


def test_add_working_hours_in_another_zone() -> None:
    calendar = WorkCalendar(YEKT, OfficeHours(time(9), time(18)))
    # 08:00 MSK is 10:00 in Yekaterinburg: the office there is already open.
    deadline = calendar.add_working_hours(msk(2026, 3, 2, 8), 1)
    assert deadline == datetime(2026, 3, 2, 11, tzinfo=YEKT)
    assert deadline.utcoffset() == datetime(2026, 3, 2, 11, tzinfo=YEKT).utcoffset()
    assert getattr(deadline.tzinfo, "key", None) == "Asia/Yekaterinburg"


def test_dst_day_counts_real_hours() -> None:
    # Berlin skips 02:00-03:00 on 2026-03-29 (a Sunday, made working here), so the
    # wall-clock stretch 00:00-06:00 holds only 5 real hours.
    calendar = WorkCalendar(
        BERLIN, OfficeHours(time(0), time(6)), extra_workdays=[date(2026, 3, 29)]
    )
    start = datetime(2026, 3, 29, 0, tzinfo=BERLIN)
    end = datetime(2026, 3, 29, 6, tzinfo=BERLIN)
    assert calendar.working_hours_between(start, end) == 5.0
    assert calendar.add_working_hours(start, 5) == end


@pytest.mark.parametrize("hours", [-1.0, float("nan"), float("inf")])
def test_add_working_hours_rejects_bad_hours(hours: float) -> None:
    with pytest.raises(ValueError, match="hours"):
        PLAIN.add_working_hours(msk(2026, 3, 2, 10), hours)


def test_naive_datetimes_rejected() -> None:
    naive = datetime(2026, 3, 2, 10)
    with pytest.raises(ValueError, match="timezone-aware"):
        PLAIN.is_working_time(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        PLAIN.next_working_moment(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        PLAIN.add_working_hours(naive, 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        PLAIN.working_hours_between(naive, msk(2026, 3, 3))
    with pytest.raises(ValueError, match="timezone-aware"):
        PLAIN.working_hours_between(msk(2026, 3, 1), naive)


# --- working hours between -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("calendar", "start", "end", "expected"),
    [
        # End before or at start.
        (PLAIN, msk(2026, 3, 2, 12), msk(2026, 3, 2, 10), 0.0),
        (PLAIN, msk(2026, 3, 2, 12), msk(2026, 3, 2, 12), 0.0),
        # Same day across lunch: 10-13 and 14-15.
        (LUNCH, msk(2026, 3, 2, 10), msk(2026, 3, 2, 15), 4.0),
        # Inside lunch only.
        (LUNCH, msk(2026, 3, 2, 13, 10), msk(2026, 3, 2, 13, 50), 0.0),
        # Half an hour.
        (PLAIN, msk(2026, 3, 2, 9, 15), msk(2026, 3, 2, 9, 45), 0.5),
        # Weekend only.
        (PLAIN, msk(2026, 3, 14, 10), msk(2026, 3, 15, 17), 0.0),
        # Across a weekend: Fri 16-18, Mon 09-11.
        (PLAIN, msk(2026, 3, 13, 16), msk(2026, 3, 16, 11), 4.0),
        # Across a weekend and 9 March: Fri 16-18, Tue 09-10.
        (PLAIN, msk(2026, 3, 6, 16), msk(2026, 3, 10, 10), 3.0),
        # Russia Day and the weekend: Thu 12-13 + 14-18, Mon 09-13 + 14-15.
        (LUNCH, msk(2026, 6, 11, 12), msk(2026, 6, 15, 15), 10.0),
        # May 2026: 30 Apr (9h), 1 May off, 4-8 May (45h), 11 May off.
        (PLAIN, msk(2026, 4, 30, 9), msk(2026, 5, 12, 9), 54.0),
        # New Year: 29 and 30 Dec (18h), 12 Jan (9h), 13 Jan 09-12 (3h).
        (PLAIN, msk(2025, 12, 29, 9), msk(2026, 1, 13, 12), 30.0),
        # Working Saturday counted: Fri 31 Oct and Sat 1 Nov, 9h each.
        (PLAIN, msk(2025, 10, 31, 9), msk(2025, 11, 5, 9), 18.0),
        # Mixed zones: 06:00 UTC is 09:00 MSK.
        (PLAIN, utc(2026, 3, 2, 6), msk(2026, 3, 2, 12), 3.0),
    ],
)
def test_working_hours_between(
    calendar: WorkCalendar, start: datetime, end: datetime, expected: float
) -> None:
    assert calendar.working_hours_between(start, end) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("start", "hours"),
    [
        (msk(2025, 12, 30, 17), 8.0),
        (msk(2026, 3, 13, 17, 20), 3.5),
        (msk(2025, 11, 1, 17), 2.0),
    ],
)
def test_between_inverts_add(start: datetime, hours: float) -> None:
    deadline = LUNCH.add_working_hours(start, hours)
    assert LUNCH.working_hours_between(start, deadline) == pytest.approx(hours)


# --- district overrides ----------------------------------------------------------------------


def test_extra_holiday_skipped() -> None:
    calendar = WorkCalendar(MSK, OfficeHours(time(9), time(18)), extra_holidays=[date(2026, 3, 11)])
    assert calendar.is_working_day(date(2026, 3, 11)) is False
    # Tue 17-18, Wednesday off, Thu 09-10.
    assert calendar.add_working_hours(msk(2026, 3, 10, 17), 2) == msk(2026, 3, 12, 10)
    assert calendar.working_hours_between(msk(2026, 3, 10, 9), msk(2026, 3, 13, 9)) == 18.0


def test_extra_workday_counted() -> None:
    calendar = WorkCalendar(MSK, OfficeHours(time(9), time(18)), extra_workdays=[date(2026, 3, 14)])
    assert calendar.is_working_day(date(2026, 3, 14)) is True
    assert calendar.add_working_hours(msk(2026, 3, 13, 17), 2) == msk(2026, 3, 14, 10)


def test_extras_override_the_package() -> None:
    calendar = WorkCalendar(
        MSK,
        OfficeHours(time(9), time(18)),
        extra_holidays=[date(2025, 11, 1)],
        extra_workdays=[date(2026, 6, 12)],
    )
    assert calendar.is_working_day(date(2025, 11, 1)) is False
    assert calendar.is_working_day(date(2026, 6, 12)) is True
    assert calendar.next_working_moment(msk(2026, 6, 12, 8)) == msk(2026, 6, 12, 9)


def test_conflicting_extras_rejected() -> None:
    with pytest.raises(ValueError, match="2026-03-11"):
        WorkCalendar(
            MSK,
            OfficeHours(time(9), time(18)),
            extra_holidays=[date(2026, 3, 11)],
            extra_workdays=[date(2026, 3, 11)],
        )


def test_extra_datetime_rejected() -> None:
    with pytest.raises(TypeError):
        WorkCalendar(MSK, OfficeHours(time(9), time(18)), extra_holidays=[msk(2026, 3, 11)])


def test_long_gap_fails_loudly() -> None:
    year_off = [date(2026, 1, 1) + timedelta(days=offset) for offset in range(500)]
    calendar = WorkCalendar(MSK, OfficeHours(time(9), time(18)), extra_holidays=year_off)
    with pytest.raises(RuntimeError, match="no working day"):
        calendar.next_working_moment(msk(2026, 1, 1, 10))


def test_long_deadline_is_fast() -> None:
    # About a working year; must jump day by day rather than crawl by the minute.
    calendar = WorkCalendar(MSK, OfficeHours(time(9), time(18), (time(13), time(14))))
    began = stopwatch.perf_counter()
    deadline = calendar.add_working_hours(msk(2026, 1, 12, 9), 2000)
    elapsed = stopwatch.perf_counter() - began
    assert elapsed < 2.0
    assert calendar.working_hours_between(msk(2026, 1, 12, 9), deadline) == pytest.approx(2000)
