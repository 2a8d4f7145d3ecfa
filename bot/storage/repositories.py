"""Repositories: queries over one session. They never commit; the service that owns the unit
of work does."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Attachment, Platform, ResidentKey
from bot.storage.models import (
    ConversationStateRow,
    ExchangeRow,
    InboxRow,
    ResidentRow,
    TransportStateRow,
)
from bot.storage.records import (
    ConversationState,
    Exchange,
    InboxItem,
    InboxRecord,
    Resident,
    attachment_from_json,
    attachment_to_json,
)
from faq.decision import Candidate

PENDING = "pending"
DONE = "done"
FAILED = "failed"


def _resident(row: ResidentRow) -> Resident:
    return Resident(
        id=row.id,
        key=ResidentKey(Platform(row.platform), row.external_id),
        display_name=row.display_name,
        username=row.username,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        banned=row.banned,
        reachable=row.reachable,
        consent_version=row.consent_version,
        consent_declined=row.consent_declined,
    )


def _exchange(row: ExchangeRow) -> Exchange:
    return Exchange(
        id=row.id,
        resident_id=row.resident_id,
        platform=Platform(row.platform),
        direction=row.direction,
        kind=row.kind,
        text=row.text,
        chat_id=row.chat_id,
        platform_message_id=row.platform_message_id,
        outcome=row.outcome,
        faq_entry_id=row.faq_entry_id,
        faq_score=row.faq_score,
        candidates=tuple(
            Candidate(item["entry_id"], float(item["score"])) for item in row.candidates or ()
        ),
        feedback=row.feedback,
        appeal_id=row.appeal_id,
        created_at=row.created_at,
        attachments=tuple(attachment_from_json(item) for item in row.attachments or ()),
    )


class ResidentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def touch(
        self, key: ResidentKey, display_name: str | None, username: str | None, now: datetime
    ) -> Resident:
        """The resident behind `key`, created on first contact; names follow the platform."""
        # Locked first, so an erasure of this resident waits for the turn or the turn for it
        # (and then finds the identity gone and starts a new contact).
        row = await self._session.scalar(
            select(ResidentRow)
            .where(
                ResidentRow.platform == key.platform.value,
                ResidentRow.external_id == key.external_id,
            )
            .with_for_update()
        )
        if row is None:
            row = ResidentRow(
                platform=key.platform.value,
                external_id=key.external_id,
                display_name=display_name,
                username=username,
                first_seen=now,
                last_seen=now,
                banned=False,
                reachable=True,
                consent_declined=False,
            )
            self._session.add(row)
        else:
            row.last_seen = now
            if not row.consent_declined:
                row.display_name = display_name or row.display_name
                row.username = username or row.username
        await self._session.flush()
        return _resident(row)

    async def get(self, resident_id: int) -> Resident | None:
        row = await self._session.get(ResidentRow, resident_id)
        return _resident(row) if row else None

    async def set_consent(
        self, resident_id: int, version: str, *, accepted: bool, at: datetime
    ) -> None:
        await self._session.execute(
            update(ResidentRow)
            .where(ResidentRow.id == resident_id)
            .values(
                consent_version=version,
                consent_declined=not accepted,
                consent_at=at,
                **({} if accepted else {"display_name": None, "username": None}),
            )
        )

    async def lock(self, resident_id: int) -> Resident | None:
        """The resident, locked until the transaction ends (on SQLite every transaction
        already holds the write lock)."""
        row = await self._session.scalar(
            select(ResidentRow)
            .where(ResidentRow.id == resident_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return _resident(row) if row else None

    async def idle_since(self, before: datetime) -> list[int]:
        """Residents not seen since `before` whose names are still kept."""
        rows = await self._session.scalars(
            select(ResidentRow.id).where(
                ResidentRow.last_seen < before,
                ResidentRow.anonymised_at.is_(None),
                ResidentRow.display_name.is_not(None) | ResidentRow.username.is_not(None),
            )
        )
        return list(rows)

    async def clear_names(self, resident_ids: Sequence[int]) -> None:
        await self._session.execute(
            update(ResidentRow)
            .where(ResidentRow.id.in_(resident_ids))
            .values(display_name=None, username=None)
        )

    async def find(self, key: ResidentKey) -> Resident | None:
        row = await self._session.scalar(
            select(ResidentRow).where(
                ResidentRow.platform == key.platform.value,
                ResidentRow.external_id == key.external_id,
            )
        )
        return _resident(row) if row else None


class ExchangeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        *,
        resident_id: int,
        platform: Platform,
        direction: str,
        kind: str,
        text: str | None,
        chat_id: str,
        created_at: datetime,
        platform_message_id: str | None = None,
        in_reply_to_id: int | None = None,
        inbox_id: int | None = None,
        appeal_id: int | None = None,
        attachments: Sequence[Attachment] = (),
        keep_text: bool = True,
    ) -> int:
        """Record a message; without `keep_text` only its length is kept (no consent), and
        the platform update it came in is emptied as well."""
        row = ExchangeRow(
            resident_id=resident_id,
            platform=platform.value,
            direction=direction,
            kind=kind,
            text=text if keep_text else None,
            text_length=len(text or ""),
            chat_id=chat_id,
            platform_message_id=platform_message_id,
            in_reply_to_id=in_reply_to_id,
            inbox_id=inbox_id,
            appeal_id=appeal_id,
            attachments=([attachment_to_json(item) for item in attachments] if keep_text else [])
            or None,
            created_at=created_at,
        )
        self._session.add(row)
        await self._session.flush()
        if not keep_text and inbox_id is not None:
            await self._empty_updates(select(ExchangeRow.inbox_id).where(ExchangeRow.id == row.id))
        return row.id

    async def _empty_updates(self, inbox_ids: Select[Any]) -> None:
        """The stored platform updates lose their content (the row stays, so a re-delivery
        is still recognised)."""
        await self._session.execute(
            update(InboxRow).where(InboxRow.id.in_(inbox_ids)).values(payload={})
        )

    async def empty_updates_of(self, resident_id: int) -> None:
        """Empty the stored platform updates of everything the resident sent (names and texts
        as they arrived); only updates already being handled have an exchange."""
        await self._empty_updates(
            select(ExchangeRow.inbox_id).where(ExchangeRow.resident_id == resident_id)
        )

    async def record_decision(
        self,
        exchange_id: int,
        *,
        outcome: str,
        entry_id: str | None,
        score: float | None,
        candidates: Sequence[Candidate],
    ) -> None:
        await self._session.execute(
            update(ExchangeRow)
            .where(ExchangeRow.id == exchange_id)
            .values(
                outcome=outcome,
                faq_entry_id=entry_id,
                faq_score=score,
                candidates=[{"entry_id": c.entry_id, "score": c.score} for c in candidates],
            )
        )

    async def erase_texts(
        self,
        *,
        resident_id: int | None = None,
        appeal_ids: Sequence[int] = (),
        exchange_ids: Sequence[int] = (),
    ) -> int:
        """Drop texts and media handles of a resident's exchanges, or of those of some appeals
        or ids; the rows, their lengths and decisions stay, so counts do not change."""
        query = update(ExchangeRow).where(
            ExchangeRow.text.is_not(None) | ExchangeRow.attachments.is_not(None)
        )
        if resident_id is not None:
            query = query.where(ExchangeRow.resident_id == resident_id)
        else:
            query = query.where(
                ExchangeRow.appeal_id.in_(appeal_ids) | ExchangeRow.id.in_(exchange_ids)
            )
        if exchange_ids:
            await self._empty_updates(
                select(ExchangeRow.inbox_id).where(ExchangeRow.id.in_(exchange_ids))
            )
        result = await self._session.execute(query.values(text=None, attachments=None))
        return int(getattr(result, "rowcount", 0))

    async def record_feedback(self, exchange_id: int, feedback: str, at: datetime) -> None:
        await self._session.execute(
            update(ExchangeRow)
            .where(ExchangeRow.id == exchange_id)
            .values(feedback=feedback, feedback_at=at)
        )

    async def get(self, exchange_id: int) -> Exchange | None:
        row = await self._session.get(ExchangeRow, exchange_id)
        return _exchange(row) if row else None

    async def attach_to_appeal(self, exchange_ids: Sequence[int], appeal_id: int) -> None:
        await self._session.execute(
            update(ExchangeRow).where(ExchangeRow.id.in_(exchange_ids)).values(appeal_id=appeal_id)
        )

    async def for_resident(self, resident_id: int) -> list[Exchange]:
        rows = await self._session.scalars(
            select(ExchangeRow)
            .where(ExchangeRow.resident_id == resident_id)
            .order_by(ExchangeRow.id)
        )
        return [_exchange(row) for row in rows]


class InboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_new(
        self, transport: str, items: Sequence[InboxItem], now: datetime
    ) -> list[InboxRecord]:
        """Store the items not seen before; a re-delivered update key is skipped."""
        if not items:
            return []
        keys = [item.update_key for item in items]
        known = set(
            await self._session.scalars(
                select(InboxRow.update_key).where(
                    InboxRow.transport == transport, InboxRow.update_key.in_(keys)
                )
            )
        )
        rows = []
        for item in items:
            if item.update_key in known:
                continue
            known.add(item.update_key)
            rows.append(
                InboxRow(
                    transport=transport,
                    update_key=item.update_key,
                    ordering_key=item.ordering_key,
                    payload=item.payload,
                    status=PENDING,
                    attempts=0,
                    received_at=now,
                )
            )
        self._session.add_all(rows)
        await self._session.flush()
        return [_inbox(row) for row in rows]

    async def pending(self, transport: str) -> list[InboxRecord]:
        rows = await self._session.scalars(
            select(InboxRow)
            .where(InboxRow.transport == transport, InboxRow.status == PENDING)
            .order_by(InboxRow.id)
        )
        return [_inbox(row) for row in rows]

    async def mark_done(self, inbox_id: int, now: datetime) -> bool:
        """True when this call finished the update; False if it was already done."""
        result = await self._session.execute(
            update(InboxRow)
            .where(InboxRow.id == inbox_id, InboxRow.status == PENDING)
            .values(status=DONE, done_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    async def record_failure(self, inbox_id: int, error: str, *, give_up: bool) -> None:
        values: dict[str, Any] = {"attempts": InboxRow.attempts + 1, "error": error[:2000]}
        if give_up:
            values["status"] = FAILED
        await self._session.execute(
            update(InboxRow)
            .where(InboxRow.id == inbox_id, InboxRow.status == PENDING)
            .values(**values)
        )

    async def prune_done(self, before: datetime) -> int:
        """Handled updates finished before `before`, and failed ones received before it."""
        old = select(InboxRow.id).where(
            ((InboxRow.status == DONE) & (InboxRow.done_at < before))
            | ((InboxRow.status == FAILED) & (InboxRow.received_at < before))
        )
        return await delete_inbox_rows(self._session, old)

    async def depth(self) -> tuple[int, datetime | None]:
        """Pending updates and the time the oldest of them arrived."""
        count, oldest = (
            await self._session.execute(
                select(func.count(InboxRow.id), func.min(InboxRow.received_at)).where(
                    InboxRow.status == PENDING
                )
            )
        ).one()
        return int(count), oldest


async def delete_inbox_rows(session: AsyncSession, ids: Select[Any] | list[int]) -> int:
    """Delete platform updates; the exchanges recorded from them stay, without the link."""
    await session.execute(
        update(ExchangeRow).where(ExchangeRow.inbox_id.in_(ids)).values(inbox_id=None)
    )
    result = await session.execute(delete(InboxRow).where(InboxRow.id.in_(ids)))
    return int(getattr(result, "rowcount", 0))


def _inbox(row: InboxRow) -> InboxRecord:
    return InboxRecord(
        id=row.id,
        transport=row.transport,
        update_key=row.update_key,
        ordering_key=row.ordering_key,
        payload=row.payload,
        attempts=row.attempts,
        received_at=row.received_at,
    )


class TransportStateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, key: str) -> str | None:
        row = await self._session.get(TransportStateRow, key)
        return row.value if row else None

    async def set(self, key: str, value: str, now: datetime) -> None:
        row = await self._session.get(TransportStateRow, key)
        if row is None:
            self._session.add(TransportStateRow(key=key, value=value, updated_at=now))
        else:
            row.value = value
            row.updated_at = now
        await self._session.flush()


class ConversationStateRepository:
    """Multi-step flow state per `(platform, external_id)` of a resident or staff member."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, key: ResidentKey) -> ConversationState | None:
        row = await self._row(key)
        return ConversationState(row.state, dict(row.data), row.updated_at) if row else None

    async def set(self, key: ResidentKey, state: str, data: dict[str, Any], now: datetime) -> None:
        row = await self._row(key)
        if row is None:
            self._session.add(
                ConversationStateRow(
                    platform=key.platform.value,
                    external_id=key.external_id,
                    state=state,
                    data=data,
                    updated_at=now,
                )
            )
        else:
            row.state, row.data, row.updated_at = state, data, now
        await self._session.flush()

    async def clear(self, key: ResidentKey) -> None:
        await self._session.execute(
            delete(ConversationStateRow).where(
                ConversationStateRow.platform == key.platform.value,
                ConversationStateRow.external_id == key.external_id,
            )
        )

    async def _row(self, key: ResidentKey) -> ConversationStateRow | None:
        return await self._session.scalar(
            select(ConversationStateRow).where(
                ConversationStateRow.platform == key.platform.value,
                ConversationStateRow.external_id == key.external_id,
            )
        )
