"""Erasure of one resident across every table (152-ФЗ).

`ERASURE_STEPS` lists one step per table that can hold something of a resident; a table added
later gets its own step there. Rows that statistics count stay, with their texts and account
ids gone; rows that exist only to carry data (platform updates, dialog states) are deleted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import (
    AppealEventRow,
    AppealRow,
    BallotRow,
    ConversationStateRow,
    DeliveryRow,
    ExchangeRow,
    InboxRow,
    MessageLinkRow,
    ResidentRow,
)
from bot.storage.records import MessageLink
from bot.storage.repositories import delete_inbox_rows

PENDING = "pending"
# Shorter strings («да», «ок») are too common to tell whose they are.
MIN_TEXT_NEEDLE = 4


@dataclass(frozen=True)
class ErasureSubject:
    """Who is being erased, as the tables spell it, read before anything is changed."""

    resident_id: int
    platform: str
    external_id: str
    names: tuple[str, ...]
    appeal_numbers: tuple[str, ...]
    at: datetime

    @property
    def key(self) -> str:
        """How the resident is named as an actor in the event log."""
        return f"{self.platform}:{self.external_id}"


Step = Callable[[AsyncSession, ErasureSubject], Awaitable[None]]


class PrivacyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def subject(self, resident_id: int, at: datetime) -> ErasureSubject | None:
        resident = await self._session.get(ResidentRow, resident_id)
        if resident is None:
            return None
        appeals = await self._session.execute(
            select(AppealRow.year, AppealRow.sequence).where(AppealRow.resident_id == resident_id)
        )
        return ErasureSubject(
            resident_id=resident.id,
            platform=resident.platform,
            external_id=resident.external_id,
            names=tuple(name for name in (resident.display_name, resident.username) if name),
            appeal_numbers=tuple(f"{year}-{sequence:04d}" for year, sequence in appeals),
            at=at,
        )

    async def staff_posts(self, resident_id: int) -> list[MessageLink]:
        """The bot's own posts about the resident in staff chats, oldest first."""
        rows = await self._session.scalars(
            select(MessageLinkRow)
            .where(MessageLinkRow.resident_id == resident_id, MessageLinkRow.direction == "in")
            .order_by(MessageLinkRow.id)
        )
        return [
            MessageLink(
                appeal_id=row.appeal_id,
                resident_id=row.resident_id,
                staff_chat_id=row.staff_chat_id,
                staff_message_id=row.staff_message_id,
                resident_chat_id=row.resident_chat_id,
                resident_message_id=row.resident_message_id,
                direction=row.direction,
            )
            for row in rows
        ]

    async def erase(self, subject: ErasureSubject) -> None:
        """Run every step, in order: the inbox first, as it finds its rows by the texts the
        later steps erase."""
        for step in ERASURE_STEPS:
            await step(self._session, subject)

    async def erase_trailing(self, subject: ErasureSubject) -> None:
        """What the erasing turn records after the erasure (its reply to the resident, with
        their chat id) goes as well; run right before that turn commits."""
        await _erase_exchanges(self._session, subject)


class _Needles:
    """Tells whether a stored JSON document holds something of the subject.

    `strong` needles name the resident or their appeals and are safe to look for in anybody's
    rows; the resident's texts are only looked for in rows already handled, where a false
    match costs nothing but an old platform update."""

    def __init__(self, subject: ErasureSubject, texts: list[str]) -> None:
        self._account = subject.key
        self._external_id = subject.external_id
        self._numbers = subject.appeal_numbers
        self._names = tuple(name for name in subject.names if len(name) >= 2)
        self._id = re.compile(rf"(?<!\d){re.escape(subject.external_id)}(?!\d)")
        self._id_number = int(subject.external_id) if subject.external_id.isdigit() else None
        self._texts = [text.strip() for text in texts if len(text.strip()) >= MIN_TEXT_NEEDLE]

    def from_resident(self, document: Any) -> bool:
        """Whether the document carries the resident's account id (as platforms send it)."""
        return any(
            value == self._id_number or value == self._external_id
            for value in _values(document)
            if not isinstance(value, bool)
        )

    def strong(self, document: Any) -> bool:
        return any(
            self._account in value or any(number in value for number in self._numbers)
            for value in _strings(document)
        )

    def any(self, document: Any) -> bool:
        for value in _values(document):
            if isinstance(value, bool):
                continue
            if isinstance(value, int):
                if value == self._id_number:
                    return True
                continue
            if (
                self._account in value
                or self._id.search(value)
                or any(name in value for name in self._names)
                or any(number in value for number in self._numbers)
                or self._text_match(value.strip())
            ):
                return True
        return False

    def _text_match(self, value: str) -> bool:
        if len(value) < MIN_TEXT_NEEDLE:
            return False
        return any(value in text or text in value for text in self._texts)


def _values(document: Any) -> Iterator[str | int]:
    if isinstance(document, dict):
        for value in document.values():
            yield from _values(value)
    elif isinstance(document, list):
        for value in document:
            yield from _values(value)
    elif isinstance(document, str | int):
        yield document


