"""Everything a period report shows, gathered from the database in one place; the HTML and
XLSX writers only lay it out.

No resident identifiers are read into the report: appeals appear by number, residents only
as counts, and every text residents or staff wrote in a dialog is masked. Poll questions and
options are published texts and appear as written.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.workcalendar import WorkCalendar
from bot.reports.clusters import QuestionCluster, unanswered_clusters
from bot.reports.stats import Stats, compute_stats, period_bounds, previous_period
from bot.storage.database import Database
from bot.storage.models import (
    AppealRow,
    BallotChoiceRow,
    BallotRow,
    ExchangeRow,
    PollOptionRow,
    PollRow,
    ResidentRow,
)

__all__ = [
    "AppealLine",
    "FaqEntryFigures",
    "PollOptionResult",
    "PollResult",
    "ReportData",
    "build_report",
]

logger = logging.getLogger(__name__)

DEADLINE_MET = "met"
DEADLINE_MISSED = "missed"
DEADLINE_PENDING = "pending"


@dataclass(frozen=True)
class FaqEntryFigures:
    entry_id: str
    title: str  # the entry's first question; its id when the entry is no longer in the base
    hits: int
    helpful: int
    not_helpful: int

    @property
    def not_helpful_rate(self) -> float:
        """Share of the entry's answers that residents marked «Не помогло»."""
        return self.not_helpful / self.hits if self.hits else 0.0


@dataclass(frozen=True)
class AppealLine:
    number: str
    category: str | None
    platform: str
    status: str
    opened_at: datetime
    first_response_hours: float | None
    closed_at: datetime | None
    closing_hours: float | None
    deadline: str | None
    rating: int | None
    urgent: bool = False


@dataclass(frozen=True)
class PollOptionResult:
    text: str
    votes: int


@dataclass(frozen=True)
class PollResult:
    question: str
    status: str
    opens_at: datetime
    closes_at: datetime
    options: tuple[PollOptionResult, ...]
    voters: int
    other_answers: int

    def share(self, votes: int) -> float:
        """Share of voters who chose an option (several choices may add up past 100%)."""
        return votes / self.voters if self.voters else 0.0


@dataclass(frozen=True)
class ReportData:
    since: date
    until: date
    generated_at: datetime
    tz: ZoneInfo
    stats: Stats
    previous: Stats  # the period of the same length just before, for comparison
    clusters: tuple[QuestionCluster, ...]
    faq_entries: tuple[FaqEntryFigures, ...]
    appeals: tuple[AppealLine, ...]
    polls: tuple[PollResult, ...] | None  # None: the poll tables could not be read


async def build_report(
    database: Database,
    calendar: WorkCalendar,
    tz: ZoneInfo,
    since: date,
    until: date,
    *,
    now: datetime | None = None,
    entry_titles: Mapping[str, str] | None = None,
) -> ReportData:
    """The report of local days `since`..`until` inclusive; `entry_titles` names FAQ entries
    (by their first question) instead of their ids."""
    moment = now or datetime.now(UTC)
    stats = await compute_stats(database, calendar, tz, since, until, now=moment)
    previous = await compute_stats(
        database, calendar, tz, *previous_period(since, until), now=moment
    )
    start, end = period_bounds(tz, since, until)
    async with database.unit_of_work() as uow:
        clusters = await unanswered_clusters(uow.session, start, end)
        faq_entries = await _faq_entries(uow.session, start, end, entry_titles or {})
        appeals = await _appeals(uow.session, calendar, start, end, moment)
    polls = await _polls(database, start, end)
    return ReportData(
        since=since,
        until=until,
        generated_at=moment,
        tz=tz,
        stats=stats,
        previous=previous,
        clusters=tuple(clusters),
        faq_entries=faq_entries,
        appeals=appeals,
        polls=polls,
    )


async def _faq_entries(
    session: AsyncSession, start: datetime, end: datetime, titles: Mapping[str, str]
) -> tuple[FaqEntryFigures, ...]:
    """Entries by answers given (direct or picked from suggestions), most used first."""
    rows = await session.execute(
        select(ExchangeRow.faq_entry_id, ExchangeRow.feedback).where(
            ExchangeRow.direction == "in",
            ExchangeRow.outcome.in_(("answer", "picked")),
            ExchangeRow.faq_entry_id.is_not(None),
            ExchangeRow.created_at >= start,
            ExchangeRow.created_at < end,
        )
    )
    hits: Counter[str] = Counter()
    marks: dict[str, Counter[str]] = {}
    for entry_id, feedback in rows:
        if entry_id is None:
            continue
        hits[entry_id] += 1
        if feedback:
            marks.setdefault(entry_id, Counter())[feedback] += 1
    figures = [
        FaqEntryFigures(
            entry_id,
            titles.get(entry_id, entry_id),
            count,
            marks.get(entry_id, Counter())["helpful"],
            marks.get(entry_id, Counter())["not_helpful"],
        )
        for entry_id, count in hits.items()
    ]
    figures.sort(key=lambda item: (-item.hits, -item.not_helpful, item.entry_id))
    return tuple(figures)


