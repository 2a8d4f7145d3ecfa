"""What the bot tests share: a clock the test sets, the exchanges the bot recorded, and
waiting until the bot has handled everything it was sent."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from bot.app import Core
from bot.core.intake import Intake
from bot.storage.database import Database
from bot.storage.models import ExchangeRow
from tests.fakes.telegram import FakeTelegram
from tests.fakes.vk import FakeVK

# How long the fake VK may take to hand out what was pushed to it.
VK_IDLE_WITHIN = 10.0


class FixedClock:
    """A clock that stands still until the test moves `now`."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def read_exchanges(database: Database) -> list[ExchangeRow]:
    async with database.unit_of_work() as uow:
        rows = list(await uow.session.scalars(select(ExchangeRow).order_by(ExchangeRow.id)))
        uow.session.expunge_all()
    return rows


async def settle(
    core: Core,
    intakes: Sequence[Intake],
    tg: FakeTelegram | None = None,
    vk: FakeVK | None = None,
) -> None:
    """Wait until the bot fetched every update pushed to the fakes given (a VK served by the
    Callback API pushes by itself, so it is not given) and handled everything it stored."""
    for _ in range(1500):
        if vk is not None:
            await vk.wait_until_idle(within=VK_IDLE_WITHIN)
        for intake in intakes:
            await intake.join()
        async with core.database.unit_of_work() as uow:
            pending, _ = await uow.inbox.depth()
        if not pending and not (tg is not None and tg.pending_updates):
            return
        await asyncio.sleep(0.02)
    raise TimeoutError("updates still pending")
