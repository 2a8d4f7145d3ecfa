"""Key figures of a period: what the FAQ did with residents' questions and how staff handled
the appeals.

Periods are inclusive local dates in the office's time zone. Appeal figures other than the
closed count and the overdue count describe the appeals *opened* in the period, so each
appeal belongs to exactly one period whatever happened to it later.
"""

from __future__ import annotations

import html
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.dates import MONTHS_GENITIVE, parse_date
from bot.core.workcalendar import WorkCalendar
from bot.reports import texts
from bot.storage.database import Database
from bot.storage.models import AppealRow, ExchangeRow, ResidentRow

__all__ = [
    "FAQ_OUTCOMES",
    "DayFigures",
    "PlatformFigures",
    "Stats",
    "compute_stats",
    "compute_stats_in",
    "format_hours",
    "format_number",
    "format_share",
    "parse_period",
    "percentile",
    "period_bounds",
    "period_label",
    "period_words",
    "platform_name",
    "previous_period",
    "stats_text",
]

# Outcomes of a question the FAQ engine decided on; small talk is counted apart from them.
FAQ_OUTCOMES = ("answer", "suggest", "escalate")
QUESTION_KINDS = ("text", "media")
AWAITING_STAFF = ("open", "in_progress")
WEEK_DAYS = 7
# "month" is a rolling window rather than the calendar month, so it is never half empty at
# the start of a month and always compares like with like.
MONTH_DAYS = 30
TOP_CATEGORIES = 5
# Between the two dates of a period: «—», «–», a hyphen with spaces around it, «..» or «по».
_FROM = re.compile(r"^с\s+", re.IGNORECASE)
_RANGE_SEPARATOR = re.compile(r"\s*(?:—|–|\.\.)\s*|\s+(?:-|по)\s+")


@dataclass(frozen=True)
class DayFigures:
    day: date
    answered: int
    suggested: int
    escalated: int
    urgent: int = 0  # emergency appeals opened that day

    @property
    def total(self) -> int:
        return self.answered + self.suggested + self.escalated

    @property
    def active(self) -> bool:
        return bool(self.total or self.urgent)


@dataclass(frozen=True)
class PlatformFigures:
    platform: str
    questions: int
    appeals: int


@dataclass(frozen=True)
class Stats:
    since: date
    until: date
    questions: int
    answered: int
    suggested: int
    escalated: int
    picked: int
    small_talk: int
    helpful: int
    not_helpful: int
    appeals_opened: int
    appeals_urgent: int
    appeals_closed: int
    first_response_hours: tuple[float, ...]
    first_response_median: float | None
    first_response_p90: float | None
    within_deadline: int
    deadline_decided: int
    overdue_now: int
    ratings: int
    rating_average: float | None
    categories: tuple[tuple[str, int], ...]
    platforms: tuple[PlatformFigures, ...]
    daily: tuple[DayFigures, ...]

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    @property
    def answered_share(self) -> float | None:
        """Share of questions the FAQ answered on its own."""
        return self.answered / self.questions if self.questions else None

    @property
    def deadline_share(self) -> float | None:
        """Share of appeals answered by their deadline among those whose fate is known."""
        if not self.deadline_decided:
            return None
        return self.within_deadline / self.deadline_decided


