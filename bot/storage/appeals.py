"""Appeals, their event log, message links and ban flags. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import (
    AppealEventRow,
    AppealRow,
    CounterRow,
    MessageLinkRow,
    ResidentRow,
)
from bot.storage.records import (
    ACTIVE_STATUSES,
    Appeal,
    AppealStatus,
    MessageLink,
)


def _appeal(row: AppealRow) -> Appeal:
    return Appeal(
        id=row.id,
        year=row.year,
        sequence=row.sequence,
        resident_id=row.resident_id,
        status=AppealStatus(row.status),
        category=row.category,
        urgent=row.urgent,
        staff_chat_id=row.staff_chat_id,
        taken_by=row.taken_by,
        opened_at=row.opened_at,
        deadline_at=row.deadline_at,
        first_response_at=row.first_response_at,
        answered_at=row.answered_at,
        closed_at=row.closed_at,
        last_activity_at=row.last_activity_at,
        rating=row.rating,
    )


def _link(row: MessageLinkRow) -> MessageLink:
    return MessageLink(
        appeal_id=row.appeal_id,
        resident_id=row.resident_id,
        staff_chat_id=row.staff_chat_id,
        staff_message_id=row.staff_message_id,
        resident_chat_id=row.resident_chat_id,
        resident_message_id=row.resident_message_id,
        direction=row.direction,
    )


class AppealRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def next_sequence(self, year: int) -> int:
        """The next appeal number of `year`, safe under concurrent writers (an upsert holds
        the counter row's lock until commit)."""
        dialect = self._session.bind.dialect.name if self._session.bind else "sqlite"
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert(CounterRow)
            .values(name=f"appeal-{year}", value=1)
            .on_conflict_do_update(
                index_elements=[CounterRow.name], set_={"value": CounterRow.value + 1}
            )
            .returning(CounterRow.value)
        )
        return int((await self._session.execute(statement)).scalar_one())

    async def create(
        self,
        *,
        resident_id: int,
        year: int,
        sequence: int,
        opened_at: datetime,
        deadline_at: datetime,
        category: str | None,
        urgent: bool = False,
        staff_chat_id: str | None,
    ) -> Appeal:
        row = AppealRow(
            year=year,
            sequence=sequence,
            resident_id=resident_id,
            status=AppealStatus.OPEN.value,
            category=category,
            urgent=urgent,
            staff_chat_id=staff_chat_id,
            opened_at=opened_at,
            deadline_at=deadline_at,
            last_activity_at=opened_at,
        )
        self._session.add(row)
        await self._session.flush()
        return _appeal(row)

    async def get(self, appeal_id: int) -> Appeal | None:
        row = await self._session.get(AppealRow, appeal_id)
        return _appeal(row) if row else None

    async def by_number(self, year: int, sequence: int) -> Appeal | None:
        row = await self._session.scalar(
            select(AppealRow).where(AppealRow.year == year, AppealRow.sequence == sequence)
        )
        return _appeal(row) if row else None

    async def active_for_resident(self, resident_id: int) -> list[Appeal]:
        rows = await self._session.scalars(
            select(AppealRow)
            .where(
                AppealRow.resident_id == resident_id,
                AppealRow.status.in_([status.value for status in ACTIVE_STATUSES]),
            )
            .order_by(AppealRow.id)
        )
        return [_appeal(row) for row in rows]

    async def for_resident(self, resident_id: int) -> list[Appeal]:
        rows = await self._session.scalars(
            select(AppealRow).where(AppealRow.resident_id == resident_id).order_by(AppealRow.id)
        )
        return [_appeal(row) for row in rows]

    async def opened_since(self, resident_id: int, since: datetime) -> list[datetime]:
        """When the resident's appeals opened after `since` were opened, oldest first."""
        rows = await self._session.scalars(
            select(AppealRow.opened_at)
            .where(AppealRow.resident_id == resident_id, AppealRow.opened_at > since)
            .order_by(AppealRow.opened_at, AppealRow.id)
        )
        return list(rows)

    async def resident_event_since(self, resident_id: int, kind: str, since: datetime) -> bool:
        """Whether an event of `kind` was logged about any of the resident's appeals at or
        after `since`."""
        found = await self._session.scalar(
            select(AppealEventRow.id)
            .join(AppealRow, AppealRow.id == AppealEventRow.appeal_id)
            .where(
                AppealRow.resident_id == resident_id,
                AppealEventRow.kind == kind,
                AppealEventRow.created_at >= since,
            )
            .limit(1)
        )
        return found is not None

    async def closed_before(self, before: datetime) -> list[int]:
        """Ids of closed or cancelled appeals that ended before `before`."""
        rows = await self._session.scalars(
            select(AppealRow.id).where(
                AppealRow.status.in_([AppealStatus.CLOSED.value, AppealStatus.CANCELLED.value]),
                AppealRow.closed_at < before,
            )
        )
        return list(rows)

    async def with_status(
        self, statuses: Sequence[AppealStatus], staff_chat_id: str | None = None
    ) -> list[Appeal]:
        query = select(AppealRow).where(AppealRow.status.in_([s.value for s in statuses]))
        if staff_chat_id is not None:
            query = query.where(AppealRow.staff_chat_id == staff_chat_id)
        rows = await self._session.scalars(query.order_by(AppealRow.deadline_at, AppealRow.id))
        return [_appeal(row) for row in rows]

    async def update(self, appeal_id: int, **values: Any) -> Appeal:
        if "status" in values:
            values["status"] = AppealStatus(values["status"]).value
        await self._session.execute(
            update(AppealRow).where(AppealRow.id == appeal_id).values(**values)
        )
        row = await self._session.get(AppealRow, appeal_id, populate_existing=True)
        assert row is not None
        return _appeal(row)

    async def log(
        self,
        appeal_id: int,
        kind: str,
        at: datetime,
        *,
        actor: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self._session.add(
            AppealEventRow(
                appeal_id=appeal_id, kind=kind, actor=actor, details=details, created_at=at
            )
        )
        await self._session.flush()

    async def event_kinds(self, appeal_id: int) -> list[str]:
        rows = await self._session.scalars(
            select(AppealEventRow.kind)
            .where(AppealEventRow.appeal_id == appeal_id)
            .order_by(AppealEventRow.id)
        )
        return list(rows)

    async def link(
        self,
        *,
        appeal_id: int,
        resident_id: int,
        staff_chat_id: str,
        staff_message_id: str,
        direction: str,
        at: datetime,
        resident_chat_id: str | None = None,
        resident_message_id: str | None = None,
    ) -> None:
        self._session.add(
            MessageLinkRow(
                appeal_id=appeal_id,
                resident_id=resident_id,
                staff_chat_id=staff_chat_id,
                staff_message_id=staff_message_id,
                resident_chat_id=resident_chat_id,
                resident_message_id=resident_message_id,
                direction=direction,
                created_at=at,
            )
        )
        await self._session.flush()

    async def find_link(self, staff_chat_id: str, staff_message_id: str) -> MessageLink | None:
        row = await self._session.scalar(
            select(MessageLinkRow).where(
                MessageLinkRow.staff_chat_id == staff_chat_id,
                MessageLinkRow.staff_message_id == staff_message_id,
            )
        )
        return _link(row) if row else None

    async def set_banned(self, resident_id: int, banned: bool) -> None:
        await self._session.execute(
            update(ResidentRow).where(ResidentRow.id == resident_id).values(banned=banned)
        )

    async def set_reachable(self, resident_id: int, reachable: bool) -> None:
        await self._session.execute(
            update(ResidentRow).where(ResidentRow.id == resident_id).values(reachable=reachable)
        )
