"""One bot with both channels for the polls tests: the real aiogram and vkbottle clients against
the fake Telegram and VK servers, one core and one real database, a movable clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import SecretStr

from bot.app import Core, build_core
from bot.core.messages import Platform, ResidentKey
from bot.settings import Settings
from bot.storage.records import Audience
from handlers.telegram.app import TelegramChannel
from handlers.vk.app import VkChannel
from polls import PollSpec
from tests.common import FixedClock, settle
from tests.fakes.telegram import FakeTelegram
from tests.fakes.vk import FakeVK, Request
from tests.harness import TOKEN
from tests.vk_harness import GROUP_ID, START_TIMEOUT, vk_settings

STAFF_CHAT = -1001234567890
STAFF = 900
ADMIN = 901
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@dataclass
class PollsBot:
    tg: FakeTelegram
    vk: FakeVK
    core: Core
    clock: FixedClock
    channels: tuple[TelegramChannel, VkChannel]

    async def settle(self) -> None:
        """Wait until both channels fetched and handled everything pushed so far."""
        intakes = [channel.intake for channel in self.channels]
        await settle(self.core, intakes, tg=self.tg, vk=self.vk)

    async def create_poll(self, **changes: Any) -> int:
        """A poll that is live now (publishing requested, opened an hour ago)."""
        values: dict[str, Any] = {
            "question": "Где поставить новую детскую площадку?",
            "options": ("Парк Победы", "Улица Мира", "Школьный двор"),
            "opens_at": self.clock.now - timedelta(hours=1),
            "closes_at": self.clock.now + timedelta(days=9),
            "audience": Audience.ALL,
        }
        values.update(changes)
        polls = self.core.polls
        poll_id = await polls.create(PollSpec(**values), self.clock.now - timedelta(hours=1))
        await polls.request_publish(poll_id, self.clock.now - timedelta(hours=1))
        return poll_id

    async def tg_sends(self, chat_id: int, count: int) -> list[dict[str, Any]]:
        """Wait for `count` messages a Telegram chat has seen: those delivered, then the
        versions messages were edited to (a vote updates the poll message in place)."""
        await self.tg.wait_for(lambda _: len(self.tg_seen(chat_id)) >= count)
        return self.tg_seen(chat_id)

    def tg_seen(self, chat_id: int) -> list[dict[str, Any]]:
        return [
            call.result
            for call in self.tg.requests
            if call.chat_id == chat_id
            and call.ok
            and isinstance(call.result, dict)
            and (call.method.startswith("send") or call.method == "editMessageText")
        ]

    async def vk_sends(self, peer_id: int, count: int) -> list[Request]:
        def delivered(requests: list[Request]) -> list[Request] | None:
            found = [
                r
                for r in requests
                if r.method in ("messages.send", "messages.edit")
                and r.ok
                and r.params.get("peer_id") == peer_id
            ]
            return found if len(found) >= count else None

        return await self.vk.wait_for(
            delivered, within=START_TIMEOUT, what=f"{count} send(s) to {peer_id}"
        )


def telegram(user_id: int) -> ResidentKey:
    return ResidentKey(Platform.TELEGRAM, str(user_id))


def vk(user_id: int) -> ResidentKey:
    return ResidentKey(Platform.VK, str(user_id))


def tg_buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, callback data) of every inline button under a delivered Telegram message."""
    markup = message.get("reply_markup") or {}
    return [
        (button["text"], button["callback_data"])
        for row in markup.get("inline_keyboard", [])
        for button in row
    ]


def vk_buttons(send: Request) -> list[tuple[str, str]]:
    """(label, payload action) of every callback button of a VK messages.send."""
    board = send.params.get("keyboard")
    if not isinstance(board, dict):
        return []
    return [
        (button["action"]["label"], button["action"]["payload"]["a"])
        for row in board["buttons"]
        for button in row
    ]


@asynccontextmanager
async def polls_bot(settings: Settings, clock: FixedClock | None = None) -> AsyncIterator[PollsBot]:
    clock = clock or FixedClock(NOW)
    async with FakeTelegram() as tg, FakeVK(group_id=GROUP_ID) as fake_vk:
        configured = vk_settings(
            settings,
            fake_vk,
            telegram_bot_token=SecretStr(TOKEN),
            telegram_api_url=tg.url,
            telegram_staff_chat_id=STAFF_CHAT,
        )
        core = await build_core(configured, clock)
        channels = (TelegramChannel(core, poll_timeout=1), VkChannel(core, poll_wait=5))
        tasks = [asyncio.create_task(channel.run()) for channel in channels]
        try:
            await tg.wait_for("getUpdates")
            await fake_vk.wait_for(lambda _: bool(fake_vk.parked_polls), within=START_TIMEOUT)
            tg.add_chat(STAFF_CHAT, type="supergroup", title="Пресс-служба")
            tg.add_member(STAFF_CHAT, STAFF, "member", first_name="Мария")
            tg.add_member(STAFF_CHAT, ADMIN, "administrator", first_name="Олег")
            yield PollsBot(tg, fake_vk, core, clock, channels)
        finally:
            for channel in channels:
                await channel.stop(5)
            await asyncio.gather(*tasks, return_exceptions=True)
            await core.database.dispose()
