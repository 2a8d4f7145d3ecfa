"""Broadcasts with one delivery row per resident, and residents' announcement subscriptions.
Repositories never commit; the broadcaster commits each delivery on its own."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    Select,
    String,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Attachment, AttachmentKind, Platform
from bot.storage.models import (
    BroadcastAttachmentRow,
    BroadcastRow,
    DeliveryRow,
    NotificationSettingsRow,
    ResidentRow,
    SubscriptionRow,
)

SCHEDULED = "scheduled"
SENDING = "sending"
DONE = "done"

PENDING = "pending"
SENT = "sent"
FAILED = "failed"
BLOCKED = "blocked"

# Bound parameters per statement stay far below SQLite's and asyncpg's limits (32,766).
ID_CHUNK = 5000


@dataclass(frozen=True)
class NotificationSettings:
    asked_at: datetime | None
    answer: str | None
    opted_out: bool


@dataclass(frozen=True)
class BroadcastButton:
    text: str
    payload: str


@dataclass(frozen=True)
class Broadcast:
    id: int
    kind: str
    subject_id: int | None
    text: str
    html: bool
    buttons: tuple[tuple[BroadcastButton, ...], ...]
    attachments: tuple[Attachment, ...]
    topic: str | None
    emergency: bool
    platforms: frozenset[Platform]
    staff_chat_id: str | None
    created_by: str | None
    status: str
    created_at: datetime
    scheduled_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    total: int
    progress_step: int
    reported_at: datetime | None


@dataclass(frozen=True)
class Delivery:
    id: int
    broadcast_id: int
    resident_id: int
    platform: Platform
    chat_id: str


@dataclass(frozen=True)
class Tally:
    total: int
    sent: int
    failed: int
    blocked: int

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.blocked

    @property
    def pending(self) -> int:
        return self.total - self.done


class SubscriptionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def settings(self, resident_id: int) -> NotificationSettings | None:
        row = await self._session.get(NotificationSettingsRow, resident_id)
        return NotificationSettings(row.asked_at, row.answer, row.opted_out) if row else None

    async def mark_asked(self, resident_id: int, now: datetime) -> bool:
        """True when the resident had never been asked (and now has)."""
        row = await self._row(resident_id, now)
        if row.asked_at is not None:
            return False
        row.asked_at = now
        await self._session.flush()
        return True

    async def record_answer(self, resident_id: int, answer: str, now: datetime) -> None:
        row = await self._row(resident_id, now)
        row.answer, row.updated_at = answer, now
        await self._session.flush()

    async def topics(self, resident_id: int) -> set[str]:
        rows = await self._session.scalars(
            select(SubscriptionRow.topic).where(SubscriptionRow.resident_id == resident_id)
        )
        return set(rows)

    async def set_topics(
        self, resident_id: int, topics: Iterable[str], *, on: bool, now: datetime
    ) -> None:
        """Subscribing to anything also lifts an opt-out of everything."""
        wanted = set(topics)
        if not on:
            await self._session.execute(
                delete(SubscriptionRow).where(
                    SubscriptionRow.resident_id == resident_id, SubscriptionRow.topic.in_(wanted)
                )
            )
            return
        missing = wanted - await self.topics(resident_id)
        self._session.add_all(
            SubscriptionRow(resident_id=resident_id, topic=topic, created_at=now)
            for topic in sorted(missing)
        )
        row = await self._row(resident_id, now)
        row.opted_out, row.updated_at = False, now
        await self._session.flush()

    async def opt_out(self, resident_id: int, now: datetime) -> None:
        """No topics and no emergency alerts, until the resident subscribes again."""
        await self._session.execute(
            delete(SubscriptionRow).where(SubscriptionRow.resident_id == resident_id)
        )
        row = await self._row(resident_id, now)
        row.opted_out, row.updated_at = True, now
        await self._session.flush()

    async def blocked_bot(self, resident_id: int, now: datetime) -> None:
        await self.opt_out(resident_id, now)
        await self._session.execute(
            update(ResidentRow).where(ResidentRow.id == resident_id).values(reachable=False)
        )

    async def _row(self, resident_id: int, now: datetime) -> NotificationSettingsRow:
        row = await self._session.get(NotificationSettingsRow, resident_id)
        if row is None:
            row = NotificationSettingsRow(resident_id=resident_id, opted_out=False, updated_at=now)
            self._session.add(row)
        return row


class BroadcastRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def create(
        self,
        *,
        kind: str,
        subject_id: int | None,
        text: str,
        html: bool,
        buttons: Sequence[Sequence[BroadcastButton]],
        attachments: Sequence[Attachment],
        topic: str | None,
        emergency: bool,
        platforms: Collection[Platform],
        resident_ids: Collection[int] | None,
        staff_chat_id: str | None,
        created_by: str | None,
        scheduled_at: datetime,
        now: datetime,
    ) -> int:
        row = BroadcastRow(
            kind=kind,
            subject_id=subject_id,
            text=text,
            html=html,
            buttons=[[{"text": b.text, "payload": b.payload} for b in row] for row in buttons]
            or None,
            topic=topic,
            emergency=emergency,
            platforms=sorted(platform.value for platform in platforms),
            resident_ids=sorted(resident_ids) if resident_ids is not None else None,
            staff_chat_id=staff_chat_id,
            created_by=created_by,
            status=SCHEDULED,
            created_at=now,
            scheduled_at=scheduled_at,
            total=0,
            progress_step=0,
        )
        self._session.add(row)
        await self._session.flush()
        self._session.add_all(
            BroadcastAttachmentRow(
                broadcast_id=row.id,
                position=position,
                kind=attachment.kind.value,
                ref=attachment.ref,
                platform=attachment.platform.value if attachment.platform else None,
                file_name=attachment.file_name,
                data=attachment.data,
            )
            for position, attachment in enumerate(attachments)
        )
        await self._session.flush()
        return row.id

    async def get(self, broadcast_id: int) -> Broadcast | None:
        row = await self._session.get(BroadcastRow, broadcast_id)
        if row is None:
            return None
        media = await self._session.scalars(
            select(BroadcastAttachmentRow)
            .where(BroadcastAttachmentRow.broadcast_id == broadcast_id)
            .order_by(BroadcastAttachmentRow.position)
        )
        return _broadcast(row, tuple(_attachment(item) for item in media))

    async def due(self, now: datetime) -> list[int]:
        rows = await self._session.scalars(
            select(BroadcastRow.id)
            .where(BroadcastRow.status == SCHEDULED, BroadcastRow.scheduled_at <= now)
            .order_by(BroadcastRow.emergency.desc(), BroadcastRow.id)
        )
        return list(rows)

    async def start(
        self, broadcast_id: int, available: Collection[Platform], now: datetime
    ) -> int | None:
        """Claim a scheduled broadcast and create its deliveries; None if another worker
        claimed it first. Returns the number of recipients."""
        claimed = await self._session.execute(
            update(BroadcastRow)
            .where(BroadcastRow.id == broadcast_id, BroadcastRow.status == SCHEDULED)
            .values(status=SENDING, started_at=now)
        )
        if getattr(claimed, "rowcount", 0) != 1:
            return None
        platforms, topic, emergency, resident_ids = (
            await self._session.execute(
                select(
                    BroadcastRow.platforms,
                    BroadcastRow.topic,
                    BroadcastRow.emergency,
                    BroadcastRow.resident_ids,
                ).where(BroadcastRow.id == broadcast_id)
            )
        ).one()
        reachable = [p for p in platforms if Platform(p) in available]
        # The console is a trial of the bot: while it runs, it is shown every broadcast.
        if Platform.CONSOLE in available and Platform.CONSOLE.value not in reachable:
            reachable.append(Platform.CONSOLE.value)
        priority = 1 if emergency else 0
        for audience in _audiences(reachable, topic, emergency, resident_ids):
            source = audience.with_only_columns(
                literal(broadcast_id, BigInteger()),
                ResidentRow.id,
                ResidentRow.platform,
                ResidentRow.external_id,
                literal(priority, Integer()),
                literal(PENDING, String()),
                literal(0, Integer()),
            )
            await self._session.execute(
                insert(DeliveryRow).from_select(
                    [
                        "broadcast_id",
                        "resident_id",
                        "platform",
                        "chat_id",
                        "priority",
                        "status",
                        "attempts",
                    ],
                    source,
                )
            )
        total = int(
            await self._session.scalar(
                select(func.count(DeliveryRow.id)).where(DeliveryRow.broadcast_id == broadcast_id)
            )
            or 0
        )
        await self._session.execute(
            update(BroadcastRow).where(BroadcastRow.id == broadcast_id).values(total=total)
        )
        return total

    async def audience_size(
        self,
        platforms: Collection[Platform],
        topic: str | None,
        emergency: bool,
        resident_ids: Collection[int] | None,
    ) -> int:
        size = 0
        for audience in _audiences([p.value for p in platforms], topic, emergency, resident_ids):
            count = audience.with_only_columns(func.count(ResidentRow.id))
            size += int(await self._session.scalar(count) or 0)
        return size

    async def queue(
        self, platform: Platform, limit: int, exclude: Collection[int] = ()
    ) -> list[Delivery]:
        """Pending deliveries on `platform`, emergencies first, skipping those in hand."""
        rows = await self._session.execute(
            select(
                DeliveryRow.id,
                DeliveryRow.broadcast_id,
                DeliveryRow.resident_id,
                DeliveryRow.chat_id,
            )
            .where(DeliveryRow.status == PENDING, DeliveryRow.platform == platform.value)
            .order_by(DeliveryRow.priority.desc(), DeliveryRow.id)
            .limit(limit + len(exclude))
        )
        found = [
            Delivery(row.id, row.broadcast_id, row.resident_id, platform, row.chat_id)
            for row in rows
            if row.id not in exclude
        ]
        return found[:limit]

    async def finish_delivery(
        self,
        delivery_id: int,
        status: str,
        now: datetime,
        *,
        attempts: int,
        message_ids: Sequence[str] = (),
        error: str | None = None,
    ) -> bool:
        """Record the outcome of a pending delivery; False if it was no longer pending."""
        result = await self._session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id == delivery_id, DeliveryRow.status == PENDING)
            .values(
                status=status,
                attempts=attempts,
                message_ids=",".join(message_ids)[:256] or None,
                error=error[:2000] if error else None,
                sent_at=now if status == SENT else None,
            )
        )
        return bool(getattr(result, "rowcount", 0))

    async def sending(self) -> list[Broadcast]:
        """Broadcasts under way, without their media."""
        rows = await self._session.scalars(
            select(BroadcastRow).where(BroadcastRow.status == SENDING).order_by(BroadcastRow.id)
        )
        return [_broadcast(row, ()) for row in rows]

    async def tally(self, broadcast_id: int, total: int) -> Tally:
        rows = await self._session.execute(
            select(DeliveryRow.status, func.count(DeliveryRow.id))
            .where(DeliveryRow.broadcast_id == broadcast_id)
            .group_by(DeliveryRow.status)
        )
        counts = {str(status): int(count) for status, count in rows}
        return Tally(total, counts.get(SENT, 0), counts.get(FAILED, 0), counts.get(BLOCKED, 0))

    async def set_progress(self, broadcast_id: int, step: int, now: datetime) -> None:
        await self._session.execute(
            update(BroadcastRow)
            .where(BroadcastRow.id == broadcast_id)
            .values(progress_step=step, reported_at=now)
        )

    async def finish(self, broadcast_id: int, now: datetime) -> bool:
        """True for the one caller that closed the broadcast (so its tally is posted once)."""
        result = await self._session.execute(
            update(BroadcastRow)
            .where(BroadcastRow.id == broadcast_id, BroadcastRow.status == SENDING)
            .values(status=DONE, finished_at=now, reported_at=now)
        )
        return bool(getattr(result, "rowcount", 0))


def _audiences(
    platforms: Sequence[str],
    topic: str | None,
    emergency: bool,
    resident_ids: Collection[int] | None,
) -> list[Select[Any]]:
    """Residents a broadcast reaches, as one query per chunk of an explicit id list: never
    those who opted out of everything, nor forgotten ones (their identity is gone)."""
    opted_out = select(NotificationSettingsRow.resident_id).where(
        NotificationSettingsRow.opted_out.is_(True)
    )
    query = select(ResidentRow.id).where(
        ResidentRow.platform.in_(platforms),
        ResidentRow.anonymised_at.is_(None),
        ResidentRow.id.not_in(opted_out),
    )
    if topic is not None and not emergency:
        subscribed = select(SubscriptionRow.resident_id).where(SubscriptionRow.topic == topic)
        query = query.where(ResidentRow.id.in_(subscribed))
    if resident_ids is None:
        return [query]
    ids = sorted(resident_ids)
    return [
        query.where(ResidentRow.id.in_(ids[start : start + ID_CHUNK]))
        for start in range(0, len(ids), ID_CHUNK)
    ]


def _broadcast(row: BroadcastRow, attachments: tuple[Attachment, ...]) -> Broadcast:
    return Broadcast(
        id=row.id,
        kind=row.kind,
        subject_id=row.subject_id,
        text=row.text,
        html=row.html,
        buttons=tuple(
            tuple(BroadcastButton(item["text"], item["payload"]) for item in line)
            for line in row.buttons or ()
        ),
        attachments=attachments,
        topic=row.topic,
        emergency=row.emergency,
        platforms=frozenset(Platform(p) for p in row.platforms),
        staff_chat_id=row.staff_chat_id,
        created_by=row.created_by,
        status=row.status,
        created_at=row.created_at,
        scheduled_at=row.scheduled_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        total=row.total,
        progress_step=row.progress_step,
        reported_at=row.reported_at,
    )


def _attachment(row: BroadcastAttachmentRow) -> Attachment:
    return Attachment(
        kind=AttachmentKind(row.kind),
        ref=row.ref,
        platform=Platform(row.platform) if row.platform else None,
        file_name=row.file_name,
        data=row.data,
    )
