"""Report sections as rows of plain values, shared by the HTML/PDF and XLSX writers so both
always show the same figures. Numbers stay numbers and dates stay dates (spreadsheets can sum
and sort them; the HTML writer formats them); moments are naive local times, since a
spreadsheet cell has no time zone; missing values are a dash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.reports import texts
from bot.reports.report import PollResult, ReportData
from bot.reports.stats import Stats, format_number, period_words, platform_name

__all__ = [
    "SummaryRow",
    "Value",
    "appeal_rows",
    "daily_rows",
    "faq_rows",
    "figure_rows",
    "local_moment",
    "poll_option_rows",
    "summary_periods",
    "summary_rows",
]

Value = str | int | float | date | datetime

BETTER = "better"
WORSE = "worse"


def _maybe(value: float | None, digits: int = 1) -> Value:
    return texts.NO_VALUE if value is None else round(value, digits)


def local_moment(moment: datetime | None, tz: ZoneInfo) -> Value:
    return texts.NO_VALUE if moment is None else moment.astimezone(tz).replace(tzinfo=None)


@dataclass(frozen=True)
class SummaryRow:
    name: str
    current: Value
    previous: Value
    change: str  # signed difference, or a dash when either side is missing
    tone: str  # BETTER, WORSE or "" (no judgement, or no change)


def _percent(share: float | None) -> float | None:
    return None if share is None else share * 100


def _summary_row(
    name: str,
    current: float | None,
    previous: float | None,
    *,
    unit: str = "",
    digits: int = 1,
    higher_is_better: bool | None = None,
) -> SummaryRow:
    if current is None or previous is None:
        change, tone = texts.NO_VALUE, ""
    else:
        difference = round(current - previous, digits)
        sign = "+" if difference > 0 else "−" if difference < 0 else "±"
        change = f"{sign}{format_number(abs(difference), digits)}{unit}"
        tone = ""
        if difference and higher_is_better is not None:
            tone = BETTER if (difference > 0) == higher_is_better else WORSE
    return SummaryRow(name, _maybe(current, digits), _maybe(previous, digits), change, tone)


def summary_rows(data: ReportData) -> list[SummaryRow]:
    """The period's key figures against the period of the same length before it."""
    now, before = data.stats, data.previous
    names = texts.SUMMARY
    return [
        _summary_row(names["questions"], now.questions, before.questions),
        _summary_row(
            names["answered_share"],
            _percent(now.answered_share),
            _percent(before.answered_share),
            unit=texts.POINTS,
            higher_is_better=True,
        ),
        _summary_row(names["appeals_opened"], now.appeals_opened, before.appeals_opened),
        _summary_row(names["appeals_urgent"], now.appeals_urgent, before.appeals_urgent),
        _summary_row(
            names["median"],
            now.first_response_median,
            before.first_response_median,
            unit=texts.HOURS_UNIT,
            higher_is_better=False,
        ),
        _summary_row(
            names["deadline_share"],
            _percent(now.deadline_share),
            _percent(before.deadline_share),
            unit=texts.POINTS,
            higher_is_better=True,
        ),
        _summary_row(
            names["rating"],
            now.rating_average,
            before.rating_average,
            digits=2,
            higher_is_better=True,
        ),
        _summary_row(
            names["not_helpful"], now.not_helpful, before.not_helpful, higher_is_better=False
        ),
    ]


def summary_periods(data: ReportData) -> tuple[str, str]:
    return (
        period_words(data.stats.since, data.stats.until),
        period_words(data.previous.since, data.previous.until),
    )


def figure_rows(stats: Stats) -> list[tuple[str, Value]]:
    share = stats.deadline_share
    values: dict[str, Value] = {
        "questions": stats.questions,
        "answered": stats.answered,
        "suggested": stats.suggested,
        "escalated": stats.escalated,
        "picked": stats.picked,
        "small_talk": stats.small_talk,
        "not_helpful": stats.not_helpful,
        "appeals_opened": stats.appeals_opened,
        "appeals_urgent": stats.appeals_urgent,
        "appeals_closed": stats.appeals_closed,
        "median": _maybe(stats.first_response_median),
        "p90": _maybe(stats.first_response_p90),
        "deadline_share": _maybe(None if share is None else share * 100),
        "overdue": stats.overdue_now,
        "rating": _maybe(stats.rating_average, 2),
        "ratings": stats.ratings,
    }
    return [(texts.FIGURES[key], value) for key, value in values.items()]


def daily_rows(stats: Stats, *, active_only: bool = True) -> list[tuple[Value, ...]]:
    """Questions per day by what the FAQ did, and emergency appeals; by default only the
    days on which something happened."""
    return [
        (day.day, day.answered, day.suggested, day.escalated, day.total, day.urgent)
        for day in stats.daily
        if day.active or not active_only
    ]


def faq_rows(data: ReportData) -> list[tuple[Value, ...]]:
    return [
        (
            entry.title,
            entry.hits,
            entry.helpful,
            entry.not_helpful,
            round(entry.not_helpful_rate * 100, 1),
        )
        for entry in data.faq_entries
    ]


def appeal_rows(data: ReportData) -> list[tuple[Value, ...]]:
    return [
        (
            line.number,
            texts.URGENT_MARK if line.urgent else "",
            line.category or texts.NO_VALUE,
            platform_name(line.platform),
            texts.APPEAL_STATUS_NAMES.get(line.status, line.status),
            local_moment(line.opened_at, data.tz),
            _maybe(line.first_response_hours),
            local_moment(line.closed_at, data.tz),
            _maybe(line.closing_hours),
            texts.DEADLINE_NAMES.get(line.deadline or "", texts.NO_VALUE),
            texts.NO_VALUE if line.rating is None else line.rating,
        )
        for line in data.appeals
    ]


def poll_option_rows(poll: PollResult) -> list[tuple[Value, ...]]:
    rows: list[tuple[Value, ...]] = [
        (option.text, option.votes, round(poll.share(option.votes) * 100, 1))
        for option in poll.options
    ]
    if poll.other_answers:
        rows.append(
            (
                texts.POLL_OTHER,
                poll.other_answers,
                round(poll.share(poll.other_answers) * 100, 1),
            )
        )
    return rows