def period_bounds(tz: ZoneInfo, since: date, until: date) -> tuple[datetime, datetime]:
    """The UTC half-open interval covering local days `since`..`until` inclusive."""
    start = datetime.combine(since, time(), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(until + timedelta(days=1), time(), tzinfo=tz).astimezone(UTC)
    return start, end


def previous_period(since: date, until: date) -> tuple[date, date]:
    """The period of the same length that ends the day before `since`."""
    length = until - since + timedelta(days=1)
    return since - length, since - timedelta(days=1)


def period_label(since: date, until: date) -> str:
    if since == until:
        return since.strftime("%d.%m.%Y")
    return f"{since.strftime('%d.%m.%Y')} — {until.strftime('%d.%m.%Y')}"


def period_words(since: date, until: date) -> str:
    """«8–14 июня 2026», «28 мая — 3 июня 2026», «30 декабря 2026 — 5 января 2027»."""

    def words(day: date, *, month: bool = True, year: bool = True) -> str:
        text = str(day.day)
        if month:
            text += f" {MONTHS_GENITIVE[day.month - 1]}"
        return f"{text} {day.year}" if year else text

    if since == until:
        return words(since)
    if since.year != until.year:
        return f"{words(since)} — {words(until)}"
    if since.month != until.month:
        return f"{words(since, year=False)} — {words(until)}"
    return f"{words(since, month=False, year=False)}–{words(until)}"


def parse_period(args: str, today: date) -> tuple[date, date]:
    """The period of `/stats ARGS` or `report ARGS`.

    "" or "today": today; "week": the last 7 days including today; "month": the last 30
    days including today (rolling, not the calendar month); one date: that day; two dates
    (separated by a space, «—», «-» or «по»): that inclusive range. Dates are ISO,
    `01.11.2026` or «1 ноября 2026». Raises ValueError with a Russian message for staff.
    """
    words = args.split()
    if not words:
        return today, today
    if len(words) == 1:
        word = words[0].lower()
        if word in texts.PERIOD_WORDS_TODAY:
            return today, today
        if word in texts.PERIOD_WORDS_WEEK:
            return today - timedelta(days=WEEK_DAYS - 1), today
        if word in texts.PERIOD_WORDS_MONTH:
            return today - timedelta(days=MONTH_DAYS - 1), today
    since, until = _period_dates(" ".join(words))
    if since > until:
        raise ValueError(
            texts.PERIOD_REVERSED.format(since=since.isoformat(), until=until.isoformat())
        )
    if since > today:
        raise ValueError(texts.PERIOD_FUTURE.format(since=since.isoformat()))
    return since, until


def _period_dates(text: str) -> tuple[date, date]:
    text = _FROM.sub("", text)
    single = parse_date(text)
    if single is not None:
        return single, single
    parts = [part for part in _RANGE_SEPARATOR.split(text) if part.strip()]
    if len(parts) == 1:
        parts = text.split()  # two ISO or dotted dates side by side
        if len(parts) == 1:
            raise ValueError(texts.PERIOD_BAD_DATE.format(value=text))
    if len(parts) > 2:
        raise ValueError(texts.PERIOD_TOO_MANY)
    since, until = (_parse_date(part) for part in parts)
    return since, until


def _parse_date(text: str) -> date:
    day = parse_date(text)
    if day is None:
        raise ValueError(texts.PERIOD_BAD_DATE.format(value=text.strip())) from None
    return day


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default): the 0.5 percentile of
    an even count is the mean of the two middle values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


async def compute_stats(
    database: Database,
    calendar: WorkCalendar,
    tz: ZoneInfo,
    since: date,
    until: date,
    *,
    now: datetime | None = None,
) -> Stats:
    """Key figures of local days `since`..`until`; `now` (default: the current time) decides
    which appeals are overdue at the moment and whose deadline has passed unanswered."""
    async with database.unit_of_work() as uow:
        return await compute_stats_in(uow.session, calendar, tz, since, until, now=now)


async def compute_stats_in(
    session: AsyncSession,
    calendar: WorkCalendar,
    tz: ZoneInfo,
    since: date,
    until: date,
    *,
    now: datetime | None = None,
) -> Stats:
    """`compute_stats` inside a transaction the caller already holds."""
    moment = now or datetime.now(UTC)
    start, end = period_bounds(tz, since, until)
    return await _compute(session, calendar, tz, since, until, start, end, moment)


