"""Emergencies and flood limits end to end through the fake Telegram server."""

from __future__ import annotations

from sqlalchemy import select

from bot.core import safety_texts, staff_texts
from bot.settings import Settings
from bot.storage.models import AppealRow, ExchangeRow
from tests.test_appeals_e2e import RESIDENT, STAFF_CHAT, expect, staffed_bot


async def test_emergency_gets_112_first_and_an_urgent_pinned_appeal(settings: Settings) -> None:
    async with staffed_bot(
        settings, edds_phone="8 (40000) 1-12-12", on_duty_staff="@dezhurny"
    ) as bot:
        async with expect(bot, STAFF_CHAT, more=2):
            bot.tg.push_message(RESIDENT, "в подъезде сильно пахнет газом, помогите!")
        first, second = bot.tg.sent_to(RESIDENT)
        assert first == safety_texts.emergency_reply("8 (40000) 1-12-12", "gas")
        assert "112" in first and "104 — аварийная газовая служба" in first and "1-12-12" in first
        assert "№ " in second  # no consent prompt stands between a danger and staff
        alert = bot.tg.sent_to(STAFF_CHAT)[-1]
        assert alert.startswith(staff_texts.URGENT) and "@dezhurny" in alert
        assert "запах газа" in alert
        (pin,) = bot.tg.calls("pinChatMessage")
        assert pin.params["chat_id"] == STAFF_CHAT
        async with bot.core.database.unit_of_work() as uow:
            appeal = await uow.session.scalar(select(AppealRow))
            assert appeal is not None and appeal.urgent


async def test_ordinary_gas_and_fire_questions_are_not_alarmed(settings: Settings) -> None:
    async with staffed_bot(settings) as bot:
        for number, question in enumerate(
            [
                "как оплатить газ через госуслуги",
                "какие правила пожарной безопасности в лесу",
            ]
        ):
            async with expect(bot, RESIDENT + number):
                bot.tg.push_message(RESIDENT + number, question)
            assert "112" not in bot.tg.sent_to(RESIDENT + number)[0]
        assert bot.tg.calls("pinChatMessage") == []


async def test_where_to_call_about_gas_gets_the_numbers_without_an_alarm(
    settings: Settings,
) -> None:
    async with staffed_bot(settings) as bot:
        async with expect(bot, RESIDENT):
            bot.tg.push_message(RESIDENT, "куда звонить если пахнет газом?")
        (reply,) = bot.tg.sent_to(RESIDENT)
        assert "112" in reply and "104" in reply
        assert reply != safety_texts.emergency_reply(None)
        assert bot.tg.calls("pinChatMessage") == []
        assert bot.tg.sent_to(STAFF_CHAT) == []


async def test_a_flood_is_held_back_while_others_are_served(settings: Settings) -> None:
    async with staffed_bot(settings, flood_messages_per_minute=5) as bot:
        flooder, neighbour = RESIDENT, RESIDENT + 50
        for number in range(9):
            bot.tg.push_message(flooder, f"/help {number}")
        bot.tg.push_message(neighbour, "/help")
        await bot.tg.wait_for("sendMessage", 1, chat_id=neighbour)
        await bot.tg.wait_for("sendMessage", 6, chat_id=flooder)
        await bot.settle()
        replies = bot.tg.sent_to(flooder)
        assert len(replies) == 6
        assert replies[-1] == safety_texts.FLOOD_NOTICE
        assert len(bot.tg.sent_to(neighbour)) == 1
        async with bot.core.database.unit_of_work() as uow:
            inbound = list(
                await uow.session.scalars(
                    select(ExchangeRow.outcome).where(ExchangeRow.direction == "in")
                )
            )
        assert len(inbound) == 10
        assert inbound.count("flood") == 4
