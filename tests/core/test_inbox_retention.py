"""Inbox retention on a real database: handled and failed updates go after the retention
period, even when exchanges were recorded from them; pending ones stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.core.messages import Platform, ResidentKey
from bot.storage.database import Database
from bot.storage.models import ExchangeRow, InboxRow
from bot.storage.records import InboxItem

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
OLD = NOW - timedelta(days=10)


async def test_old_done_and_failed_updates_are_pruned(database: Database) -> None:
    async with database.unit_of_work() as uow:
        done, failed, pending = await uow.inbox.add_new(
            "telegram",
            [InboxItem(str(n), "telegram:7", {"text": f"update {n}"}) for n in range(3)],
            OLD,
        )
        resident = await uow.residents.touch(ResidentKey(Platform.TELEGRAM, "7"), "Анна", None, OLD)
        exchange_id = await uow.exchanges.add(
            resident_id=resident.id,
            platform=Platform.TELEGRAM,
            direction="in",
            kind="text",
            text="update 0",
            chat_id="7",
            inbox_id=done.id,
            created_at=OLD,
        )
        await uow.inbox.mark_done(done.id, OLD)
        await uow.inbox.record_failure(failed.id, "boom", give_up=True)
        await uow.commit()

    async with database.unit_of_work() as uow:
        assert await uow.inbox.prune_done(NOW - timedelta(days=7)) == 2
        await uow.commit()

    async with database.unit_of_work() as uow:
        left = list(await uow.session.scalars(select(InboxRow.id)))
        exchange = await uow.session.get(ExchangeRow, exchange_id)
        assert exchange is not None
        assert (left, exchange.inbox_id, exchange.text) == ([pending.id], None, "update 0")
