"""Erasure that crosses features: the free-text answers a resident gave in polls."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import BallotRow


class PrivacyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def erase_poll_answers(self, resident_id: int) -> None:
        """Free-text «свой вариант» answers go; the ballots, and so the counts, stay."""
        await self._session.execute(
            update(BallotRow).where(BallotRow.resident_id == resident_id).values(other_text=None)
        )
