"""Personal data under 152-ФЗ: consent before an appeal is kept, erasure on request, and
anonymisation after the retention period. Counts always stay: rows are kept, texts and names
go."""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.core import staff_texts, texts
from bot.core.actions import ConsentAction, ForgetAction
from bot.core.messages import Button, Platform, Reply, ResidentKey
from bot.core.ports import Clock, DeliveryError, utc_now
from bot.core.staff import NUMBER, StaffMessage, StaffResult
from bot.core.staffdesk import StaffDesk
from bot.storage.database import Database, UnitOfWork
from bot.storage.records import ACTIVE_STATUSES, AppealStatus, Resident

logger = logging.getLogger(__name__)

CONSENT_STATE = "consent"


@dataclass(frozen=True)
class PrivacyPolicy:
    url: str
    version: str
    retention_days: int


class PrivacyService:
    def __init__(
        self,
        database: Database,
        desk: StaffDesk,
        policy: PrivacyPolicy,
        clock: Clock = utc_now,
    ) -> None:
        self._database = database
        self._desk = desk
        self._policy = policy
        self._clock = clock

    def consented(self, resident: Resident) -> bool:
        return resident.consent_version == self._policy.version and not resident.consent_declined

    def declined(self, resident: Resident) -> bool:
        """Declined the current policy: texts are not kept and nothing goes to staff."""
        return resident.consent_version == self._policy.version and resident.consent_declined

    async def ask(self, uow: UnitOfWork, resident: Resident, pending: dict[str, Any]) -> Reply:
        """Show the notice; what was about to become an appeal waits in the resident's state."""
        await uow.states.set(resident.key, CONSENT_STATE, pending, self._clock())
        buttons = (
            (
                Button(texts.CONSENT_ACCEPT, ConsentAction(accept=True)),
                Button(texts.CONSENT_DECLINE, ConsentAction(accept=False)),
            ),
        )
        return Reply(
            texts.consent_notice(self._policy.url, self._policy.retention_days), buttons=buttons
        )

    async def answer(
        self, uow: UnitOfWork, resident: Resident, action: ConsentAction
    ) -> dict[str, Any] | None:
        """Record the choice; returns what was waiting for consent, if it was accepted."""
        state = await uow.states.get(resident.key)
        pending = state.data if state is not None and state.state == CONSENT_STATE else None
        await uow.states.clear(resident.key)
        await uow.residents.set_consent(
            resident.id, self._policy.version, accepted=action.accept, at=self._clock()
        )
        if action.accept:
            return pending or {}
        exchange_ids = [int(i) for i in (pending or {}).get("exchange_ids", [])]
        await uow.exchanges.erase_texts(exchange_ids=exchange_ids)
        return None

    def forget_prompt(self) -> Reply:
        buttons = (
            (
                Button(texts.FORGET_YES, ForgetAction(confirm=True)),
                Button(texts.FORGET_NO, ForgetAction(confirm=False)),
            ),
        )
        return Reply(texts.FORGET_CONFIRM, buttons=buttons)

    async def forget(self, uow: UnitOfWork, resident: Resident, actor: str) -> int:
        """Erase the resident's personal data and texts; open appeals are closed with a note in
        the staff chat. Returns how many appeals were touched."""
        now = self._clock()
        appeals = await uow.appeals.for_resident(resident.id)
        for appeal in appeals:
            if appeal.status in ACTIVE_STATUSES:
                await uow.appeals.update(appeal.id, status=AppealStatus.CLOSED, closed_at=now)
                await uow.appeals.log(appeal.id, "closed", now, actor=actor)
                await self._notify(
                    staff_texts.FORGOTTEN_BY_RESIDENT.format(number=appeal.number),
                    appeal.staff_chat_id,
                )
            await uow.appeals.log(appeal.id, "anonymised", now, actor=actor)
        await uow.exchanges.erase_texts(resident_id=resident.id)
        await uow.privacy.erase_poll_answers(resident.id)
        await uow.states.clear(resident.key)
        await uow.residents.anonymise(resident.id, now)
        return len(appeals)

    async def forget_command(
        self, uow: UnitOfWork, message: StaffMessage, argument: str
    ) -> StaffResult:
        """`/forget 2026-0042` or `/forget telegram:123` for a resident who asked through
        another channel."""
        resident = await self._resident_for(uow, argument.strip())
        if resident is None:
            return StaffResult(Reply(staff_texts.FORGET_TARGET))
        actor = f"{message.platform}:{message.user_id}"
        count = await self.forget(uow, resident, actor)
        text = staff_texts.FORGOTTEN_BY_STAFF.format(
            staff=html.escape(message.user_name), count=count
        )
        return StaffResult(Reply(text, html=True))

    async def _resident_for(self, uow: UnitOfWork, argument: str) -> Resident | None:
        match = NUMBER.fullmatch(argument)
        if match:
            appeal = await uow.appeals.by_number(int(match.group(1)), int(match.group(2)))
            return await uow.residents.get(appeal.resident_id) if appeal else None
        platform, _, external_id = argument.partition(":")
        if platform not in {p.value for p in Platform} or not external_id:
            return None
        return await uow.residents.find(ResidentKey(Platform(platform), external_id))

    async def retention_tick(self) -> None:
        """Anonymise texts of appeals closed longer than the retention period ago, and names of
        residents not seen for as long."""
        before = self._clock() - timedelta(days=self._policy.retention_days)
        async with self._database.unit_of_work() as uow:
            appeal_ids = await uow.appeals.closed_before(before)
            erased = await uow.exchanges.erase_texts(appeal_ids=appeal_ids)
            idle = await uow.residents.idle_since(before)
            await uow.residents.clear_names(idle)
            await uow.commit()
        if erased or idle:
            logger.info(
                "Retention: %d message text(s) and %d resident name(s) anonymised",
                erased,
                len(idle),
            )

    async def _notify(self, text: str, chat_id: str | None) -> None:
        try:
            await self._desk.notify(text, chat_id=chat_id)
        except DeliveryError as error:
            logger.warning("Staff chat notice not delivered: %s", error)
