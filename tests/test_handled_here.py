"""Routed staff chats keep to their own appeals: buttons, commands and `/forget` from a chat
the appeal was not routed to change nothing and get a clear answer. The real aiogram client
talks to the fake Telegram server; the database is real."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from pydantic import SecretStr
from sqlalchemy import select

from bot.app import build_core
from bot.core import staff_texts
from bot.core.actions import ConsentAction, StaffAction, StaffVerb
from bot.core.messages import Platform, ResidentKey
from bot.settings import Settings
from bot.storage.models import AppealRow, ResidentRow
from handlers.telegram.app import TelegramChannel
from tests.common import FixedClock
from tests.fakes.telegram import FakeTelegram
from tests.harness import TOKEN, RunningBot
from tests.test_appeals_e2e import INCIDENT, RESIDENT, STAFF_CHAT, WORKING_MORNING, number_of

HOUSING_CHAT = -1001111111111
SCHOOL_CHAT = -1002222222222
CHIEF = 910  # administrator of the default staff chat only
HOUSING_STAFF = 911  # member of the ЖКХ chat only
SCHOOL_STAFF = 912  # member of the Образование chat only
SCHOOL_ADMIN = 913  # administrator of the Образование chat only
PARENT = RESIDENT + 1
KINDERGARTEN = "в детском саду номер 5 протекает крыша, примите меры!"


@asynccontextmanager
async def routed_bot(settings: Settings) -> AsyncIterator[RunningBot]:
    """A default staff chat and two routed ones, each with people of its own."""
    async with FakeTelegram() as tg:
        tg.add_chat(STAFF_CHAT, title="Пресс-служба")
        tg.add_chat(HOUSING_CHAT, title="ЖКХ")
        tg.add_chat(SCHOOL_CHAT, title="Образование")
        tg.add_member(STAFF_CHAT, CHIEF, "administrator", first_name="Олег")
        tg.add_member(HOUSING_CHAT, HOUSING_STAFF, "member", first_name="Мария")
        tg.add_member(SCHOOL_CHAT, SCHOOL_STAFF, "member", first_name="Ирина")
        tg.add_member(SCHOOL_CHAT, SCHOOL_ADMIN, "administrator", first_name="Пётр")
        configured = settings.model_copy(
            update={
                "telegram_bot_token": SecretStr(TOKEN),
                "telegram_api_url": tg.url,
                "telegram_staff_chat_id": STAFF_CHAT,
                "staff_routes": {"ЖКХ": HOUSING_CHAT, "Образование": SCHOOL_CHAT},
            }
        )
        core = await build_core(configured, FixedClock(WORKING_MORNING))
        channel = TelegramChannel(core, poll_timeout=1)
        task = asyncio.create_task(channel.run())
        await tg.wait_for("getUpdates")
        try:
            yield RunningBot(tg, core, channel, task)
        finally:
            await channel.stop(5)
            await asyncio.gather(task, return_exceptions=True)
            await core.database.dispose()


async def ask(bot: RunningBot, resident: int, text: str, chat: int) -> int:
    """A question that becomes an appeal routed to `chat`; returns the card's message id."""
    cards = len(bot.tg.calls("sendMessage", chat_id=chat))
    bot.tg.push_message(resident, text, first_name="Анна", last_name="Петрова")
    (consent,) = await bot.tg.wait_for("sendMessage", 1, chat_id=resident)
    bot.tg.push_callback(
        resident, ConsentAction(accept=True).encode(), consent.result["message_id"]
    )
    sent = await bot.tg.wait_for("sendMessage", cards + 1, chat_id=chat)
    await bot.settle()
    return int(sent[cards].result["message_id"])


async def press(bot: RunningBot, user: int, chat: int, data: str, message_id: int) -> str:
    """A button press in a staff chat; returns the notice the presser saw."""
    answered = len(bot.tg.calls("answerCallbackQuery"))
    bot.tg.push_callback(user, data, message_id, chat)
    calls = await bot.tg.wait_for("answerCallbackQuery", answered + 1)
    await bot.settle()
    return str(calls[-1].params.get("text", ""))


async def says(bot: RunningBot, user: int, chat: int, text: str, **options: Any) -> str:
    """A staff message and the bot's answer to it in that chat."""
    before = len(bot.tg.calls("sendMessage", chat_id=chat))
    bot.tg.push_staff_message(chat, user, text, **options)
    await bot.tg.wait_for("sendMessage", before + 1, chat_id=chat)
    await bot.settle()
    return bot.tg.sent_to(chat)[-1]


