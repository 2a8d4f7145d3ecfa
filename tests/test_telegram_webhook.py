"""The Telegram webhook transport writes to the same inbox before answering 200."""

from __future__ import annotations

import asyncio

import aiohttp
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.app import build_core
from bot.settings import Settings
from bot.storage.models import InboxRow
from handlers.telegram.app import TelegramChannel
from tests.fakes.telegram import FakeTelegram
from tests.harness import TOKEN

SECRET = "s3cret-token"


async def test_webhook_stores_then_answers_and_skips_repeats(settings: Settings) -> None:
    async with FakeTelegram() as tg:
        configured = settings.model_copy(
            update={
                "telegram_bot_token": SecretStr(TOKEN),
                "telegram_api_url": tg.url,
                "telegram_webhook_url": "https://bot.example.org/telegram/webhook",
                "telegram_webhook_port": 0,
                "telegram_webhook_secret": SecretStr(SECRET),
            }
        )
        core = await build_core(configured)
        channel = TelegramChannel(core)
        task = asyncio.create_task(channel.run())
        try:
            assert channel.webhook is not None
            await asyncio.wait_for(channel.webhook.listening.wait(), 30)
            (registered,) = await tg.wait_for("setWebhook")
            assert registered.params["url"] == "https://bot.example.org/telegram/webhook"
            assert registered.params["secret_token"] == SECRET
            host, port = channel.webhook.address or ("", 0)
            url = f"http://{host}:{port}/telegram/webhook"
            update = tg.message_update(7007, "/help")
            update["update_id"] = 424242
            async with aiohttp.ClientSession() as http:
                wrong = await http.post(
                    url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"}
                )
                assert wrong.status == 403
                for _ in range(2):
                    answer = await http.post(
                        url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
                    )
                    assert answer.status == 200
                bad = await http.post(
                    url, data="not json", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
                )
                assert bad.status == 400
            await tg.wait_for("sendMessage", 1, chat_id=7007)
            await channel.intake.join()
            async with core.database.unit_of_work() as uow:
                stored = await uow.session.scalar(select(func.count(InboxRow.id)))
            assert stored == 1
            assert len(tg.calls("sendMessage", chat_id=7007)) == 1
            assert tg.calls("getUpdates") == []
        finally:
            await channel.stop(5)
            await asyncio.gather(task, return_exceptions=True)
            await core.database.dispose()
