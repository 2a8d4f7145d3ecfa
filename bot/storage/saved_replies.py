"""Staff answers kept under short names. Never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import SavedReplyRow


@dataclass(frozen=True)
class SavedReply:
    name: str
    text: str


class SavedReplyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def save(self, name: str, text: str, author: str, at: datetime) -> bool:
        """Store or overwrite; True when the name was new."""
        row = await self._session.scalar(select(SavedReplyRow).where(SavedReplyRow.name == name))
        created = row is None
        if row is None:
            row = SavedReplyRow(name=name, text=text, created_by=author, updated_at=at)
            self._session.add(row)
        else:
            row.text, row.created_by, row.updated_at = text, author, at
        await self._session.flush()
        return created

    async def get(self, name: str) -> SavedReply | None:
        row = await self._session.scalar(select(SavedReplyRow).where(SavedReplyRow.name == name))
        return SavedReply(row.name, row.text) if row else None

    async def all(self) -> list[SavedReply]:
        rows = await self._session.scalars(select(SavedReplyRow).order_by(SavedReplyRow.name))
        return [SavedReply(row.name, row.text) for row in rows]
