"""Appeals (обращения): what the FAQ cannot answer goes to staff and comes back answered.

The resident-side operations run inside the caller's unit of work (the dialog service owns the
transaction); the scheduled ones (reminders, auto-close) own theirs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core import staff_texts, texts
from bot.core.actions import RateAction
from bot.core.messages import Attachment, Button, Reply
from bot.core.ports import Clock, DeliveryError, Messengers, utc_now
from bot.core.staffdesk import StaffDesk, format_moment
from bot.core.workcalendar import WorkCalendar
from bot.storage.database import Database, UnitOfWork
from bot.storage.records import (
    AWAITING_STAFF,
    Appeal,
    AppealStatus,
    Resident,
)
from faq import Candidate

logger = logging.getLogger(__name__)

SYSTEM = "system"


@dataclass(frozen=True)
class AppealPolicy:
    deadline_working_days: float
    reminder_hours: float
    autoclose_days: float


class AppealService:
    def __init__(
        self,
        database: Database,
        desk: StaffDesk,
        messengers: Messengers,
        calendar: WorkCalendar,
        policy: AppealPolicy,
        clock: Clock = utc_now,
        on_duty: tuple[str, ...] = (),
    ) -> None:
        self._database = database
        self.desk = desk
        self._messengers = messengers
        self.calendar = calendar
        self._policy = policy
        self._clock = clock
        self._on_duty = on_duty

    @property
    def deadline_hours(self) -> float:
        return self._policy.deadline_working_days * self.calendar.working_hours_per_day()

    def moment(self, value: datetime) -> str:
        return format_moment(value, self.calendar.tz)

    async def open(
        self,
        uow: UnitOfWork,
        resident: Resident,
        text: str,
        attachments: tuple[Attachment, ...],
        exchange_ids: list[int],
        candidates: tuple[Candidate, ...] = (),
        category: str | None = None,
        urgent: str | None = None,
    ) -> tuple[Appeal, Reply]:
        """Open an appeal, post it to the staff chat and tell the resident its number and
        when to expect an answer. `urgent` names the danger of an emergency report."""
        now = self._clock()
        local = now.astimezone(self.calendar.tz)
        sequence = await uow.appeals.next_sequence(local.year)
        deadline = self.calendar.add_working_hours(now, self.deadline_hours)
        appeal = await uow.appeals.create(
            resident_id=resident.id,
            year=local.year,
            sequence=sequence,
            opened_at=now,
            deadline_at=deadline,
            category=category,
            urgent=urgent is not None,
            staff_chat_id=self.desk.chat.chat_id if self.desk.chat else None,
        )
        await uow.exchanges.attach_to_appeal(exchange_ids, appeal.id)
        await uow.appeals.log(appeal.id, "opened", now, actor=str(resident.key))
        await self.desk.post_appeal(uow, appeal, resident, text, attachments, candidates, now)
        if self.desk.configured:
            await uow.appeals.log(appeal.id, "forwarded", now)
        if urgent is not None:
            await self.raise_alarm(uow, appeal, resident, urgent)
        seen_at = None
        if not self.calendar.is_working_time(now):
            seen_at = self.moment(self.calendar.next_working_moment(now))
        reply = Reply(texts.appeal_opened(appeal.number, self.moment(deadline), seen_at))
        return appeal, reply

    async def join(
        self,
        uow: UnitOfWork,
        resident: Resident,
        appeal: Appeal,
        text: str,
        attachments: tuple[Attachment, ...],
        exchange_id: int,
    ) -> Reply:
        """A follow-up from the resident joins their open appeal; staff see it at once."""
        now = self._clock()
        await uow.exchanges.attach_to_appeal([exchange_id], appeal.id)
        values: dict[str, object] = {"last_activity_at": now}
        if appeal.status is AppealStatus.ANSWERED:
            values["status"] = AppealStatus.IN_PROGRESS if appeal.taken_by else AppealStatus.OPEN
        appeal = await uow.appeals.update(appeal.id, **values)
        await uow.appeals.log(
            appeal.id, "joined", now, actor=str(resident.key), details={"exchange": exchange_id}
        )
        await self.desk.post_follow_up(uow, appeal, resident, text, attachments, now)
        return Reply(texts.appeal_joined(appeal.number))

    async def raise_alarm(
        self, uow: UnitOfWork, appeal: Appeal, resident: Resident, danger: str
    ) -> None:
        """Mark the appeal urgent and put a pinned notice mentioning the on-duty staff at the
        top of the staff chat; staff can answer it like any message of the appeal."""
        now = self._clock()
        if not appeal.urgent:
            await uow.appeals.update(appeal.id, urgent=True)
        await uow.appeals.log(appeal.id, "urgent", now, details={"danger": danger})
        chat = self.desk.chat
        if chat is None:
            return
        chat_id = appeal.staff_chat_id or chat.chat_id
        text = staff_texts.urgent_alert(appeal.number, danger, self._on_duty)
        message_ids = await self._messengers[chat.platform].send(
            chat_id, Reply(text, html=True, pin=True)
        )
        for message_id in message_ids:
            await uow.appeals.link(
                appeal_id=appeal.id,
                resident_id=resident.id,
                staff_chat_id=chat_id,
                staff_message_id=message_id,
                direction="in",
                at=now,
            )

    async def status(self, uow: UnitOfWork, resident: Resident) -> Reply:
        appeals = await uow.appeals.active_for_resident(resident.id)
        if not appeals:
            return Reply(texts.NO_APPEALS)
        lines = [texts.STATUS_HEADER]
        lines += [
            texts.status_line(a.number, a.status.value, self.moment(a.deadline_at)) for a in appeals
        ]
        return Reply("\n".join(lines))

    async def cancel(self, uow: UnitOfWork, resident: Resident) -> Reply:
        appeals = await uow.appeals.active_for_resident(resident.id)
        if not appeals:
            return Reply(texts.NOTHING_TO_CANCEL)
        now = self._clock()
        appeal = appeals[-1]
        await uow.appeals.update(appeal.id, status=AppealStatus.CANCELLED, closed_at=now)
        await uow.appeals.log(appeal.id, "cancelled", now, actor=str(resident.key))
        notice = staff_texts.CANCELLED_BY_RESIDENT.format(number=appeal.number)
        await self._tell_staff(uow, appeal, resident, notice)
        return Reply(texts.appeal_cancelled(appeal.number))

    async def rate(self, uow: UnitOfWork, resident: Resident, action: RateAction) -> Reply | None:
        """None when the rating does not belong to this resident's closed appeal. Staff hear
        of the first rating only; pressing another star later just replaces it."""
        appeal = await uow.appeals.get(action.appeal_id)
        if appeal is None or appeal.resident_id != resident.id:
            return None
        if appeal.status is not AppealStatus.CLOSED:
            return None
        now = self._clock()
        await uow.appeals.update(appeal.id, rating=action.stars)
        await uow.appeals.log(
            appeal.id, "rated", now, actor=str(resident.key), details={"stars": action.stars}
        )
        if appeal.rating is None:
            notice = staff_texts.RATED.format(number=appeal.number, stars=action.stars)
            await self._tell_staff(uow, appeal, resident, notice)
        return Reply(texts.THANKS_FOR_RATING)

    def rating_request(self, appeal: Appeal) -> Reply:
        row = tuple(Button(str(stars), RateAction(appeal.id, stars)) for stars in range(1, 6))
        return Reply(texts.appeal_closed(appeal.number), buttons=(row,))

    async def close(
        self, uow: UnitOfWork, appeal: Appeal, resident: Resident, actor: str, kind: str = "closed"
    ) -> Appeal:
        """Close and ask the resident for a rating (a failed delivery does not undo it)."""
        now = self._clock()
        appeal = await uow.appeals.update(appeal.id, status=AppealStatus.CLOSED, closed_at=now)
        await uow.appeals.log(appeal.id, kind, now, actor=actor)
        await self.send_to_resident(uow, resident, self.rating_request(appeal), appeal)
        return appeal

    async def send_to_resident(
        self, uow: UnitOfWork, resident: Resident, reply: Reply, appeal: Appeal
    ) -> list[str]:
        """Send on the resident's own platform and record it; raises DeliveryError."""
        messenger = self._messengers[resident.platform]
        chat_id = resident.key.external_id
        try:
            message_ids = await messenger.send(chat_id, reply)
        except DeliveryError as error:
            if error.unreachable:
                await uow.appeals.set_reachable(resident.id, False)
            await uow.exchanges.add(
                resident_id=resident.id,
                platform=resident.platform,
                direction="out",
                kind="undelivered",
                text=reply.text,
                chat_id=chat_id,
                appeal_id=appeal.id,
                created_at=self._clock(),
            )
            raise
        await uow.exchanges.add(
            resident_id=resident.id,
            platform=resident.platform,
            direction="out",
            kind="staff" if reply.attachments or not reply.buttons else "text",
            text=reply.text,
            chat_id=chat_id,
            platform_message_id=",".join(message_ids) or None,
            appeal_id=appeal.id,
            attachments=reply.attachments,
            created_at=self._clock(),
        )
        return message_ids

    async def tick(self) -> None:
        """Scheduled work: reminders, overdue notices and auto-closing. What was done is in
        the event log, so a restart neither repeats nor loses any of it."""
        await self._remind()
        await self._autoclose()

    async def _remind(self) -> None:
        now = self._clock()
        async with self._database.unit_of_work() as uow:
            waiting = await uow.appeals.with_status(AWAITING_STAFF)
        for appeal in waiting:
            if now >= appeal.deadline_at:
                kind, template = "overdue", staff_texts.OVERDUE
            elif self.calendar.working_hours_between(now, appeal.deadline_at) <= (
                self._policy.reminder_hours
            ):
                kind, template = "reminded", staff_texts.REMINDER
            else:
                continue
            async with self._database.unit_of_work() as uow:
                resident = await uow.residents.get(appeal.resident_id)
                if resident is None or kind in await uow.appeals.event_kinds(appeal.id):
                    continue
                await uow.appeals.log(appeal.id, kind, now, actor=SYSTEM)
                text = template.format(
                    number=appeal.number, deadline=self.moment(appeal.deadline_at)
                )
                # Not committed unless posted: a failed reminder is tried again next time.
                await self.desk.post_about(uow, appeal, resident, text, now)
                await uow.commit()

    async def _autoclose(self) -> None:
        now = self._clock()
        quiet_since = now - timedelta(days=self._policy.autoclose_days)
        async with self._database.unit_of_work() as uow:
            answered = await uow.appeals.with_status((AppealStatus.ANSWERED,))
        for appeal in answered:
            if max(appeal.answered_at or now, appeal.last_activity_at) > quiet_since:
                continue
            async with self._database.unit_of_work() as uow:
                current = await uow.appeals.get(appeal.id)
                resident = await uow.residents.get(appeal.resident_id)
                if current is None or current.status is not AppealStatus.ANSWERED:
                    continue
                assert resident is not None
                try:
                    await self.close(uow, current, resident, SYSTEM, kind="autoclosed")
                except DeliveryError as error:
                    logger.info("Rating request for %s not delivered: %s", appeal.number, error)
                notice = staff_texts.AUTOCLOSED.format(
                    number=appeal.number, days=f"{self._policy.autoclose_days:g}"
                )
                await self._tell_staff(uow, current, resident, notice)
                await uow.commit()

    async def _tell_staff(
        self, uow: UnitOfWork, appeal: Appeal, resident: Resident, text: str
    ) -> None:
        """A notice staff should see; the resident's action stands even if it cannot be posted."""
        try:
            await self.desk.post_about(uow, appeal, resident, text, self._clock())
        except DeliveryError as error:
            logger.warning("Staff chat notice about %s not delivered: %s", appeal.number, error)