async def rows(bot: RunningBot) -> tuple[list[AppealRow], list[ResidentRow]]:
    async with bot.core.database.unit_of_work() as uow:
        appeals = list(await uow.session.scalars(select(AppealRow).order_by(AppealRow.id)))
        residents = list(await uow.session.scalars(select(ResidentRow).order_by(ResidentRow.id)))
        uow.session.expunge_all()
    return appeals, residents


async def test_buttons_commands_and_forget_from_another_chat_change_nothing(
    settings: Settings,
) -> None:
    async with routed_bot(settings) as bot:
        housing_card = await ask(bot, RESIDENT, INCIDENT, HOUSING_CHAT)
        school_card = await ask(bot, PARENT, KINDERGARTEN, SCHOOL_CHAT)
        (housing, school), _ = await rows(bot)
        assert (housing.staff_chat_id, school.staff_chat_id) == (
            str(HOUSING_CHAT),
            str(SCHOOL_CHAT),
        )
        number = number_of(housing)
        elsewhere = staff_texts.OTHER_CHAT_APPEAL.format(number=number)
        to_resident = len(bot.tg.calls("sendMessage", chat_id=RESIDENT))

        # Forged buttons naming the ЖКХ appeal, pressed under a card of the other chat.
        for verb, user in (
            (StaffVerb.TAKE, SCHOOL_STAFF),
            (StaffVerb.CLOSE, SCHOOL_STAFF),
            (StaffVerb.SPAM, SCHOOL_ADMIN),
        ):
            data = StaffAction(verb, housing.id).encode()
            assert await press(bot, user, SCHOOL_CHAT, data, school_card) == elsewhere
        # Commands and /forget from the other routed chat, and from the default chat's admin.
        assert await says(bot, SCHOOL_STAFF, SCHOOL_CHAT, f"/close {number}") == elsewhere
        assert await says(bot, SCHOOL_ADMIN, SCHOOL_CHAT, f"/ban {number}") == elsewhere
        assert await says(bot, SCHOOL_STAFF, SCHOOL_CHAT, f"/forget {number}") == elsewhere
        assert await says(bot, CHIEF, STAFF_CHAT, f"/forget {number}") == elsewhere
        by_id = await says(bot, SCHOOL_STAFF, SCHOOL_CHAT, f"/forget telegram:{RESIDENT}")
        assert by_id == staff_texts.FORGET_ELSEWHERE

        (housing_now, _), residents = await rows(bot)
        assert housing_now.status == "open" and housing_now.taken_by is None
        assert housing_now.closed_at is None
        anna = next(r for r in residents if r.external_id == str(RESIDENT))
        assert anna.display_name == "Анна Петрова" and not anna.banned
        assert len(bot.tg.calls("sendMessage", chat_id=RESIDENT)) == to_resident
        assert bot.tg.sent_to(STAFF_CHAT) == [elsewhere]

        # The same actions where the appeal is handled do work.
        take = StaffAction(StaffVerb.TAKE, housing.id).encode()
        taken = await press(bot, HOUSING_STAFF, HOUSING_CHAT, take, housing_card)
        assert taken.startswith(f"Обращение № {number} взял в работу")
        forgotten = await says(bot, SCHOOL_STAFF, SCHOOL_CHAT, f"/forget telegram:{PARENT}")
        assert forgotten.startswith("Данные жителя удалены")
        (housing_now, school_now), residents = await rows(bot)
        assert housing_now.taken_by == str(HOUSING_STAFF)
        assert school_now.status == "closed"
        assert [r.display_name for r in residents] == ["Анна Петрова", None]


async def test_forget_of_a_resident_without_appeals_belongs_to_the_default_chat(
    settings: Settings,
) -> None:
    async with routed_bot(settings) as bot:
        bot.tg.add_member(STAFF_CHAT, HOUSING_STAFF, "member", first_name="Мария")
        async with bot.core.database.unit_of_work() as uow:
            key = ResidentKey(Platform.TELEGRAM, str(RESIDENT))
            await uow.residents.touch(key, "Анна Петрова", None, WORKING_MORNING)
            await uow.commit()
        refused = await says(bot, HOUSING_STAFF, HOUSING_CHAT, f"/forget telegram:{RESIDENT}")
        assert refused == staff_texts.FORGET_ELSEWHERE
        _, (anna,) = await rows(bot)
        assert anna.display_name == "Анна Петрова"
        done = await says(bot, HOUSING_STAFF, STAFF_CHAT, f"/forget telegram:{RESIDENT}")
        assert done.startswith("Данные жителя удалены")
        _, (anna,) = await rows(bot)
        assert anna.display_name is None
