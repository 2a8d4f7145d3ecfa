"""Report sections as rows of plain values, shared by the HTML and XLSX writers so both
always show the same figures. Numbers stay numbers (spreadsheets can sum them); missing
values are a dash."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.reports import texts
from bot.reports.report import PollResult, ReportData
from bot.reports.stats import Stats, platform_name

__all__ = [
    "Value",
    "appeal_rows",
    "daily_rows",
    "faq_rows",
    "figure_rows",
    "local_moment",
    "poll_option_rows",
]

Value = str | int | float


def _maybe(value: float | None, digits: int = 1) -> Value:
    return texts.NO_VALUE if value is None else round(value, digits)


def local_moment(moment: datetime | None, tz: ZoneInfo) -> str:
    return texts.NO_VALUE if moment is None else moment.astimezone(tz).strftime("%d.%m.%Y %H:%M")


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
        "appeals_closed": stats.appeals_closed,
        "median": _maybe(stats.first_response_median),
        "p90": _maybe(stats.first_response_p90),
        "deadline_share": _maybe(None if share is None else share * 100),
        "overdue": stats.overdue_now,
        "rating": _maybe(stats.rating_average, 2),
        "ratings": stats.ratings,
    }
    return [(texts.FIGURES[key], value) for key, value in values.items()]


def daily_rows(stats: Stats) -> list[tuple[Value, ...]]:
    return [
        (day.day.strftime("%d.%m.%Y"), day.answered, day.suggested, day.escalated)
        for day in stats.daily
    ]


def faq_rows(data: ReportData) -> list[tuple[Value, ...]]:
    return [
        (
            entry.entry_id,
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
