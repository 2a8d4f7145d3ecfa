"""VK appeals end to end: VK residents answered from the Telegram staff chat (both channels in
one process), and a VK conversation as the staff chat. Real vkbottle and aiogram clients
against the fakes, a real database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import select
from vkbottle import AiohttpClient

from bot.app import Core
from bot.core import staff_texts, texts
from bot.core.actions import RateAction, StaffAction, StaffVerb, parse_action
from bot.core.staff import Role
from bot.settings import Settings
from bot.storage.models import MessageLinkRow, ResidentRow
from handlers.vk.api import create_api
from handlers.vk.staff import VkStaffDirectory
from tests.common import FixedClock
from tests.fakes.vk import FakeVK, Request
from tests.vk_harness import GROUP_ID, TOKEN, RunningVkBot, running_vk_bot
from tests.vk_staff_harness import (
    RESIDENT,
    TELEGRAM_STAFF,
    TELEGRAM_STAFF_CHAT,
    WAIT,
    WORKING_MORNING,
    appeals,
    ask_vk,
    events,
    number_of,
    payloads,
    running_pair,
    sent_to,
    vk_sends,
)

INCIDENT = "на улице Ленина 5 третий день нет воды, примите меры!"
SECOND_INCIDENT = "на улице Гагарина 12 вторую неделю не вывозят мусор, примите меры!"
STAFF_PEER = 2_000_000_005
OTHER_CHAT = 2_000_000_009
VK_STAFF = 700
VK_ADMIN = 701
STRANGER = 702


async def links(core: Core) -> list[MessageLinkRow]:
    async with core.database.unit_of_work() as uow:
        rows = list(await uow.session.scalars(select(MessageLinkRow).order_by(MessageLinkRow.id)))
        uow.session.expunge_all()
    return rows


# ---------------------------------------------------------------- Telegram staff chat


async def test_vk_question_reaches_telegram_staff_and_the_answer_comes_back(
    settings: Settings,
) -> None:
    async with running_pair(settings) as bot:
        bot.vk.set_user(RESIDENT, "Ольга", "Иванова")
        told = await ask_vk(bot.vk, INCIDENT)
        (card,) = await bot.tg.wait_for("sendMessage", 1, chat_id=TELEGRAM_STAFF_CHAT)
        await bot.settle()
        (appeal,) = await appeals(bot.core)
        number = number_of(appeal)
        assert f"№ {number}" in told.params["message"]
        html = card.params["text"]
        assert f"Обращение № {number}" in html and "ВКонтакте" in html
        assert f'<a href="https://vk.com/id{RESIDENT}">Ольга Иванова</a>' in html
        assert INCIDENT in html
        assert [parse_action(b["callback_data"]) for b in _buttons(card)] == [
            StaffAction(StaffVerb.TAKE, appeal.id),
            StaffAction(StaffVerb.CLOSE, appeal.id),
            StaffAction(StaffVerb.SPAM, appeal.id),
        ]

        resident_before = len(sent_to(bot.vk.requests, RESIDENT))
        bot.tg.push_staff_message(
            TELEGRAM_STAFF_CHAT,
            TELEGRAM_STAFF,
            "Бригада водоканала выехала, воду дадут к 18:00.",
            reply_to_message_id=card.result["message_id"],
        )
        answer = (await vk_sends(bot.vk, RESIDENT, resident_before + 1))[-1]
        await bot.tg.wait_for("sendMessage", 2, chat_id=TELEGRAM_STAFF_CHAT)
        await bot.settle()
        assert answer.params["peer_id"] == RESIDENT
        assert answer.params["message"].startswith(f"Ответ по обращению № {number}")
        assert "Бригада водоканала выехала" in answer.params["message"]
        assert bot.tg.sent_to(TELEGRAM_STAFF_CHAT)[-1] == staff_texts.DELIVERED
        (appeal,) = await appeals(bot.core)
        assert appeal.status == "answered" and appeal.staff_chat_id == str(TELEGRAM_STAFF_CHAT)
        assert await events(bot.core) == ["opened", "forwarded", "answered"]
        out = [link for link in await links(bot.core) if link.direction == "out"]
        assert [(link.resident_chat_id, link.resident_message_id) for link in out] == [
            (str(RESIDENT), str(answer.response))
        ]


async def test_media_cross_between_vk_resident_and_telegram_staff(settings: Settings) -> None:
    photo = b"\xff\xd8\xff\xe0 resident's flooded yard " * 40 + b"\xff\xd9"
    async with running_pair(settings) as bot:
        await ask_vk(bot.vk, INCIDENT)
        (card,) = await bot.tg.wait_for("sendMessage", 1, chat_id=TELEGRAM_STAFF_CHAT)
        await bot.settle()
        (appeal,) = await appeals(bot.core)
        number = number_of(appeal)

        bot.vk.push_message(
            RESIDENT, "Вот фото двора", attachments=[bot.vk.photo_attachment(photo)]
        )
        (uploaded,) = await bot.tg.wait_for("sendPhoto", 1, chat_id=TELEGRAM_STAFF_CHAT)
        await bot.settle()
        # Downloaded from VK's URL and uploaded to Telegram as a file, bytes intact.
        assert uploaded.ok and uploaded.params["photo"]["size"] == len(photo)
        assert bot.tg.file_bytes(uploaded.params["photo"]["file_id"]) == photo
        assert [r.params["size"] for r in bot.vk.calls("download")] == [len(photo)]
        assert "Вот фото двора" in bot.tg.sent_to(TELEGRAM_STAFF_CHAT)[-2]

        # A staff photo, replying to the resident's photo, goes through VK's upload flow.
        scheme = b"\x89PNG staff detour scheme" * 30
        file_id = bot.tg.add_file(scheme, filename="scheme.png", kind="photo")
        resident_before = len(sent_to(bot.vk.requests, RESIDENT))
        bot.tg.push_staff_message(
            TELEGRAM_STAFF_CHAT,
            TELEGRAM_STAFF,
            None,
            caption="Схема объезда",
            photo=file_id,
            reply_to_message_id=uploaded.result["message_id"],
        )
        delivered = (await vk_sends(bot.vk, RESIDENT, resident_before + 1))[-1]
        await bot.settle()
        flow = [
            r.method
            for r in bot.vk.requests
            if r.method in {"photos.getMessagesUploadServer", "upload.photo"}
            or r.method == "photos.saveMessagesPhoto"
            or r is delivered
        ]
        assert flow == [
            "photos.getMessagesUploadServer",
            "upload.photo",
            "photos.saveMessagesPhoto",
            "messages.send",
        ]
        assert bot.vk.calls("photos.getMessagesUploadServer")[0].params["peer_id"] == RESIDENT
        assert bot.vk.calls("upload.photo")[0].params["size"] == len(scheme)
        assert delivered.params["attachment"].startswith(f"photo-{GROUP_ID}_")
        assert delivered.params["message"] == texts.staff_answer(number, "Схема объезда")
        assert bot.vk.uploads[-1].data == scheme

        # A document takes the documents' upload server.
        resident_before += 1
        bot.tg.push_staff_message(
            TELEGRAM_STAFF_CHAT,
            TELEGRAM_STAFF,
            None,
            caption="График отключений",
            document={"data": b"%PDF-1.4 schedule", "file_name": "график.pdf"},
            reply_to_message_id=card.result["message_id"],
        )
        document = (await vk_sends(bot.vk, RESIDENT, resident_before + 1))[-1]
        await bot.settle()
        assert document.params["attachment"].startswith(f"doc-{GROUP_ID}_")
        assert bot.vk.uploads[-1].data == b"%PDF-1.4 schedule"
        assert bot.vk.calls("docs.save")[-1].params["title"] == "график.pdf"
        assert bot.tg.sent_to(TELEGRAM_STAFF_CHAT)[-2:] == [staff_texts.DELIVERED] * 2


async def test_follow_up_status_rating_and_cancel_on_vk(settings: Settings) -> None:
    async with running_pair(settings) as bot:
        await ask_vk(bot.vk, INCIDENT)
        (card,) = await bot.tg.wait_for("sendMessage", 1, chat_id=TELEGRAM_STAFF_CHAT)
        await bot.settle()
        (appeal,) = await appeals(bot.core)
        number = number_of(appeal)

        bot.vk.push_message(RESIDENT, "Добавлю: в соседнем доме тоже нет воды")
        joined = (await vk_sends(bot.vk, RESIDENT, 3))[-1]
        follow_up = (await bot.tg.wait_for("sendMessage", 2, chat_id=TELEGRAM_STAFF_CHAT))[-1]
        assert joined.params["message"] == texts.appeal_joined(number)
        assert "в соседнем доме" in follow_up.params["text"]
        assert f"№ {number}" in follow_up.params["text"]

        bot.vk.push_message(RESIDENT, "/status")
        status = (await vk_sends(bot.vk, RESIDENT, 4))[-1]
        assert f"№ {number} — ждёт ответа" in status.params["message"]

        # A staff reply to the follow-up reaches the resident too; then staff close it.
        bot.tg.push_staff_message(
            TELEGRAM_STAFF_CHAT,
            TELEGRAM_STAFF,
            "Проверим оба дома.",
            reply_to_message_id=follow_up.result["message_id"],
        )
        await vk_sends(bot.vk, RESIDENT, 5)
        bot.tg.push_staff_message(
            TELEGRAM_STAFF_CHAT,
            TELEGRAM_STAFF,
            "/close",
            reply_to_message_id=card.result["message_id"],
        )
        rating = (await vk_sends(bot.vk, RESIDENT, 6))[-1]
        await bot.settle()
        assert rating.params["message"] == texts.appeal_closed(number)
        stars = payloads(rating)
        assert [parse_action(p) for p in stars] == [RateAction(appeal.id, s) for s in range(1, 6)]
        press = bot.vk.push_message_event(RESIDENT, {"a": stars[3]})
        await bot.vk.wait_for_call(
            "messages.sendMessageEventAnswer", event_id=press["object"]["event_id"], within=WAIT
        )
        thanks = (await vk_sends(bot.vk, RESIDENT, 7))[-1]
        await bot.settle()
        assert thanks.params["message"] == texts.THANKS_FOR_RATING
        (appeal,) = await appeals(bot.core)
        assert (appeal.status, appeal.rating) == ("closed", 4)
        rated = staff_texts.RATED.format(number=number, stars=4)
        assert rated in bot.tg.sent_to(TELEGRAM_STAFF_CHAT)

        # Consent is given once: the next question opens an appeal at once; /cancel withdraws it.
        second = await ask_vk(bot.vk, SECOND_INCIDENT)
        await bot.settle()
        _, new = await appeals(bot.core)
        assert f"№ {number_of(new)}" in second.params["message"]
        bot.vk.push_message(RESIDENT, "/cancel")
        cancelled = (await vk_sends(bot.vk, RESIDENT, 9))[-1]
        await bot.settle()
        assert cancelled.params["message"] == texts.appeal_cancelled(number_of(new))
        notice = staff_texts.CANCELLED_BY_RESIDENT.format(number=number_of(new))
        assert notice in bot.tg.sent_to(TELEGRAM_STAFF_CHAT)
        assert [a.status for a in await appeals(bot.core)] == ["closed", "cancelled"]
        assert await events(bot.core) == [
            "opened",
            "forwarded",
            "joined",
            "answered",
            "closed",
            "rated",
            "opened",
            "forwarded",
            "cancelled",
        ]


async def test_reply_to_a_vk_resident_who_forbade_messages(settings: Settings) -> None:
    async with running_pair(settings) as bot:
        await ask_vk(bot.vk, INCIDENT)
        (card,) = await bot.tg.wait_for("sendMessage", 1, chat_id=TELEGRAM_STAFF_CHAT)
        await bot.settle()
        bot.vk.fail("messages.send", 901, peer_id=RESIDENT)
        bot.tg.push_staff_message(
            TELEGRAM_STAFF_CHAT,
            TELEGRAM_STAFF,
            "Ответ",
            reply_to_message_id=card.result["message_id"],
        )
        await bot.tg.wait_for("sendMessage", 2, chat_id=TELEGRAM_STAFF_CHAT)
        await bot.settle()
        assert bot.tg.sent_to(TELEGRAM_STAFF_CHAT)[-1] == staff_texts.UNREACHABLE
        refused = bot.vk.calls("messages.send")[-1]
        assert (refused.params["peer_id"], refused.error_code) == (RESIDENT, 901)
        async with bot.core.database.unit_of_work() as uow:
            resident = await uow.session.scalar(select(ResidentRow))
            assert resident is not None and not resident.reachable
        (appeal,) = await appeals(bot.core)
        assert appeal.status == "open" and appeal.first_response_at is None
        assert await events(bot.core) == ["opened", "forwarded", "undelivered"]


# ---------------------------------------------------------------- VK conversation as staff chat


@asynccontextmanager
async def vk_staffed_bot(settings: Settings) -> AsyncIterator[RunningVkBot]:
    """VK alone, with a conversation of a staff member and an administrator as staff chat."""
    clock = FixedClock(WORKING_MORNING)
    async with running_vk_bot(settings, clock=clock, vk_staff_peer_id=STAFF_PEER) as bot:
        bot.vk.set_user(RESIDENT, "Ольга", "Иванова")
        bot.vk.set_user(VK_STAFF, "Мария", "Сидорова")
        bot.vk.set_user(VK_ADMIN, "Олег", "Петров")
        bot.vk.add_chat_member(STAFF_PEER, VK_ADMIN, is_admin=True)
        bot.vk.add_chat_member(STAFF_PEER, VK_STAFF)
        bot.vk.add_chat_member(STAFF_PEER, -GROUP_ID)
        yield bot


def staff_says(vk: FakeVK, user: int, text: str, reply_to: int | None = None, **kwargs: Any) -> int:
    """A message in the staff conversation, replying (VK's «Ответить») to the message with
    conversation_message_id `reply_to`; returns the new message's conversation_message_id."""
    replied = None
    if reply_to is not None:
        original = vk.message(STAFF_PEER, reply_to)
        assert original is not None
        replied = vk.foreign_message(
            original["from_id"],
            original["text"],
            peer_id=STAFF_PEER,
            conversation_message_id=reply_to,
        )
    event = vk.push_message(user, text, peer_id=STAFF_PEER, reply_message=replied, **kwargs)
    return int(event["object"]["message"]["conversation_message_id"])


def cmid_of(send: Request) -> int:
    """The conversation_message_id VK returned for a `peer_ids` send to the staff chat."""
    (item,) = send.response
    return int(item["conversation_message_id"])


def answers(send: Request, message_cmid: int) -> bool:
    return send.params.get("forward") == {
        "peer_id": STAFF_PEER,
        "conversation_message_ids": [message_cmid],
        "is_reply": True,
    }


async def staff_posts(bot: RunningVkBot, count: int) -> list[Request]:
    posts = await vk_sends(bot.vk, STAFF_PEER, count)
    await bot.settle()
    return posts


async def test_vk_conversation_gets_cards_and_staff_replies_reach_the_resident(
    settings: Settings,
) -> None:
    async with vk_staffed_bot(settings) as bot:
        await ask_vk(bot.vk, INCIDENT)
        (card,) = await staff_posts(bot, 1)
        (appeal,) = await appeals(bot.core)
        number = number_of(appeal)
        # Sent with peer_ids: the answer carries the conversation_message_id replies name.
        assert card.params["peer_ids"] == [STAFF_PEER] and "peer_id" not in card.params
        text = card.params["message"]
        assert text.startswith(f"Обращение № {number} · ВКонтакте")
        assert f"От: Ольга Иванова (https://vk.com/id{RESIDENT})" in text
        assert INCIDENT in text and "<" not in text
        assert card.params["keyboard"]["inline"] is True
        assert [parse_action(p) for p in payloads(card)] == [
            StaffAction(StaffVerb.TAKE, appeal.id),
            StaffAction(StaffVerb.CLOSE, appeal.id),
            StaffAction(StaffVerb.SPAM, appeal.id),
        ]
        card_id = cmid_of(card)
        assert bot.vk.message(STAFF_PEER, card_id) is not None
        (link,) = await links(bot.core)
        assert (link.staff_chat_id, link.staff_message_id) == (str(STAFF_PEER), str(card_id))
        assert appeal.staff_chat_id == str(STAFF_PEER)

        reply_id = staff_says(bot.vk, VK_STAFF, "Бригада выехала, воду дадут к 18:00.", card_id)
        answer = (await vk_sends(bot.vk, RESIDENT, 3))[-1]
        delivered = (await staff_posts(bot, 2))[-1]
        assert answer.params["message"] == texts.staff_answer(
            number, "Бригада выехала, воду дадут к 18:00."
        )
        assert delivered.params["message"] == staff_texts.DELIVERED
        assert answers(delivered, reply_id)
        (appeal,) = await appeals(bot.core)
        assert appeal.status == "answered" and appeal.first_response_at is not None
        out = [link for link in await links(bot.core) if link.direction == "out"]
        assert [link.staff_message_id for link in out] == [str(reply_id)]

        # Plain talk in the conversation and a reply to a message of no appeal are left alone.
        staff_says(bot.vk, VK_STAFF, "Коллеги, кто сегодня дежурит?")
        staff_says(bot.vk, VK_STAFF, "Спасибо", reply_to=cmid_of(delivered))
        await bot.settle()
        assert len(sent_to(bot.vk.requests, STAFF_PEER)) == 2
        assert len(sent_to(bot.vk.requests, RESIDENT)) == 3


async def test_vk_staff_buttons_and_commands(settings: Settings) -> None:
    async with vk_staffed_bot(settings) as bot:
        await ask_vk(bot.vk, INCIDENT)
        (card,) = await staff_posts(bot, 1)
        (appeal,) = await appeals(bot.core)
        number = number_of(appeal)
        card_id = cmid_of(card)
        take = payloads(card)[0]

        press = bot.vk.push_message_event(
            VK_STAFF, {"a": take}, peer_id=STAFF_PEER, conversation_message_id=card_id
        )
        acknowledged = await bot.vk.wait_for_call(
            "messages.sendMessageEventAnswer", event_id=press["object"]["event_id"], within=WAIT
        )
        taken = (await staff_posts(bot, 2))[-1]
        notice = staff_texts.TAKEN.format(number=number, staff="Мария Сидорова")
        assert acknowledged.params["user_id"] == VK_STAFF
        assert acknowledged.params["peer_id"] == STAFF_PEER
        assert acknowledged.params["event_data"] == {
            "type": "show_snackbar",
            "text": notice,
        }
        assert taken.params["message"] == notice and answers(taken, card_id)
        (appeal,) = await appeals(bot.core)
        assert (appeal.status, appeal.taken_by) == ("in_progress", str(VK_STAFF))

        listing_id = staff_says(bot.vk, VK_STAFF, "/appeals")
        listing = (await staff_posts(bot, 3))[-1]
        assert f"№ {number} — в работе" in listing.params["message"]
        assert answers(listing, listing_id)

        # A follow-up is posted into the conversation; a reply to it reaches the resident.
        bot.vk.push_message(RESIDENT, "Добавлю: в соседнем доме тоже нет воды")
        follow_up = (await staff_posts(bot, 4))[-1]
        assert "в соседнем доме" in follow_up.params["message"]
        staff_says(bot.vk, VK_STAFF, "Проверим оба дома.", cmid_of(follow_up))
        answer = (await vk_sends(bot.vk, RESIDENT, 4))[-1]
        await staff_posts(bot, 5)
        assert answer.params["message"] == texts.staff_answer(number, "Проверим оба дома.")

        staff_says(bot.vk, VK_STAFF, f"/close {number}")
        closed = (await staff_posts(bot, 6))[-1]
        rating = (await vk_sends(bot.vk, RESIDENT, 5))[-1]
        assert closed.params["message"] == staff_texts.CLOSED.format(
            number=number, staff="Мария Сидорова"
        )
        assert rating.params["message"] == texts.appeal_closed(number)

        staff_says(bot.vk, VK_STAFF, "/reopen", card_id)
        reopened = (await staff_posts(bot, 7))[-1]
        assert reopened.params["message"] == staff_texts.REOPENED.format(
            number=number, staff="Мария Сидорова"
        )

        staff_says(bot.vk, VK_STAFF, "/ban", card_id)
        assert (await staff_posts(bot, 8))[-1].params["message"] == staff_texts.ADMINS_ONLY
        # Addressed to the bot by mention, as VK writes it.
        staff_says(bot.vk, VK_ADMIN, f"[club{GROUP_ID}|@vmeste] /ban", card_id)
        banned = (await staff_posts(bot, 9))[-1]
        assert banned.params["message"] == staff_texts.BANNED.format(staff="Олег Петров")
        async with bot.core.database.unit_of_work() as uow:
            resident = await uow.session.scalar(select(ResidentRow))
            assert resident is not None and resident.banned

        staff_says(bot.vk, VK_ADMIN, f"/unban {number}")
        unbanned = (await staff_posts(bot, 10))[-1]
        assert unbanned.params["message"] == staff_texts.UNBANNED.format(staff="Олег Петров")
        assert await events(bot.core) == [
            "opened",
            "forwarded",
            "taken",
            "joined",
            "answered",
            "closed",
            "reopened",
            "banned",
            "unbanned",
        ]


async def test_stranger_other_chats_and_own_posts_get_nothing_done(settings: Settings) -> None:
    async with vk_staffed_bot(settings) as bot:
        await ask_vk(bot.vk, INCIDENT)
        (card,) = await staff_posts(bot, 1)
        (appeal,) = await appeals(bot.core)
        number = number_of(appeal)
        card_id = cmid_of(card)
        take = payloads(card)[0]

        staff_says(bot.vk, STRANGER, "я не сотрудник, но отвечу", card_id)
        staff_says(bot.vk, STRANGER, "/close", card_id)
        refused = (await staff_posts(bot, 2))[-1]
        assert refused.params["message"] == staff_texts.NOT_ALLOWED
        press = bot.vk.push_message_event(
            STRANGER, {"a": take}, peer_id=STAFF_PEER, conversation_message_id=card_id
        )
        snackbar = await bot.vk.wait_for_call(
            "messages.sendMessageEventAnswer", event_id=press["object"]["event_id"], within=WAIT
        )
        assert snackbar.params["event_data"]["text"] == staff_texts.NOT_ALLOWED

        # The community's own message, a service message and other conversations get nothing.
        staff_says(bot.vk, -GROUP_ID, f"/close {number}")
        joined = bot.vk.message_new(VK_STAFF, f"/close {number}", peer_id=STAFF_PEER)
        joined["object"]["message"]["action"] = {"type": "chat_invite_user", "member_id": 703}
        bot.vk.push(joined)
        bot.vk.add_chat_member(OTHER_CHAT, VK_STAFF)
        bot.vk.push_message(VK_STAFF, f"/close {number}", peer_id=OTHER_CHAT)
        bot.vk.push_message_event(VK_STAFF, {"a": take}, peer_id=OTHER_CHAT)
        await bot.settle()
        assert len(sent_to(bot.vk.requests, STAFF_PEER)) == 2
        assert sent_to(bot.vk.requests, OTHER_CHAT) == []
        assert len(sent_to(bot.vk.requests, RESIDENT)) == 2
        answered = [r.params["peer_id"] for r in bot.vk.calls("messages.sendMessageEventAnswer")]
        assert answered.count(STAFF_PEER) == 1 and OTHER_CHAT not in answered
        (appeal,) = await appeals(bot.core)
        assert appeal.status == "open" and appeal.taken_by is None
        assert await events(bot.core) == ["opened", "forwarded"]


async def test_media_between_vk_resident_and_vk_staff(settings: Settings) -> None:
    photo = b"\xff\xd8\xff resident's pothole " * 20 + b"\xff\xd9"
    scheme = b"\xff\xd8\xff staff's detour scheme " * 20 + b"\xff\xd9"
    async with vk_staffed_bot(settings) as bot:
        vk = bot.vk
        await ask_vk(vk, INCIDENT)
        (card,) = await staff_posts(bot, 1)
        (appeal,) = await appeals(bot.core)
        number = number_of(appeal)

        vk.push_message(RESIDENT, "Вот яма", attachments=[vk.photo_attachment(photo)])
        follow_up, copy = (await staff_posts(bot, 3))[1:]
        assert "Вот яма" in follow_up.params["message"]
        assert copy.params["attachment"].startswith(f"photo-{GROUP_ID}_")
        assert vk.calls("photos.getMessagesUploadServer")[0].params["peer_id"] == STAFF_PEER
        assert vk.uploads[0].data == photo

        staff_says(
            vk, VK_STAFF, "Схема объезда", cmid_of(card), attachments=[vk.photo_attachment(scheme)]
        )
        answer = (await vk_sends(vk, RESIDENT, 4))[-1]
        await staff_posts(bot, 4)
        assert answer.params["message"] == texts.staff_answer(number, "Схема объезда")
        assert answer.params["attachment"].startswith(f"photo-{GROUP_ID}_")
        assert vk.calls("photos.getMessagesUploadServer")[1].params["peer_id"] == RESIDENT
        assert vk.uploads[1].data == scheme


async def test_telegram_resident_answered_from_the_vk_conversation(settings: Settings) -> None:
    scheme = b"\xff\xd8\xff staff's detour scheme " * 20 + b"\xff\xd9"
    telegram_resident = 5101
    async with running_pair(
        settings, telegram_staff_chat_id=None, vk_staff_peer_id=STAFF_PEER
    ) as bot:
        bot.vk.add_chat_member(STAFF_PEER, VK_STAFF)
        bot.tg.push_message(telegram_resident, INCIDENT, first_name="Анна")
        (prompt,) = await bot.tg.wait_for("sendMessage", 1, chat_id=telegram_resident)
        accept = next(b["callback_data"] for b in _buttons(prompt) if b["callback_data"] == "cs:1")
        bot.tg.push_callback(telegram_resident, accept, prompt.result["message_id"])
        (card,) = await vk_sends(bot.vk, STAFF_PEER, 1)
        await bot.settle()
        (appeal,) = await appeals(bot.core)
        number = number_of(appeal)
        assert f"Обращение № {number} · Telegram" in card.params["message"]

        staff_says(
            bot.vk,
            VK_STAFF,
            "Схема объезда",
            cmid_of(card),
            attachments=[bot.vk.photo_attachment(scheme)],
        )
        (photo,) = await bot.tg.wait_for("sendPhoto", 1, chat_id=telegram_resident)
        delivered = (await vk_sends(bot.vk, STAFF_PEER, 2))[-1]
        await bot.settle()
        assert photo.params["photo"]["size"] == len(scheme)
        assert photo.params["caption"] == texts.staff_answer(number, "Схема объезда")
        assert delivered.params["message"] == staff_texts.DELIVERED


async def test_vk_staff_directory_roles(settings: Settings) -> None:
    async with FakeVK(group_id=GROUP_ID) as vk:
        vk.add_chat_member(STAFF_PEER, VK_STAFF)
        vk.add_chat_member(STAFF_PEER, VK_ADMIN, is_admin=True)
        vk.add_chat_member(STAFF_PEER, -GROUP_ID, is_admin=True)
        api = create_api(vk.api_url, TOKEN, 100.0, AiohttpClient())
        try:
            directory = VkStaffDirectory(api)
            chat = str(STAFF_PEER)
            assert await directory.chat_role(chat, str(VK_STAFF)) is Role.STAFF
            assert await directory.chat_role(chat, str(VK_ADMIN)) is Role.ADMIN
            assert await directory.chat_role(chat, str(STRANGER)) is Role.NONE
            assert await directory.chat_role(chat, str(-GROUP_ID)) is Role.NONE
            # One listing serves a burst of checks.
            assert len(vk.calls("messages.getConversationMembers")) == 1
            # A private dialog is no staff chat; VK is not even asked.
            assert await directory.chat_role(str(RESIDENT), str(RESIDENT)) is Role.NONE
            # The bot has no access to this conversation (error 917): nobody is staff, and
            # the failure is not remembered.
            assert await directory.chat_role(str(OTHER_CHAT), str(VK_STAFF)) is Role.NONE
            assert vk.calls("messages.getConversationMembers")[-1].error_code == 917
            vk.add_chat_member(OTHER_CHAT, VK_STAFF)
            assert await directory.chat_role(str(OTHER_CHAT), str(VK_STAFF)) is Role.STAFF
            assert len(vk.calls("messages.getConversationMembers")) == 3

            uncached = VkStaffDirectory(api, ttl=0)
            vk.add_chat_member(STAFF_PEER, STRANGER)
            assert await uncached.chat_role(chat, str(STRANGER)) is Role.STAFF
        finally:
            await api.http_client.close()


def _buttons(send: Any) -> list[dict[str, Any]]:
    return [b for row in send.params["reply_markup"]["inline_keyboard"] for b in row]
