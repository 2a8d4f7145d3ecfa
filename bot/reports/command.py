"""`/stats [период]` in the staff chat: the key figures, the inbox, and a chart."""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.messages import Attachment, AttachmentKind, Reply
from bot.core.ports import Clock
from bot.core.staff import StaffMessage, StaffResult
from bot.core.workcalendar import WorkCalendar
from bot.reports import texts
from bot.reports.charts import stats_chart
from bot.reports.stats import compute_stats_in, parse_period, stats_text
from bot.storage.database import UnitOfWork


class StatsCommand:
    def __init__(self, calendar: WorkCalendar, tz: ZoneInfo, clock: Clock) -> None:
        self._calendar = calendar
        self._tz = tz
        self._clock = clock

    async def __call__(self, uow: UnitOfWork, message: StaffMessage, argument: str) -> StaffResult:
        now = self._clock()
        try:
            since, until = parse_period(argument, now.astimezone(self._tz).date())
        except ValueError as error:
            return StaffResult(Reply(html.escape(str(error))))
        stats = await compute_stats_in(uow.session, self._calendar, self._tz, since, until, now=now)
        pending, oldest = await uow.inbox.depth()
        text = stats_text(stats) + "\n" + _inbox_line(pending, oldest, now)
        chart = Attachment(AttachmentKind.PHOTO, data=stats_chart(stats), file_name="stats.png")
        return StaffResult(Reply(text, html=True, attachments=(chart,)))


def _inbox_line(pending: int, oldest: datetime | None, now: datetime) -> str:
    minutes = int((now - oldest).total_seconds() // 60) if oldest is not None else 0
    return texts.INBOX_LINE.format(pending=pending, minutes=minutes)
