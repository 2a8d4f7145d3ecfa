"""Which forum topic of a staff chat belongs to which resident. Never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import ForumTopicRow


@dataclass(frozen=True)
class ForumTopic:
    staff_chat_id: str
    resident_id: int
    topic_id: str
    name: str
    closed: bool


def _topic(row: ForumTopicRow) -> ForumTopic:
    return ForumTopic(
        staff_chat_id=row.staff_chat_id,
        resident_id=row.resident_id,
        topic_id=row.topic_id,
        name=row.name,
        closed=row.closed,
    )


class TopicRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def for_resident(self, staff_chat_id: str, resident_id: int) -> ForumTopic | None:
        row = await self._row(staff_chat_id, resident_id)
        return _topic(row) if row else None

    async def by_topic(self, staff_chat_id: str, topic_id: str) -> ForumTopic | None:
        row = await self._session.scalar(
            select(ForumTopicRow).where(
                ForumTopicRow.staff_chat_id == staff_chat_id, ForumTopicRow.topic_id == topic_id
            )
        )
        return _topic(row) if row else None

    async def open_topics(self) -> list[ForumTopic]:
        rows = await self._session.scalars(
            select(ForumTopicRow).where(ForumTopicRow.closed.is_(False)).order_by(ForumTopicRow.id)
        )
        return [_topic(row) for row in rows]

    async def save(
        self, staff_chat_id: str, resident_id: int, topic_id: str, name: str, at: datetime
    ) -> ForumTopic:
        """The resident's (new or recreated) open topic."""
        row = await self._row(staff_chat_id, resident_id)
        if row is None:
            row = ForumTopicRow(
                staff_chat_id=staff_chat_id,
                resident_id=resident_id,
                topic_id=topic_id,
                name=name,
                closed=False,
                created_at=at,
                updated_at=at,
            )
            self._session.add(row)
        else:
            row.topic_id, row.name, row.closed, row.updated_at = topic_id, name, False, at
        await self._session.flush()
        return _topic(row)

    async def update(
        self,
        staff_chat_id: str,
        resident_id: int,
        at: datetime,
        *,
        name: str | None = None,
        closed: bool | None = None,
    ) -> None:
        row = await self._row(staff_chat_id, resident_id)
        if row is None:
            return
        if name is not None:
            row.name = name
        if closed is not None:
            row.closed = closed
        row.updated_at = at
        await self._session.flush()

    async def _row(self, staff_chat_id: str, resident_id: int) -> ForumTopicRow | None:
        return await self._session.scalar(
            select(ForumTopicRow).where(
                ForumTopicRow.staff_chat_id == staff_chat_id,
                ForumTopicRow.resident_id == resident_id,
            )
        )