async def _compute(
    session: AsyncSession,
    calendar: WorkCalendar,
    tz: ZoneInfo,
    since: date,
    until: date,
    start: datetime,
    end: datetime,
    now: datetime,
) -> Stats:
    exchanges = (
        await session.execute(
            select(
                ExchangeRow.kind,
                ExchangeRow.outcome,
                ExchangeRow.feedback,
                ExchangeRow.platform,
                ExchangeRow.created_at,
            ).where(
                ExchangeRow.direction == "in",
                ExchangeRow.outcome.is_not(None),
                ExchangeRow.created_at >= start,
                ExchangeRow.created_at < end,
            )
        )
    ).all()
    outcomes: Counter[str] = Counter()
    feedback: Counter[str] = Counter()
    questions_by_platform: Counter[str] = Counter()
    by_day: dict[date, Counter[str]] = {}
    for kind, outcome, mark, platform, created_at in exchanges:
        if outcome is None:
            continue
        if mark:
            feedback[mark] += 1
        if outcome in FAQ_OUTCOMES and kind not in QUESTION_KINDS:
            continue  # «ask staff» button presses escalate too, but they are no question
        outcomes[outcome] += 1
        if outcome in FAQ_OUTCOMES:
            questions_by_platform[platform] += 1
            by_day.setdefault(created_at.astimezone(tz).date(), Counter())[outcome] += 1

    opened = await session.execute(
        select(AppealRow, ResidentRow.platform)
        .join(ResidentRow, ResidentRow.id == AppealRow.resident_id)
        .where(AppealRow.opened_at >= start, AppealRow.opened_at < end)
    )
    response_hours: list[float] = []
    within = decided = opened_count = 0
    ratings: list[int] = []
    categories: Counter[str] = Counter()
    appeals_by_platform: Counter[str] = Counter()
    urgent_by_day: Counter[date] = Counter()
    for appeal, platform in opened:
        opened_count += 1
        if appeal.urgent:
            urgent_by_day[appeal.opened_at.astimezone(tz).date()] += 1
        appeals_by_platform[platform] += 1
        categories[appeal.category or texts.NO_CATEGORY] += 1
        if appeal.first_response_at is not None:
            response_hours.append(
                calendar.working_hours_between(appeal.opened_at, appeal.first_response_at)
            )
            decided += 1
            within += appeal.first_response_at <= appeal.deadline_at
        elif appeal.status != "cancelled" and appeal.deadline_at < now:
            decided += 1  # the deadline passed unanswered: missed whatever happens next
        if appeal.rating is not None:
            ratings.append(appeal.rating)

    closed = len(
        (
            await session.execute(
                select(AppealRow.id).where(
                    AppealRow.status == "closed",
                    AppealRow.closed_at >= start,
                    AppealRow.closed_at < end,
                )
            )
        ).all()
    )
    overdue = len(
        (
            await session.execute(
                select(AppealRow.id).where(
                    AppealRow.status.in_(AWAITING_STAFF), AppealRow.deadline_at < now
                )
            )
        ).all()
    )

    days = [since + timedelta(days=offset) for offset in range((until - since).days + 1)]
    daily = tuple(
        DayFigures(
            day,
            by_day.get(day, Counter())["answer"],
            by_day.get(day, Counter())["suggest"],
            by_day.get(day, Counter())["escalate"],
            urgent_by_day[day],
        )
        for day in days
    )
    platforms = tuple(
        PlatformFigures(name, questions_by_platform[name], appeals_by_platform[name])
        for name in sorted(set(questions_by_platform) | set(appeals_by_platform))
    )
    return Stats(
        since=since,
        until=until,
        questions=sum(outcomes[name] for name in FAQ_OUTCOMES),
        answered=outcomes["answer"],
        suggested=outcomes["suggest"],
        escalated=outcomes["escalate"],
        picked=outcomes["picked"],
        small_talk=outcomes["small_talk"],
        helpful=feedback["helpful"],
        not_helpful=feedback["not_helpful"],
        appeals_opened=opened_count,
        appeals_urgent=sum(urgent_by_day.values()),
        appeals_closed=closed,
        first_response_hours=tuple(sorted(response_hours)),
        first_response_median=percentile(response_hours, 0.5),
        first_response_p90=percentile(response_hours, 0.9),
        within_deadline=within,
        deadline_decided=decided,
        overdue_now=overdue,
        ratings=len(ratings),
        rating_average=sum(ratings) / len(ratings) if ratings else None,
        categories=tuple(
            sorted(categories.items(), key=lambda item: (-item[1], item[0]))[:TOP_CATEGORIES]
        ),
        platforms=platforms,
        daily=daily,
    )


def format_number(value: float, digits: int = 1) -> str:
    """Russian decimal comma; whole numbers without a fraction."""
    rounded = round(value, digits)
    if rounded == int(rounded):
        return str(int(rounded))
    return f"{rounded:.{digits}f}".replace(".", ",")


def format_hours(value: float | None) -> str:
    return texts.NO_VALUE if value is None else texts.HOURS.format(value=format_number(value))


def format_share(value: float | None) -> str:
    return texts.NO_VALUE if value is None else f"{format_number(value * 100)}%"


def platform_name(platform: str) -> str:
    return texts.PLATFORM_NAMES.get(platform, platform)


def stats_text(stats: Stats) -> str:
    """The /stats message: compact Russian HTML for the staff chat, every value escaped."""
    lines = [
        texts.STATS_TITLE.format(period=period_label(stats.since, stats.until)),
        texts.STATS_QUESTIONS.format(
            total=stats.questions,
            answered=stats.answered,
            suggested=stats.suggested,
            escalated=stats.escalated,
        ),
        texts.STATS_PICKED.format(picked=stats.picked, not_helpful=stats.not_helpful),
        texts.STATS_APPEALS.format(opened=stats.appeals_opened, closed=stats.appeals_closed),
        texts.STATS_FIRST_RESPONSE.format(
            median=format_hours(stats.first_response_median),
            p90=format_hours(stats.first_response_p90),
        ),
        texts.STATS_DEADLINE.format(
            share=format_share(stats.deadline_share),
            within=stats.within_deadline,
            decided=stats.deadline_decided,
        ),
        texts.STATS_OVERDUE.format(count=stats.overdue_now),
        texts.STATS_RATING.format(
            average=texts.NO_VALUE
            if stats.rating_average is None
            else format_number(stats.rating_average, 2),
            count=stats.ratings,
        ),
    ]
    if stats.categories:
        items = ", ".join(f"{html.escape(name)} ({count})" for name, count in stats.categories)
        lines.append(texts.STATS_CATEGORIES.format(items=items))
    if stats.platforms:
        items = ", ".join(
            texts.STATS_PLATFORM_ITEM.format(
                name=html.escape(platform_name(item.platform)),
                questions=item.questions,
                appeals=item.appeals,
            )
            for item in stats.platforms
        )
        lines.append(texts.STATS_PLATFORMS.format(items=items))
    return "\n".join(lines)
