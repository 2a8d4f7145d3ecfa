"""VK residents and staff end to end: both channels in one process (the fake Telegram server
for a Telegram staff chat, the fake VK for residents), one core, one real database; and
helpers for driving a VK resident and a VK staff conversation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr
from sqlalchemy import select

from bot.app import Core, build_core
from bot.core.actions import ConsentAction
from bot.settings import Settings
from bot.storage.models import AppealEventRow, AppealRow
from handlers.telegram.app import TelegramChannel
from handlers.vk.app import VkChannel
from tests.common import FixedClock, settle
from tests.fakes.telegram import FakeTelegram
from tests.fakes.vk import FakeVK, Request
from tests.harness import TOKEN as TELEGRAM_TOKEN
from tests.vk_harness import GROUP_ID, START_TIMEOUT, vk_settings

TELEGRAM_STAFF_CHAT = -1001234567890
TELEGRAM_STAFF = 900
RESIDENT = 501
# Thursday 2026-11-26 11:00 in Moscow: inside office hours.
WORKING_MORNING = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
WAIT = 15.0


@dataclass
class RunningPair:
    tg: FakeTelegram
    vk: FakeVK
    core: Core
    telegram: TelegramChannel
    vk_channel: VkChannel

    async def settle(self) -> None:
        """Wait until both transports fetched everything pushed and handled all they stored."""
        intakes = [self.telegram.intake, self.vk_channel.intake]
        await settle(self.core, intakes, tg=self.tg, vk=self.vk)


@asynccontextmanager
async def running_pair(
    settings: Settings, clock: FixedClock | None = None, **overrides: Any
) -> AsyncIterator[RunningPair]:
    """Telegram (with its staff supergroup and a staff member) and VK in one process;
    `telegram_staff_chat_id=None` among `overrides` leaves the staff chat to VK."""
    async with FakeTelegram() as tg, FakeVK(group_id=GROUP_ID) as vk:
        options: dict[str, Any] = {"telegram_staff_chat_id": TELEGRAM_STAFF_CHAT, **overrides}
        configured = vk_settings(
            settings,
            vk,
            telegram_bot_token=SecretStr(TELEGRAM_TOKEN),
            telegram_api_url=tg.url,
            **options,
        )
        core = await build_core(configured, clock or FixedClock(WORKING_MORNING))
        telegram = TelegramChannel(core, poll_timeout=1)
        vk_channel = VkChannel(core, poll_wait=5)
        tasks = [asyncio.create_task(telegram.run()), asyncio.create_task(vk_channel.run())]
        try:
            await tg.wait_for("getUpdates", timeout=START_TIMEOUT)
            await vk.wait_until_polling(within=START_TIMEOUT)
            tg.add_chat(TELEGRAM_STAFF_CHAT, type="supergroup", title="Пресс-служба")
            tg.add_member(TELEGRAM_STAFF_CHAT, TELEGRAM_STAFF, "member", first_name="Мария")
            yield RunningPair(tg, vk, core, telegram, vk_channel)
        finally:
            await telegram.stop(5)
            await vk_channel.stop(5)
            await asyncio.gather(*tasks, return_exceptions=True)
            await core.database.dispose()


def sent_to(requests: list[Request], peer_id: int) -> list[Request]:
    """Successful messages.send calls to `peer_id`, by `peer_id` or `peer_ids`."""
    return [
        r
        for r in requests
        if r.method == "messages.send"
        and r.ok
        and (r.params.get("peer_id") == peer_id or peer_id in r.params.get("peer_ids", ()))
    ]


async def vk_sends(vk: FakeVK, peer_id: int, count: int) -> list[Request]:
    """Wait for `count` successful messages.send calls to `peer_id` and return them all."""
    return await vk.wait_for(
        lambda requests: found if len(found := sent_to(requests, peer_id)) >= count else None,
        within=WAIT,
        what=f"{count} send(s) to {peer_id}",
    )


def payloads(send: Request) -> list[str]:
    """The `a` payloads of a message's callback buttons, in order."""
    keyboard = send.params.get("keyboard") or {}
    return [
        button["action"]["payload"]["a"]
        for row in keyboard.get("buttons", [])
        for button in row
        if button["action"]["type"] == "callback"
    ]


async def ask_vk(vk: FakeVK, text: str, resident: int = RESIDENT) -> Request:
    """A VK resident's question the FAQ passes to staff, consenting to the data notice when
    it is shown (with a callback button); returns the message telling the appeal's number."""
    before = len(sent_to(vk.requests, resident))
    vk.push_message(resident, text)
    prompt = (await vk_sends(vk, resident, before + 1))[-1]
    accept = ConsentAction(accept=True).encode()
    if accept not in payloads(prompt):
        return prompt
    vk.push_message_event(resident, {"a": accept})
    return (await vk_sends(vk, resident, before + 2))[-1]


async def appeals(core: Core) -> list[AppealRow]:
    async with core.database.unit_of_work() as uow:
        rows = list(await uow.session.scalars(select(AppealRow).order_by(AppealRow.id)))
        uow.session.expunge_all()
    return rows


async def events(core: Core) -> list[str]:
    async with core.database.unit_of_work() as uow:
        return list(
            await uow.session.scalars(select(AppealEventRow.kind).order_by(AppealEventRow.id))
        )


def number_of(appeal: AppealRow) -> str:
    return f"{appeal.year}-{appeal.sequence:04d}"