async def _appeals(
    session: AsyncSession, calendar: WorkCalendar, start: datetime, end: datetime, now: datetime
) -> tuple[AppealLine, ...]:
    rows = await session.execute(
        select(AppealRow, ResidentRow.platform)
        .join(ResidentRow, ResidentRow.id == AppealRow.resident_id)
        .where(AppealRow.opened_at >= start, AppealRow.opened_at < end)
        .order_by(AppealRow.year, AppealRow.sequence)
    )
    lines: list[AppealLine] = []
    for appeal, platform in rows:
        first = appeal.first_response_at
        closed = appeal.closed_at if appeal.status == "closed" else None
        if first is not None:
            deadline: str | None = DEADLINE_MET if first <= appeal.deadline_at else DEADLINE_MISSED
        elif appeal.status == "cancelled":
            deadline = None
        else:
            deadline = DEADLINE_MISSED if appeal.deadline_at < now else DEADLINE_PENDING
        lines.append(
            AppealLine(
                number=f"{appeal.year}-{appeal.sequence:04d}",
                category=appeal.category,
                platform=platform,
                status=appeal.status,
                opened_at=appeal.opened_at,
                first_response_hours=(
                    calendar.working_hours_between(appeal.opened_at, first) if first else None
                ),
                closed_at=closed,
                closing_hours=(
                    calendar.working_hours_between(appeal.opened_at, closed) if closed else None
                ),
                deadline=deadline,
                rating=appeal.rating,
                urgent=appeal.urgent,
            )
        )
    return tuple(lines)


async def _polls(
    database: Database, start: datetime, end: datetime
) -> tuple[PollResult, ...] | None:
    """Polls running at any time in [start, end), read-only.

    Only long-standing columns are selected, so a newer poll schema still reads; a database
    without the poll tables gives None and the report says so instead of failing.
    """
    try:
        async with database.unit_of_work() as uow:
            return await _read_polls(uow.session, start, end)
    except SQLAlchemyError as error:
        logger.warning("Poll results left out of the report: %s", error)
        return None


async def _read_polls(
    session: AsyncSession, start: datetime, end: datetime
) -> tuple[PollResult, ...]:
    polls = (
        await session.execute(
            select(
                PollRow.id, PollRow.question, PollRow.status, PollRow.opens_at, PollRow.closes_at
            )
            .where(PollRow.opens_at < end, PollRow.closes_at >= start)
            .order_by(PollRow.opens_at, PollRow.id)
        )
    ).all()
    if not polls:
        return ()
    poll_ids = [poll.id for poll in polls]
    options = (
        await session.execute(
            select(PollOptionRow.id, PollOptionRow.poll_id, PollOptionRow.text)
            .where(PollOptionRow.poll_id.in_(poll_ids))
            .order_by(PollOptionRow.poll_id, PollOptionRow.position)
        )
    ).all()
    choice_counts = await session.execute(
        select(BallotChoiceRow.option_id, func.count(BallotChoiceRow.id))
        .join(BallotRow, BallotRow.id == BallotChoiceRow.ballot_id)
        .where(BallotRow.poll_id.in_(poll_ids))
        .group_by(BallotChoiceRow.option_id)
    )
    votes = {option_id: int(count) for option_id, count in choice_counts}
    ballots = (
        await session.execute(
            select(
                BallotRow.poll_id,
                func.count(BallotRow.id),
                func.count(BallotRow.other_text),
            )
            .where(BallotRow.poll_id.in_(poll_ids))
            .group_by(BallotRow.poll_id)
        )
    ).all()
    voters = {poll_id: (int(total), int(other)) for poll_id, total, other in ballots}
    results: list[PollResult] = []
    for poll in polls:
        total, other = voters.get(poll.id, (0, 0))
        results.append(
            PollResult(
                question=poll.question,
                status=poll.status,
                opens_at=poll.opens_at,
                closes_at=poll.closes_at,
                options=tuple(
                    PollOptionResult(option.text, votes.get(option.id, 0))
                    for option in options
                    if option.poll_id == poll.id
                ),
                voters=total,
                other_answers=other,
            )
        )
    return tuple(results)