def _strings(document: Any) -> Iterator[str]:
    return (value for value in _values(document) if isinstance(value, str))


async def _subject_texts(session: AsyncSession, subject: ErasureSubject) -> list[str]:
    """What the resident wrote and what staff answered them (the bot's generic replies are
    left out: other residents' button presses quote them)."""
    rows = await session.execute(
        select(ExchangeRow.text, ExchangeRow.direction, ExchangeRow.appeal_id).where(
            ExchangeRow.resident_id == subject.resident_id, ExchangeRow.text.is_not(None)
        )
    )
    return [
        text
        for text, direction, appeal_id in rows
        if text is not None and (direction == "in" or appeal_id is not None)
    ]


async def _erase_inbox(session: AsyncSession, subject: ErasureSubject) -> None:
    """Platform updates are stored as they came (names, ids, texts, quoted staff cards), so a
    row that holds anything of the resident is deleted. Their updates not handled yet stay:
    they arrive after the erasure and start a new contact."""
    own = set(
        await session.scalars(
            select(ExchangeRow.inbox_id).where(
                ExchangeRow.resident_id == subject.resident_id, ExchangeRow.inbox_id.is_not(None)
            )
        )
    )
    needles = _Needles(subject, await _subject_texts(session, subject))
    doomed = []
    for row_id, status, payload in await session.execute(
        select(InboxRow.id, InboxRow.status, InboxRow.payload)
    ):
        document = _document(payload)
        if row_id in own:
            doomed.append(row_id)
        elif status != PENDING:
            if needles.any(document):
                doomed.append(row_id)
        elif needles.strong(document) and not needles.from_resident(document):
            # A staff update about the resident (`/forget telegram:…` being handled now).
            doomed.append(row_id)
    for start in range(0, len(doomed), 500):
        await delete_inbox_rows(session, doomed[start : start + 500])


def _document(payload: Any) -> Any:
    return json.loads(payload) if isinstance(payload, str) else payload


async def _erase_states(session: AsyncSession, subject: ErasureSubject) -> None:
    """The resident's unfinished flow, and any staff flow holding their texts (a FAQ entry
    being made of their question)."""
    await session.execute(
        delete(ConversationStateRow).where(
            ConversationStateRow.platform == subject.platform,
            ConversationStateRow.external_id == subject.external_id,
        )
    )
    needles = _Needles(subject, await _subject_texts(session, subject))
    doomed = [
        row_id
        for row_id, data in await session.execute(
            select(ConversationStateRow.id, ConversationStateRow.data)
        )
        if needles.any(_document(data))
    ]
    if doomed:
        await session.execute(
            delete(ConversationStateRow).where(ConversationStateRow.id.in_(doomed))
        )


async def _erase_exchanges(session: AsyncSession, subject: ErasureSubject) -> None:
    """Texts, media handles and the chat (the account id in a private chat) go; the row with
    its length and decision stays for the statistics."""
    await session.execute(
        update(ExchangeRow)
        .where(ExchangeRow.resident_id == subject.resident_id)
        .values(text=None, attachments=None, chat_id="")
    )


async def _erase_message_links(session: AsyncSession, subject: ErasureSubject) -> None:
    await session.execute(
        update(MessageLinkRow)
        .where(MessageLinkRow.resident_id == subject.resident_id)
        .values(resident_chat_id=None)
    )


async def _erase_appeal_events(session: AsyncSession, subject: ErasureSubject) -> None:
    appeal_ids = select(AppealRow.id).where(AppealRow.resident_id == subject.resident_id)
    await session.execute(
        update(AppealEventRow)
        .where(AppealEventRow.appeal_id.in_(appeal_ids), AppealEventRow.actor == subject.key)
        .values(actor=None)
    )


async def _erase_ballots(session: AsyncSession, subject: ErasureSubject) -> None:
    await session.execute(
        update(BallotRow)
        .where(BallotRow.resident_id == subject.resident_id)
        .values(other_text=None)
    )


async def _erase_deliveries(session: AsyncSession, subject: ErasureSubject) -> None:
    await session.execute(
        update(DeliveryRow).where(DeliveryRow.resident_id == subject.resident_id).values(chat_id="")
    )


async def _erase_resident(session: AsyncSession, subject: ErasureSubject) -> None:
    """Forget who the resident is; the row (and so every count) stays. A new identity token
    means the person starts afresh if they write again."""
    await session.execute(
        update(ResidentRow)
        .where(ResidentRow.id == subject.resident_id)
        .values(
            external_id=f"forgotten-{subject.resident_id}",
            display_name=None,
            username=None,
            anonymised_at=subject.at,
        )
    )


# Forum topic names are renamed by the core, which renames the topic in the chat as well.
ERASURE_STEPS: tuple[Step, ...] = (
    _erase_inbox,
    _erase_states,
    _erase_exchanges,
    _erase_message_links,
    _erase_appeal_events,
    _erase_ballots,
    _erase_deliveries,
    _erase_resident,
)
