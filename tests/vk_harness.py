"""Running the real VK channel against the fake VK server inside the test's event loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr
from sqlalchemy import select

from bot.app import Core, build_core
from bot.core.ports import Clock, utc_now
from bot.settings import Settings
from bot.storage.models import ExchangeRow, InboxRow
from handlers.vk.app import VkChannel
from handlers.vk.callback_api import VkCallbackServer
from tests.common import read_exchanges, settle
from tests.fakes.vk import FakeVK

GROUP_ID = 229_000_042
TOKEN = "vk-test-group-token"
START_TIMEOUT = 10.0


@dataclass
class RunningVkBot:
    vk: FakeVK
    core: Core
    channel: VkChannel
    task: asyncio.Task[None]

    async def exchanges(self) -> list[ExchangeRow]:
        return await read_exchanges(self.core.database)

    async def inbox(self) -> list[InboxRow]:
        async with self.core.database.unit_of_work() as uow:
            rows = list(await uow.session.scalars(select(InboxRow).order_by(InboxRow.id)))
            uow.session.expunge_all()
        return rows

    @property
    def callback_url(self) -> str:
        server = self.channel.transport
        assert isinstance(server, VkCallbackServer) and server.address is not None
        host, port = server.address
        return f"http://{host}:{port}{self.core.settings.vk_callback_path}"

    async def settle(self) -> None:
        """Wait until the bot fetched every pushed event and handled everything it stored."""
        long_poll = not isinstance(self.channel.transport, VkCallbackServer)
        await settle(self.core, [self.channel.intake], vk=self.vk if long_poll else None)


def vk_settings(settings: Settings, vk: FakeVK, **overrides: Any) -> Settings:
    return settings.model_copy(
        update={
            "vk_group_token": SecretStr(TOKEN),
            "vk_group_id": vk.group_id,
            "vk_api_url": vk.api_url,
            **overrides,
        }
    )


@asynccontextmanager
async def running_vk_bot(
    settings: Settings, vk: FakeVK | None = None, clock: Clock = utc_now, **overrides: Any
) -> AsyncIterator[RunningVkBot]:
    """The channel on `settings` (plus `overrides`) against `vk`, or a fresh fake VK; `clock`
    for tests that depend on office hours."""
    async with contextlib.AsyncExitStack() as stack:
        if vk is None:
            vk = await stack.enter_async_context(FakeVK(group_id=GROUP_ID))
        core = await build_core(vk_settings(settings, vk, **overrides), clock)
        channel = VkChannel(core, poll_wait=5)
        earlier_polls = len(vk.polls)
        task = asyncio.create_task(channel.run())
        try:
            async with asyncio.timeout(START_TIMEOUT):
                await _started(vk, channel, earlier_polls)
            yield RunningVkBot(vk, core, channel, task)
        finally:
            await channel.stop(5)
            await asyncio.gather(task, return_exceptions=True)
            await core.database.dispose()


async def _started(vk: FakeVK, channel: VkChannel, earlier_polls: int) -> None:
    """Listening (Callback API) or parked in a long poll of its own (not an earlier bot's)."""
    server = channel.transport
    if isinstance(server, VkCallbackServer):
        await server.listening.wait()
        return
    await vk.wait_for(
        lambda _: any(poll.parked for poll in vk.polls[earlier_polls:]), within=START_TIMEOUT
    )
