"""Nothing the bot said or heard is missing from the record: the main flows on Telegram and
VK, then every message residents sent and received, every staff reply and every bot post
about an appeal is checked against the database."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select

from bot.core.actions import FeedbackAction
from bot.settings import Settings
from bot.storage.models import (
    AppealEventRow,
    ExchangeRow,
    MessageLinkRow,
    ResidentRow,
)
from tests.vk_staff_harness import (
    RESIDENT as VK_RESIDENT,
)
from tests.vk_staff_harness import (
    TELEGRAM_STAFF,
    TELEGRAM_STAFF_CHAT,
    RunningPair,
    ask_vk,
    payloads,
    running_pair,
    sent_to,
    vk_sends,
)

TG_RESIDENT = 7301
INCIDENT = "на улице Ленина 5 третий день нет воды, примите меры!"
SEND_METHODS = (
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "sendVoice",
    "sendVideo",
    "copyMessage",
)


async def test_every_message_said_or_heard_is_recorded(settings: Settings) -> None:
    async with running_pair(settings) as bot:
        heating = bot.core.faq.entry("heating-season")
        assert heating is not None
        tg_inbound = 0

        async def tg_say(
            text: str | None = None, callback: str | None = None, **media: object
        ) -> None:
            nonlocal tg_inbound
            before = len(bot.tg.calls("sendMessage", chat_id=TG_RESIDENT))
            if callback is not None:
                last = bot.tg.calls("sendMessage", chat_id=TG_RESIDENT)[-1]
                bot.tg.push_callback(TG_RESIDENT, callback, last.result["message_id"])
            else:
                bot.tg.push_message(TG_RESIDENT, text, **media)
            tg_inbound += 1
            await bot.tg.wait_for("sendMessage", before + 1, chat_id=TG_RESIDENT)
            await bot.settle()

        # Telegram: greeting, an FAQ answer with feedback, an appeal with media and a reply.
        await tg_say("/start")
        await tg_say(heating.questions[0])
        question = (await _rows(bot, ExchangeRow))[-2]
        await tg_say(callback=FeedbackAction(question.id, helpful=True).encode())
        await tg_say(INCIDENT)
        consent = bot.tg.calls("sendMessage", chat_id=TG_RESIDENT)[-1]
        accept = consent.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        await tg_say(callback=accept)
        bot.tg.push_message(TG_RESIDENT, None, caption="фото", photo="tg-photo")
        tg_inbound += 1
        await bot.tg.wait_for("copyMessage", 1, chat_id=TELEGRAM_STAFF_CHAT)
        await bot.settle()
        card = bot.tg.calls("sendMessage", chat_id=TELEGRAM_STAFF_CHAT)[0]
        bot.tg.push_staff_message(
            TELEGRAM_STAFF_CHAT,
            TELEGRAM_STAFF,
            "Разбираемся",
            reply_to_message_id=card.result["message_id"],
        )
        await bot.tg.wait_for(
            "sendMessage",
            1 + len(bot.tg.calls("sendMessage", chat_id=TG_RESIDENT)),
            chat_id=TG_RESIDENT,
        )
        await bot.settle()

        # VK: greeting, an FAQ answer, an appeal and a staff reply.
        vk_inbound = 0
        bot.vk.push_message(VK_RESIDENT, "Начать")
        vk_inbound += 1
        await vk_sends(bot.vk, VK_RESIDENT, 1)
        bot.vk.push_message(VK_RESIDENT, heating.questions[0])
        vk_inbound += 1
        await vk_sends(bot.vk, VK_RESIDENT, 2)
        await bot.settle()
        prompt_count = len(sent_to(bot.vk.requests, VK_RESIDENT))
        told = await ask_vk(bot.vk, INCIDENT, VK_RESIDENT)
        vk_inbound += 2 if len(sent_to(bot.vk.requests, VK_RESIDENT)) == prompt_count + 2 else 1
        assert "№" in told.params["message"]
        await bot.settle()
        vk_card = bot.tg.calls("sendMessage", chat_id=TELEGRAM_STAFF_CHAT)
        vk_card_id = next(c for c in vk_card if "ВКонтакте" in c.params["text"]).result[
            "message_id"
        ]
        before = len(sent_to(bot.vk.requests, VK_RESIDENT))
        bot.tg.push_staff_message(
            TELEGRAM_STAFF_CHAT, TELEGRAM_STAFF, "Ответ для VK", reply_to_message_id=vk_card_id
        )
        await vk_sends(bot.vk, VK_RESIDENT, before + 1)
        await bot.settle()
        assert payloads(sent_to(bot.vk.requests, VK_RESIDENT)[1]), "FAQ answer had buttons"

        exchanges = await _rows(bot, ExchangeRow)
        residents = {r.id: (r.platform, r.external_id) for r in await _rows(bot, ResidentRow)}
        links = await _rows(bot, MessageLinkRow)
        events = Counter(e.kind for e in await _rows(bot, AppealEventRow))

    def of(platform: str, external_id: int, direction: str) -> list[ExchangeRow]:
        return [
            e
            for e in exchanges
            if residents[e.resident_id] == (platform, str(external_id)) and e.direction == direction
        ]

    # Heard: every inbound event of each resident has its row.
    assert len(of("telegram", TG_RESIDENT, "in")) == tg_inbound
    assert len(of("vk", VK_RESIDENT, "in")) == vk_inbound

    # Said: every message delivered to a resident is an outbound row with its platform id.
    recorded_tg = {
        message_id
        for e in of("telegram", TG_RESIDENT, "out")
        for message_id in (e.platform_message_id or "").split(",")
    }
    delivered_tg = {
        str(call.result["message_id"])
        for method in SEND_METHODS
        for call in bot.tg.calls(method, chat_id=TG_RESIDENT)
        if call.ok
    }
    assert delivered_tg and delivered_tg <= recorded_tg
    recorded_vk = sum(
        len((e.platform_message_id or "").split(",")) for e in of("vk", VK_RESIDENT, "out")
    )
    assert recorded_vk == len(sent_to(bot.vk.requests, VK_RESIDENT))

    # Staff: every bot post about an appeal is linked, and each staff reply too.
    linked = {(link.staff_chat_id, link.staff_message_id) for link in links}
    posts = [
        call
        for method in SEND_METHODS
        for call in bot.tg.calls(method, chat_id=TELEGRAM_STAFF_CHAT)
        if call.ok and "№" in str(call.params.get("text") or call.params.get("caption") or "")
    ]
    assert posts
    assert all((str(TELEGRAM_STAFF_CHAT), str(p.result["message_id"])) in linked for p in posts)
    assert sum(1 for link in links if link.direction == "out") == 2
    assert question.feedback is None  # read before the button press
    assert [e.feedback for e in exchanges if e.id == question.id] == ["helpful"]
    assert events["opened"] == 2 and events["answered"] == 2 and events["joined"] == 1


async def _rows(bot: RunningPair, model: type[Any]) -> list[Any]:
    async with bot.core.database.unit_of_work() as uow:
        rows = list(await uow.session.scalars(select(model).order_by(model.id)))
        uow.session.expunge_all()
    return rows
