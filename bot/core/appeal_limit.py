"""A cap on the appeals one resident opens: question and `/cancel` cycles must not flood the
staff chats.

The count is over a rolling 24 hours, not the calendar day in TIMEZONE: a resident cannot
send the whole allowance twice around midnight, and the moment the next appeal is allowed is
exact (the day after the oldest appeal that has to drop out of the count). Every appeal opened
counts, emergencies included, but an emergency is never refused: the dialog opens its appeal
without asking.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.core import staff_texts, texts
from bot.core.messages import Reply
from bot.core.ports import Clock, DeliveryError, utc_now
from bot.core.staffdesk import StaffDesk, format_moment
from bot.storage.database import UnitOfWork
from bot.storage.records import Resident

logger = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
OVER_LIMIT = "over_limit"
LIMIT_NOTED = "limit_noted"


class AppealLimit:
    def __init__(self, per_day: int, desk: StaffDesk, tz: ZoneInfo, clock: Clock = utc_now) -> None:
        self._per_day = per_day
        self._desk = desk
        self._tz = tz
        self._clock = clock

    async def refusal(
        self, uow: UnitOfWork, resident: Resident, exchange_ids: list[int]
    ) -> Reply | None:
        """None when the resident may open another appeal. Past the limit the messages join
        the resident's last appeal instead, staff get a note once a day, and the reply says
        when the limit resets."""
        now = self._clock()
        opened = await uow.appeals.opened_since(resident.id, now - WINDOW)
        if len(opened) < self._per_day:
            return None
        resets_at = format_moment(opened[len(opened) - self._per_day] + WINDOW, self._tz)
        last = (await uow.appeals.for_resident(resident.id))[-1]
        await uow.exchanges.attach_to_appeal(exchange_ids, last.id)
        await uow.appeals.log(
            last.id, OVER_LIMIT, now, actor=str(resident.key), details={"exchanges": exchange_ids}
        )
        if not await uow.appeals.resident_event_since(resident.id, LIMIT_NOTED, now - WINDOW):
            note = staff_texts.APPEAL_LIMIT_REACHED.format(
                number=last.number, limit=self._per_day, resets_at=resets_at
            )
            try:
                await self._desk.post_about(uow, last, resident, note, now)
            except DeliveryError as error:
                logger.warning("Appeal limit note about %s not posted: %s", last.number, error)
            else:
                await uow.appeals.log(last.id, LIMIT_NOTED, now)
        return Reply(texts.appeal_limit_reached(self._per_day, last.number, resets_at))
