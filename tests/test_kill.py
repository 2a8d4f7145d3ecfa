"""The bot is killed (`kill -9`) while handling a burst of messages and restarted: every
resident is answered, every effect in the database happens once, and only replies that were
in flight at the kill may repeat."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import Awaitable

from tests import kill_checks
from tests.fakes.telegram import FakeTelegram
from tests.harness import TOKEN
from tests.kill_checks import assert_recovered

RESIDENTS = 50
START_TIMEOUT = 120


def start_bot(url: str, database_url: str) -> Awaitable[asyncio.subprocess.Process]:
    return kill_checks.start_bot(
        {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": url, "TELEGRAM_STAFF_CHAT_ID": "-100777"},
        database_url,
    )


async def test_kill_and_restart_loses_nothing(database_url: str) -> None:
    async with FakeTelegram() as tg:
        tg.set_latency("sendMessage", 0.05)
        bot = await start_bot(tg.url, database_url)
        await tg.wait_for("getUpdates", timeout=START_TIMEOUT)
        residents = [7000 + n for n in range(RESIDENTS)]
        last_update = 0
        for resident in residents:
            last_update = tg.push_message(resident, "/help")["update_id"]
        await tg.wait_for("sendMessage", 10, timeout=START_TIMEOUT)
        bot.send_signal(signal.SIGKILL)
        await bot.wait()
        answered_before = {r.params["chat_id"] for r in tg.calls("sendMessage")}
        assert len(answered_before) < RESIDENTS, "the kill came too late to test anything"
        # Telegram already forgot every update: only the inbox can bring the rest back.
        assert tg.confirmed_up_to >= last_update

        restarted = await start_bot(tg.url, database_url)
        await tg.wait_for(
            lambda _: {r.params["chat_id"] for r in tg.calls("sendMessage")} >= set(residents),
            timeout=START_TIMEOUT,
        )
        restarted.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(restarted.communicate(), START_TIMEOUT)
        assert restarted.returncode == 0, stderr.decode()

    replies = Counter(r.params["chat_id"] for r in tg.calls("sendMessage"))
    await assert_recovered(replies, residents, database_url)
