"""Staff `/forget` and a resident's message at the same moment, on PostgreSQL (on SQLite
every transaction holds the write lock, so the two cannot interleave): whichever comes second
waits for the resident's row lock, so no text of the message outlives the erasure."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from bot.app import Core, build_core
from bot.core.actions import ConsentAction
from bot.core.messages import Incoming, Platform, ResidentKey
from bot.settings import Settings
from bot.storage.models import ExchangeRow
from tests.common import FixedClock
from tests.conftest import ON_POSTGRES
from tests.fakes.recorder import RecordingMessenger

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="row locks are PostgreSQL's")

RESIDENT = ResidentKey(Platform.TELEGRAM, "3003")
INCIDENT = "на улице Ленина 5 третий день нет воды, примите меры!"
PERSONAL = "Петрова Анна, кв. 12, телефон 8 916 123-45-67"


@pytest.fixture
async def core(settings: Settings) -> AsyncIterator[Core]:
    built = await build_core(settings, FixedClock(datetime(2026, 11, 26, 8, 0, tzinfo=UTC)))
    built.messengers.register(RecordingMessenger())
    yield built
    await built.database.dispose()


async def say(core: Core, message: str = "", callback: str | None = None) -> None:
    await core.dialog.handle(
        Incoming(
            resident=RESIDENT,
            chat_id=RESIDENT.external_id,
            received_at=datetime.now(UTC),
            text=message,
            display_name="Анна Петрова",
            callback_data=callback,
        )
    )


async def resident_with_appeal(core: Core) -> int:
    await say(core, INCIDENT)
    await say(core, callback=ConsentAction(accept=True).encode())
    async with core.database.unit_of_work() as uow:
        resident = await uow.residents.find(RESIDENT)
    assert resident is not None
    return resident.id


async def waiting_on_a_lock(core: Core, task: asyncio.Task[None]) -> None:
    """Until another transaction of this database waits for a lock (bounded)."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(500):
        async with core.database.engine.connect() as connection:
            if (await connection.execute(query)).scalar_one():
                return
        assert not task.done()
        await asyncio.sleep(0.02)
    raise TimeoutError("nobody waited for the resident's lock")


async def texts_of(core: Core, resident_id: int) -> list[str]:
    async with core.database.unit_of_work() as uow:
        rows = await uow.session.scalars(
            select(ExchangeRow.text).where(
                ExchangeRow.resident_id == resident_id, ExchangeRow.text.is_not(None)
            )
        )
        return list(rows)


async def test_a_message_arriving_during_an_erasure_waits_and_starts_afresh(core: Core) -> None:
    resident_id = await resident_with_appeal(core)
    async with core.database.unit_of_work() as uow:
        resident = await uow.residents.get(resident_id)
        assert resident is not None
        await core.privacy.forget(uow, resident, actor="telegram:900")
        turn = asyncio.create_task(say(core, PERSONAL))
        await waiting_on_a_lock(core, turn)
        await uow.commit()
    await turn
    assert await texts_of(core, resident_id) == []
    async with core.database.unit_of_work() as uow:
        again = await uow.residents.find(RESIDENT)
    assert again is not None and again.id != resident_id


async def test_an_erasure_during_a_message_waits_and_erases_it_too(core: Core) -> None:
    resident_id = await resident_with_appeal(core)

    async def forget() -> None:
        async with core.database.unit_of_work() as uow:
            resident = await uow.residents.get(resident_id)
            assert resident is not None
            await core.privacy.forget(uow, resident, actor="telegram:900")
            await uow.commit()

    async with core.database.unit_of_work() as uow:
        # The turn's first steps, as the dialog takes them, held open.
        resident = await uow.residents.touch(RESIDENT, "Анна Петрова", None, datetime.now(UTC))
        await uow.exchanges.add(
            resident_id=resident.id,
            platform=Platform.TELEGRAM,
            direction="in",
            kind="text",
            text=PERSONAL,
            chat_id=RESIDENT.external_id,
            created_at=datetime.now(UTC),
        )
        erasure = asyncio.create_task(forget())
        await waiting_on_a_lock(core, erasure)
        await uow.commit()
    await erasure
    assert await texts_of(core, resident_id) == []
