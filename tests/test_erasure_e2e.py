"""Erasure end to end: a real conversation through the fake servers (a question, a contact,
a forum topic, staff answers), then `/forget_me` or staff `/forget`, then a search of the
database's bytes for everything that identified the resident."""

from __future__ import annotations

import pytest

from bot.core import staff_texts, texts
from bot.core.actions import ConsentAction, ForgetAction
from bot.settings import Settings
from tests.conftest import ON_POSTGRES
from tests.erasure_checks import database_files, found_in_files, found_in_rows
from tests.harness import RunningBot
from tests.test_appeals_e2e import STAFF, STAFF_CHAT, appeals, expect, number_of
from tests.test_staff_chat import created_topics, staff_bot
from tests.test_vk_staff import (
    STAFF_PEER,
    VK_STAFF,
    cmid_of,
    staff_posts,
    staff_says,
    vk_staffed_bot,
)
from tests.vk_staff_harness import appeals as vk_appeals
from tests.vk_staff_harness import ask_vk, payloads, sent_to, vk_sends

RESIDENT = 48151623
FIRST, LAST, USERNAME = "Анна", "Петрова", "anna_petrova48"
QUESTION = "на улице Ленина 5 третий день нет воды, примите меры! Мой телефон 8 916 765-43-21"
CONTACT = "+79161234567"
IN_TOPIC = "Бригада водоканала выедет к 18:00, перезвоним вам."
ON_CARD = "Уточните, пожалуйста, номер подъезда."
NEEDLES = [
    FIRST,
    LAST,
    USERNAME,
    str(RESIDENT),
    "9161234567",
    "765-43-21",
    "третий день нет воды",
    IN_TOPIC,
    ON_CARD,
]


async def converse(bot: RunningBot) -> tuple[int, int]:
    """Question, consent, a shared contact, answers in the topic and on the card; returns the
    card's message id and the topic's thread id."""
    identity = {"first_name": FIRST, "last_name": LAST, "username": USERNAME}
    async with expect(bot, RESIDENT):
        bot.tg.push_message(RESIDENT, QUESTION, **identity)
    notice = bot.tg.calls("sendMessage", chat_id=RESIDENT)[-1]
    async with expect(bot, STAFF_CHAT):
        bot.tg.push_callback(
            RESIDENT,
            ConsentAction(accept=True).encode(),
            notice.result["message_id"],
            first_name=FIRST,
        )
    card = bot.tg.calls("sendMessage", chat_id=STAFF_CHAT)[-1]
    thread = created_topics(bot)[0].result["message_thread_id"]
    async with expect(bot, RESIDENT):
        bot.tg.push_message(RESIDENT, contact=CONTACT, **identity)
    async with expect(bot, RESIDENT):
        bot.tg.push_staff_message(STAFF_CHAT, STAFF, IN_TOPIC, message_thread_id=thread)
    async with expect(bot, RESIDENT):
        bot.tg.push_staff_message(
            STAFF_CHAT,
            STAFF,
            ON_CARD,
            reply_to_message_id=card.result["message_id"],
            message_thread_id=thread,
        )
    return int(card.result["message_id"]), int(thread)


async def leftovers(bot: RunningBot) -> list[str]:
    found = await found_in_rows(bot.core, NEEDLES)
    if not ON_POSTGRES:
        found += [n for n in found_in_files(bot.core, NEEDLES) if n not in found]
    return found


