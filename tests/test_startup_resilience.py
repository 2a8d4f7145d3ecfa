"""Telegram unreachable at start: the real `python -m bot` with both channels keeps serving VK,
retries Telegram with one-line warnings, and serves Telegram once it is back."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

from tests.conftest import PROJECT
from tests.fakes.telegram import FakeTelegram
from tests.fakes.vk import FakeVK
from tests.harness import TOKEN as TELEGRAM_TOKEN
from tests.vk_harness import GROUP_ID, TOKEN

TIMEOUT = 60.0
VK_RESIDENT = 7501
TG_RESIDENT = 5501
VK_LATER = 7502


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_telegram_down_at_start_neither_stops_vk_nor_itself(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "bot.log"
    async with FakeVK(group_id=GROUP_ID) as vk:
        env = {
            **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
            "PYTHONPATH": str(PROJECT),
            # Nothing listens there yet: every call is refused.
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "TELEGRAM_API_URL": f"http://127.0.0.1:{port}",
            "TELEGRAM_STAFF_CHAT_ID": "-100777",
            "VK_GROUP_TOKEN": TOKEN,
            "VK_GROUP_ID": str(GROUP_ID),
            "VK_API_URL": vk.api_url,
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "WARNING",
        }
        with log.open("wb") as stderr:
            bot = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=stderr,
            )
        try:
            await vk.wait_until_polling(within=TIMEOUT)
            vk.push_message(VK_RESIDENT, "/help")
            assert await vk.wait_for_sent(VK_RESIDENT, within=TIMEOUT)
            assert bot.returncode is None
            async with FakeTelegram(port=port) as tg:
                # Back, but failing once more with a server error before it works.
                tg.inject_error("deleteWebhook", error_code=502, description="Bad Gateway")
                await tg.wait_for("getUpdates", timeout=TIMEOUT)
                tg.push_message(TG_RESIDENT, "/help")
                await tg.wait_for("sendMessage", 1, chat_id=TG_RESIDENT, timeout=TIMEOUT)
                vk.push_message(VK_LATER, "/help")
                assert await vk.wait_for_sent(VK_LATER, within=TIMEOUT)
                bot.send_signal(signal.SIGTERM)
                await asyncio.wait_for(bot.wait(), TIMEOUT)
                webhook_calls = [call.ok for call in tg.calls("deleteWebhook")]
        finally:
            if bot.returncode is None:
                bot.kill()
                await bot.wait()
    output = log.read_text(encoding="utf-8")
    assert bot.returncode == 0, output
    assert webhook_calls == [False, True]
    assert "Traceback" not in output
    retries = [line for line in output.splitlines() if "could not delete the webhook" in line]
    assert len(retries) >= 2 and all("WARNING" in line for line in retries), output
    assert "Bad Gateway" in output
