"""Forged and stale button data through the real clients: a resident's or a staff member's
press with data no button of ours carries is answered «Кнопка устарела», its spinner is
cleared, its update is finished, and nothing is logged as an error."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from bot.core import texts
from bot.settings import Settings
from bot.storage.database import Database
from bot.storage.models import InboxRow
from tests.fakes.vk import Request
from tests.harness import running_bot
from tests.vk_harness import running_vk_bot

STAFF_CHAT = -1001234567890
STAFF = 900
RESIDENT = 5301
VK_STAFF_PEER = 2_000_000_001
VK_STAFF = 3301
WAIT = 30.0

# Superscript and foreign digits pass `str.isdigit` (and `int` takes the latter); twenty
# digits overflow a 64-bit column; the rest is longer than any button carries.
RESIDENT_FORGED = [
    "pv:99999999999999999999:1",
    "fb:²:1",
    "fb:١٢:1",
    "rt:99999999999999999999:5",
    "pk:1:99999999999",
    "po:" + "9" * 40,
    "sb:99999999999:1",
    "ask:1" + "1" * 300,
]
STAFF_FORGED = [
    "sa:take:²",
    "sa:close:99999999999999999999",
    "sa:spam:٣",
    "pa:res:¹",
    "pa:pub:99999999999999999999",
    "an:99999999999999999999",
]


async def inbox_statuses(database: Database) -> list[str]:
    async with database.unit_of_work() as uow:
        return list(await uow.session.scalars(select(InboxRow.status).order_by(InboxRow.id)))


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


async def test_forged_buttons_on_telegram_are_stale_and_cleared(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with running_bot(settings, telegram_staff_chat_id=STAFF_CHAT) as bot:
        bot.tg.add_chat(STAFF_CHAT, type="supergroup", title="Пресс-служба")
        bot.tg.add_member(STAFF_CHAT, STAFF, "administrator", first_name="Олег")
        pressed = []
        for number, data in enumerate(RESIDENT_FORGED):
            pressed.append(bot.tg.push_callback(RESIDENT + number, data, 1))
        for data in STAFF_FORGED:
            pressed.append(bot.tg.push_callback(STAFF, data, 7, chat_id=STAFF_CHAT))
        await bot.tg.wait_for("answerCallbackQuery", len(pressed), timeout=WAIT)
        await bot.settle()

        answers = {
            call.params["callback_query_id"]: call.params.get("text")
            for call in bot.tg.calls("answerCallbackQuery")
        }
        assert set(answers) == {update["callback_query"]["id"] for update in pressed}
        for number in range(len(RESIDENT_FORGED)):
            assert bot.tg.sent_to(RESIDENT + number) == [texts.STALE_BUTTON]
        staff_answers = [answers[update["callback_query"]["id"]] for update in pressed[-6:]]
        assert staff_answers == [texts.STALE_BUTTON] * len(STAFF_FORGED)
        assert set(await inbox_statuses(bot.core.database)) == {"done"}
    assert errors(caplog) == []


async def test_forged_buttons_on_vk_are_stale_and_cleared(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with running_vk_bot(settings, vk_staff_peer_id=VK_STAFF_PEER) as bot:
        bot.vk.add_chat_member(VK_STAFF_PEER, VK_STAFF, is_admin=True)
        pressed = []
        for number, data in enumerate(RESIDENT_FORGED):
            pressed.append(bot.vk.push_message_event(RESIDENT + number, {"a": data}))
        for data in STAFF_FORGED:
            pressed.append(
                bot.vk.push_message_event(
                    VK_STAFF, {"a": data}, peer_id=VK_STAFF_PEER, conversation_message_id=1
                )
            )

        def acknowledged(requests: list[Request]) -> list[Request] | None:
            found = [r for r in requests if r.method == "messages.sendMessageEventAnswer"]
            return found if len(found) >= len(pressed) else None

        answers = await bot.vk.wait_for(acknowledged, within=WAIT, what="every press answered")
        await bot.settle()

        by_event = {answer.params["event_id"]: answer for answer in answers}
        assert set(by_event) == {press["object"]["event_id"] for press in pressed}
        for number in range(len(RESIDENT_FORGED)):
            assert bot.vk.sent_to(RESIDENT + number) == [texts.STALE_BUTTON]
        for press in pressed[-len(STAFF_FORGED) :]:
            answer = by_event[press["object"]["event_id"]]
            assert answer.params["event_data"] == {
                "type": "show_snackbar",
                "text": texts.STALE_BUTTON,
            }
        assert set(await inbox_statuses(bot.core.database)) == {"done"}
    assert errors(caplog) == []