async def test_forget_me_leaves_nothing_in_the_database_or_the_staff_chat(
    settings: Settings,
) -> None:
    async with staff_bot(settings) as bot:
        card_id, thread = await converse(bot)
        number = number_of((await appeals(bot))[0])
        # The search finds what is there: every needle is stored before the erasure.
        assert await leftovers(bot) == NEEDLES

        async with expect(bot, RESIDENT):
            bot.tg.push_message(RESIDENT, "/forget_me", first_name=FIRST, last_name=LAST)
        prompt = bot.tg.calls("sendMessage", chat_id=RESIDENT)[-1]
        async with expect(bot, RESIDENT):
            bot.tg.push_callback(
                RESIDENT,
                ForgetAction(confirm=True).encode(),
                prompt.result["message_id"],
                first_name=FIRST,
            )
        assert bot.tg.sent_to(RESIDENT)[-1] == texts.FORGOTTEN

        assert await leftovers(bot) == []
        topic = bot.tg.topic(STAFF_CHAT, thread)
        assert topic is not None
        assert topic["name"] == f"{staff_texts.NAMELESS} · Telegram · № {number}"
        card = bot.tg.get_message(STAFF_CHAT, card_id)
        assert card is not None
        assert card["text"] == staff_texts.ERASED_POST.format(number=number)
        assert "reply_markup" not in card


async def test_staff_forget_leaves_nothing_either(settings: Settings) -> None:
    async with staff_bot(settings) as bot:
        await converse(bot)
        assert await leftovers(bot) == NEEDLES
        async with expect(bot, STAFF_CHAT, more=2):
            bot.tg.push_staff_message(STAFF_CHAT, STAFF, f"/forget telegram:{RESIDENT}")
        assert "Данные жителя удалены" in bot.tg.sent_to(STAFF_CHAT)[-1]
        assert await leftovers(bot) == []


@pytest.mark.skipif(ON_POSTGRES, reason="the write-ahead log is SQLite's")
async def test_the_write_ahead_log_is_emptied_after_an_erasure(settings: Settings) -> None:
    async with staff_bot(settings) as bot:
        await converse(bot)
        async with expect(bot, STAFF_CHAT, more=2):
            bot.tg.push_staff_message(STAFF_CHAT, STAFF, f"/forget telegram:{RESIDENT}")
        (wal,) = [f for f in database_files(bot.core) if f.name.endswith("-wal")]
        assert wal.stat().st_size == 0


VK_RESIDENT = 73914025
VK_QUESTION = "во дворе дома 7 прорвало трубу, заливает подвал! Звоните 8 903 555-12-34"
VK_ANSWER = "Аварийная бригада уже едет, ждите звонка."
VK_NEEDLES = ["Ольга", "Иванова", str(VK_RESIDENT), "555-12-34", "прорвало трубу", VK_ANSWER]
# VK refuses edits of community messages older than 24 hours with this error.
TOO_OLD = 909


async def test_vk_resident_is_erased_and_staff_are_told_what_vk_keeps(
    settings: Settings,
) -> None:
    async with vk_staffed_bot(settings) as bot:
        bot.vk.set_user(VK_RESIDENT, "Ольга", "Иванова")
        await ask_vk(bot.vk, VK_QUESTION, resident=VK_RESIDENT)
        (card,) = await staff_posts(bot, 1)
        number = number_of((await vk_appeals(bot.core))[0])
        staff_says(bot.vk, VK_STAFF, VK_ANSWER, cmid_of(card))
        await vk_sends(bot.vk, VK_RESIDENT, 3)
        await staff_posts(bot, 2)
        assert await found_in_rows(bot.core, VK_NEEDLES) == VK_NEEDLES

        bot.vk.fail("messages.edit", TOO_OLD, times=10, msg="Can't edit this message")
        bot.vk.push_message(VK_RESIDENT, "/forget_me")
        prompt = (await vk_sends(bot.vk, VK_RESIDENT, 4))[-1]
        assert ForgetAction(confirm=True).encode() in payloads(prompt)
        bot.vk.push_message_event(VK_RESIDENT, {"a": ForgetAction(confirm=True).encode()})
        done = (await vk_sends(bot.vk, VK_RESIDENT, 5))[-1]
        assert done.params["message"] == texts.FORGOTTEN
        await bot.settle()

        found = await found_in_rows(bot.core, VK_NEEDLES)
        if not ON_POSTGRES:
            found += found_in_files(bot.core, VK_NEEDLES)
        assert found == []
        notes = [r.params["message"] for r in sent_to(bot.vk.requests, STAFF_PEER)]
        assert staff_texts.ERASED_POSTS_LEFT.format(numbers=number) in notes
