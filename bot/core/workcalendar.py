"""Working-time arithmetic on the Russian production calendar.

Answer deadlines, reminders and first-response reports count only office hours on
working days: weekends, public holidays and days off moved by government decree are
skipped, weekend days declared working by the same decrees are counted. Holiday data
comes from the `holidays` package; a district can add local days on top of it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

import holidays

__all__ = ["OfficeHours", "WorkCalendar"]

_COUNTRY = "RU"
_ONE_DAY = timedelta(days=1)
_ONE_HOUR = timedelta(hours=1)
# A gap of non-working days this long means a misconfigured calendar, not a real one:
# fail loudly instead of scanning forever.
_MAX_IDLE_DAYS = 400

_CLOCK_RE = re.compile(r"(\d{1,2}):(\d{2})")
# Settings are typed by people: accept the dashes a word processor substitutes.
_RANGE_RE = re.compile(r"\s*(\S+?)\s*[-–—]\s*(\S+)\s*")


def _parse_clock(text: str, what: str) -> time:
    match = _CLOCK_RE.fullmatch(text)
    if match is None:
        raise ValueError(f"{what}: expected a time like 09:00, got {text!r}")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ValueError(f"{what}: {text!r} is not a valid time of day")
    return time(hour, minute)


def _parse_range(text: str, what: str) -> tuple[time, time]:
    match = _RANGE_RE.fullmatch(text)
    if match is None:
        raise ValueError(f"{what}: expected a range like 09:00-18:00, got {text!r}")
    return _parse_clock(match.group(1), what), _parse_clock(match.group(2), what)


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


@dataclass(frozen=True)
class OfficeHours:
    """Daily office hours as local wall-clock times, with an optional lunch break."""

    opens: time
    closes: time
    lunch: tuple[time, time] | None = None

    def __post_init__(self) -> None:
        moments = (self.opens, self.closes, *(self.lunch or ()))
        if any(moment.tzinfo is not None for moment in moments):
            raise ValueError("office hours are wall-clock times and must not carry a tzinfo")
        if self.opens >= self.closes:
            raise ValueError(
                f"office hours: closing time {_hhmm(self.closes)} must be after "
                f"opening time {_hhmm(self.opens)}"
            )
        if self.lunch is not None:
            start, end = self.lunch
            if start >= end:
                raise ValueError(
                    f"lunch break: end {_hhmm(end)} must be after start {_hhmm(start)}"
                )
            if not self.opens < start or not end < self.closes:
                raise ValueError(
                    f"lunch break {_hhmm(start)}-{_hhmm(end)} must lie strictly inside "
                    f"office hours {_hhmm(self.opens)}-{_hhmm(self.closes)}"
                )

    @classmethod
    def parse(cls, hours: str, lunch: str | None = None) -> OfficeHours:
        """Parse settings such as ``"09:00-18:00"`` and ``"13:00-14:00"``.

        An empty or missing lunch string means no break.
        """
        opens, closes = _parse_range(hours, "office hours")
        lunch_range = _parse_range(lunch, "lunch break") if lunch and lunch.strip() else None
        return cls(opens, closes, lunch_range)

    def periods(self) -> tuple[tuple[time, time], ...]:
        """Continuous working stretches of a day, in order."""
        if self.lunch is None:
            return ((self.opens, self.closes),)
        return ((self.opens, self.lunch[0]), (self.lunch[1], self.closes))


class _YearData(NamedTuple):
    days_off: frozenset[date]
    weekend_workdays: frozenset[date]


def _require_date(day: date) -> None:
    # datetime is a date subclass but never equals a date, so set lookups would silently miss.
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"expected a date, got {type(day).__name__}")


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {moment!r}")


class WorkCalendar:
    """Working days and office hours of one office in one time zone."""

    def __init__(
        self,
        tz: ZoneInfo,
        office: OfficeHours,
        *,
        extra_holidays: Iterable[date] = (),
        extra_workdays: Iterable[date] = (),
    ) -> None:
        self.tz = tz
        self.office = office
        self._extra_holidays = frozenset(extra_holidays)
        self._extra_workdays = frozenset(extra_workdays)
        for day in self._extra_holidays | self._extra_workdays:
            _require_date(day)
        clash = self._extra_holidays & self._extra_workdays
        if clash:
            listed = ", ".join(sorted(day.isoformat() for day in clash))
            raise ValueError(f"dates listed both as extra holidays and extra workdays: {listed}")
        self._periods = office.periods()
        self._years: dict[int, _YearData] = {}

    def is_working_day(self, day: date) -> bool:
        _require_date(day)
        if day in self._extra_workdays:
            return True
        if day in self._extra_holidays:
            return False
        year = self._year_data(day.year)
        if day.weekday() >= 5:
            return day in year.weekend_workdays
        return day not in year.days_off

    def is_working_time(self, moment: datetime) -> bool:
        _require_aware(moment, "moment")
        day = moment.astimezone(self.tz).date()
        if not self.is_working_day(day):
            return False
        instant = moment.astimezone(UTC)
        return any(start <= instant < end for start, end in self._periods_utc(day))

    def next_working_moment(self, moment: datetime) -> datetime:
        """The moment itself if the office is open then, otherwise the next opening."""
        _require_aware(moment, "moment")
        instant = moment.astimezone(UTC)
        for day in self._working_days_from(moment.astimezone(self.tz).date()):
            for start, end in self._periods_utc(day):
                if instant < end:
                    return max(start, instant).astimezone(self.tz)
        raise AssertionError("unreachable: _working_days_from never ends normally")

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The moment when `hours` working hours have passed since `start`.

        Landing exactly on a closing time (or lunch start) returns that moment rather
        than the next opening: the work was due by the end of that stretch.
        """
        _require_aware(start, "start")
        if not math.isfinite(hours) or hours < 0:
            raise ValueError(f"hours must be a finite non-negative number, got {hours!r}")
        remaining = timedelta(hours=hours)
        cursor = self.next_working_moment(start)
        instant = cursor.astimezone(UTC)
        for day in self._working_days_from(cursor.date()):
            for period_start, period_end in self._periods_utc(day):
                if period_end <= instant:
                    continue
                begin = max(period_start, instant)
                available = period_end - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(self.tz)
                remaining -= available
        raise AssertionError("unreachable: _working_days_from never ends normally")

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        _require_aware(start, "start")
        _require_aware(end, "end")
        lo, hi = start.astimezone(UTC), end.astimezone(UTC)
        if hi <= lo:
            return 0.0
        total = timedelta()
        day = start.astimezone(self.tz).date()
        last = end.astimezone(self.tz).date()
        while day <= last:
            if self.is_working_day(day):
                for period_start, period_end in self._periods_utc(day):
                    overlap = min(period_end, hi) - max(period_start, lo)
                    if overlap > timedelta():
                        total += overlap
            day += _ONE_DAY
        return total / _ONE_HOUR

    def working_hours_per_day(self) -> float:
        """Length of an ordinary working day; "one working day" means this many hours."""
        anchor = date(2000, 1, 1)
        total = sum(
            (
                datetime.combine(anchor, end) - datetime.combine(anchor, start)
                for start, end in self._periods
            ),
            timedelta(),
        )
        return total / _ONE_HOUR

    def _year_data(self, year: int) -> _YearData:
        data = self._years.get(year)
        if data is None:
            calendar = holidays.country_holidays(_COUNTRY, years=year)
            data = _YearData(
                days_off=frozenset(day for day in calendar if day.year == year),
                weekend_workdays=frozenset(
                    day for day in getattr(calendar, "weekend_workdays", ()) if day.year == year
                ),
            )
            self._years[year] = data
        return data

    def _periods_utc(self, day: date) -> list[tuple[datetime, datetime]]:
        # Compared and subtracted in UTC: same-zone aware datetimes subtract by wall
        # clock, which is wrong on DST switch days in zones that still have them.
        return [
            (
                datetime.combine(day, start, tzinfo=self.tz).astimezone(UTC),
                datetime.combine(day, end, tzinfo=self.tz).astimezone(UTC),
            )
            for start, end in self._periods
        ]

    def _working_days_from(self, day: date) -> Iterator[date]:
        idle = 0
        while True:
            if self.is_working_day(day):
                idle = 0
                yield day
            else:
                idle += 1
                if idle > _MAX_IDLE_DAYS:
                    raise RuntimeError(
                        f"no working day in the {_MAX_IDLE_DAYS} days before {day.isoformat()}; "
                        "check extra_holidays"
                    )
            day += _ONE_DAY
