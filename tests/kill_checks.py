"""What the kill tests share: starting the bot as a process, and what they read back from the
database after the restart."""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select

from bot.storage.database import Database
from bot.storage.models import ExchangeRow, InboxRow, ResidentRow
from tests.conftest import PROJECT

CONCURRENCY = 8


async def start_bot(
    platform_env: Mapping[str, str], database_url: str
) -> asyncio.subprocess.Process:
    """`python -m bot run` with the platform's settings, `CONCURRENCY` handlers and the given
    database (never the one from the environment)."""
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "PYTHONPATH": str(PROJECT),
        **platform_env,
        "DATABASE_URL": database_url,
        "HANDLER_CONCURRENCY": str(CONCURRENCY),
        "LOG_LEVEL": "WARNING",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


@dataclass(frozen=True)
class Record:
    inbound: Counter[str]  # inbound exchanges per resident's external id
    statuses: Counter[str]  # inbox rows per status
    residents: int


async def assert_recovered(
    replies: Counter[int], residents: list[int], database_url: str
) -> Record:
    """Every resident answered, only replies in flight at the kill repeated, and every update
    handled exactly once in the database; the record, for the platform's own checks."""
    duplicates = sum(count - 1 for count in replies.values())
    assert set(replies) == set(residents)
    assert duplicates <= CONCURRENCY, f"{duplicates} duplicate replies"

    record = await read_record(database_url)
    assert record.residents == len(residents)
    assert set(record.inbound.values()) == {1}, "an update was handled twice in the database"
    assert record.statuses == Counter({"done": len(residents)})
    return record


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
