"""The bot with only VK configured is killed (`kill -9`) while handling a burst of messages
from the long poll and restarted: every resident is answered, every effect in the database
happens once, and only replies that were in flight at the kill may repeat."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import Awaitable

from bot.storage.database import Database
from tests import kill_checks
from tests.fakes.vk import FakeVK
from tests.kill_checks import assert_recovered
from tests.vk_harness import GROUP_ID, TOKEN

RESIDENTS = 50
START_TIMEOUT = 60


def start_bot(vk: FakeVK, database_url: str) -> Awaitable[asyncio.subprocess.Process]:
    return kill_checks.start_bot(
        {
            "VK_GROUP_TOKEN": TOKEN,
            "VK_GROUP_ID": str(GROUP_ID),
            "VK_API_URL": vk.api_url,
            "VK_STAFF_PEER_ID": "2000000001",
        },
        database_url,
    )


def answered(vk: FakeVK) -> Counter[int]:
    """Successful messages.send calls per resident (VK's de-duplication aside)."""
    return Counter(r.params["peer_id"] for r in vk.calls("messages.send") if r.ok)


async def stored_ts(database_url: str) -> int:
    database = Database(database_url)
    async with database.unit_of_work() as uow:
        value = await uow.transport_state.get(f"vk:{GROUP_ID}:ts")
    await database.dispose()
    assert value is not None
    return int(value)


async def test_kill_and_restart_loses_nothing(database_url: str) -> None:
    async with FakeVK(group_id=GROUP_ID) as vk:
        vk.set_latency("messages.send", 0.05)
        bot = await start_bot(vk, database_url)
        await vk.wait_until_polling(within=START_TIMEOUT)
        residents = [7000 + n for n in range(RESIDENTS)]
        for resident in residents:
            vk.push_message(resident, "/help")
        await vk.wait_for_call("messages.send", count=10, within=START_TIMEOUT)
        bot.send_signal(signal.SIGKILL)
        await bot.wait()
        assert len(answered(vk)) < RESIDENTS, "the kill came too late to test anything"
        # The stored position is past every event: VK will not send them again, only the
        # inbox can bring the rest back.
        assert await stored_ts(database_url) == vk.ts

        restarted = await start_bot(vk, database_url)
        await vk.wait_for(lambda _: set(answered(vk)) >= set(residents), within=START_TIMEOUT)
        restarted.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(restarted.communicate(), START_TIMEOUT)
        assert restarted.returncode == 0, stderr.decode()
        replies = answered(vk)

    record = await assert_recovered(replies, residents, database_url)
    assert set(record.inbound) == {str(resident) for resident in residents}
