"""What the kill tests read back from the database after the restart."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select

from bot.storage.database import Database
from bot.storage.models import ExchangeRow, InboxRow, ResidentRow


@dataclass(frozen=True)
class Record:
    inbound: Counter[str]  # inbound exchanges per resident's external id
    statuses: Counter[str]  # inbox rows per status
    residents: int


async def read_record(database_url: str) -> Record:
    database = Database(database_url)
    async with database.unit_of_work() as uow:
        session = uow.session
        inbound = Counter(
            (
                await session.execute(
                    select(ResidentRow.external_id)
                    .join(ExchangeRow, ExchangeRow.resident_id == ResidentRow.id)
                    .where(ExchangeRow.direction == "in")
                )
            ).scalars()
        )
        statuses = Counter((await session.execute(select(InboxRow.status))).scalars())
        residents = await session.scalar(select(func.count(ResidentRow.id)))
    await database.dispose()
    return Record(inbound, statuses, int(residents or 0))
