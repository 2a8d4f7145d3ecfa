"""Running the real bot against the fake Telegram server inside the test's event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from bot.app import Core, build_core
from bot.core.ports import Clock, utc_now
from bot.settings import Settings
from bot.storage.models import ExchangeRow
from handlers.telegram.app import TelegramChannel
from tests.common import read_exchanges, settle
from tests.fakes.telegram import FakeTelegram

TOKEN = "4242:TEST-TOKEN"


@dataclass
class RunningBot:
    tg: FakeTelegram
    core: Core
    channel: TelegramChannel
    task: asyncio.Task[None]

    async def exchanges(self) -> list[ExchangeRow]:
        return await read_exchanges(self.core.database)

    async def settle(self) -> None:
        """Wait until every stored update has been handled."""
        await settle(self.core, [self.channel.intake], tg=self.tg)


@asynccontextmanager
async def running_bot(
    settings: Settings, clock: Clock = utc_now, **overrides: Any
) -> AsyncIterator[RunningBot]:
    async with FakeTelegram() as tg:
        configured = settings.model_copy(
            update={
                "telegram_bot_token": SecretStr(TOKEN),
                "telegram_api_url": tg.url,
                **overrides,
            }
        )
        core = await build_core(configured, clock)
        channel = TelegramChannel(core, poll_timeout=1)
        task = asyncio.create_task(channel.run())
        await tg.wait_for("getUpdates")
        try:
            yield RunningBot(tg, core, channel, task)
        finally:
            await channel.stop(5)
            await asyncio.gather(task, return_exceptions=True)
            await core.database.dispose()
