"""The VK channel end to end: the real vkbottle client against the fake VK server, a real
database, the core deciding."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any, Literal

import aiohttp
import pytest
import yaml
from pydantic import SecretStr

from bot.core import texts
from bot.core.actions import FeedbackAction, PickAction, parse_action
from bot.core.messages import Attachment, AttachmentKind, Platform, Reply, ResidentKey
from bot.settings import Settings
from handlers.vk.messenger import VkMessenger
from handlers.vk.residents import attachments_of
from tests.conftest import PROJECT
from tests.fakes.telegram import FakeTelegram
from tests.fakes.vk import FakeVK, Request
from tests.harness import TOKEN as TELEGRAM_TOKEN
from tests.vk_harness import GROUP_ID, TOKEN, RunningVkBot, running_vk_bot

RESIDENT = 501
NEIGHBOUR = 502
CHAT_PEER = 2_000_000_007
START_TIMEOUT = 60


def is_help(texts_sent: list[str]) -> bool:
    """One reply, the help text (the core appends a notice to it)."""
    return len(texts_sent) == 1 and texts_sent[0].startswith(texts.HELP)


def keyboard(send: Request) -> dict[str, Any]:
    board = send.params["keyboard"]
    assert isinstance(board, dict)
    return board


def callback_payloads(send: Request) -> list[list[str]]:
    """The `a` field of every callback button, row by row."""
    rows = keyboard(send)["buttons"]
    assert all(button["action"]["type"] == "callback" for row in rows for button in row)
    return [[button["action"]["payload"]["a"] for button in row] for row in rows]


def labels(send: Request) -> list[list[str]]:
    return [[button["action"]["label"] for button in row] for row in keyboard(send)["buttons"]]


async def sends(bot: RunningVkBot, count: int, peer_id: int = RESIDENT) -> list[Request]:
    """Wait for `count` successful messages.send calls to `peer_id` and return them."""

    def delivered(requests: list[Request]) -> list[Request] | None:
        found = [
            r
            for r in requests
            if r.method == "messages.send" and r.ok and r.params.get("peer_id") == peer_id
        ]
        return found if len(found) >= count else None

    return await bot.vk.wait_for(delivered, what=f"{count} send(s) to {peer_id}")


async def test_start_words_and_faq_answer_with_callback_buttons(settings: Settings) -> None:
    async with running_vk_bot(settings) as bot:
        bot.vk.set_user(RESIDENT, "Ольга", "Иванова")
        pushed = [bot.vk.push_message(RESIDENT, "/start")]
        greeting = (await sends(bot, 1))[0]
        # VK's «Начать» button sends its label as text (and a payload the adapter ignores).
        pushed.append(bot.vk.push_message(RESIDENT, "Начать", payload={"command": "start"}))
        again = (await sends(bot, 2))[1]
        heating = bot.core.faq.entry("heating-season")
        assert heating is not None
        pushed.append(bot.vk.push_message(RESIDENT, heating.questions[0]))
        answer = (await sends(bot, 3))[2]
        await bot.settle()

        assert greeting.params["message"].startswith(texts.GREETING)
        assert again.params["message"] == greeting.params["message"]
        menu = keyboard(greeting)
        assert menu["inline"] is False
        assert labels(greeting)[0] == [texts.MENU_ASK_STAFF]
        assert {b["action"]["type"] for row in menu["buttons"] for b in row} == {"text"}

        assert answer.params["message"] == heating.answer.strip()
        assert keyboard(answer)["inline"] is True
        assert labels(answer) == [[texts.HELPFUL_BUTTON, texts.NOT_HELPFUL_BUTTON]]

        rows = await bot.exchanges()
        inbound = [row for row in rows if row.direction == "in"]
        assert [row.text for row in inbound] == ["/start", "Начать", heating.questions[0]]
        question = inbound[2]
        assert question.outcome == "answer" and question.faq_entry_id == "heating-season"
        # The payloads round-trip: they name this very exchange.
        assert [parse_action(p) for p in callback_payloads(answer)[0]] == [
            FeedbackAction(question.id, helpful=True),
            FeedbackAction(question.id, helpful=False),
        ]
        assert all(row.inbox_id for row in inbound)
        assert all(row.platform == "vk" and row.chat_id == str(RESIDENT) for row in rows)
        assert [row.platform_message_id for row in inbound] == [
            str(event["object"]["message"]["conversation_message_id"]) for event in pushed
        ]
        outbound = [row for row in rows if row.direction == "out"]
        assert len(outbound) == 3 and all(row.kind == "text" for row in outbound)
        assert all(row.platform_message_id for row in outbound)
        async with bot.core.database.unit_of_work() as uow:
            resident = await uow.residents.find(ResidentKey(Platform.VK, str(RESIDENT)))
        assert resident is not None and resident.display_name == "Ольга Иванова"
        assert {row.resident_id for row in rows} == {resident.id}


async def test_not_helpful_is_recorded_and_the_press_answered(settings: Settings) -> None:
    async with running_vk_bot(settings) as bot:
        clinic = bot.core.faq.entry("clinic-appointment")
        assert clinic is not None
        bot.vk.push_message(RESIDENT, clinic.questions[0])
        answer = (await sends(bot, 1))[0]
        not_helpful = callback_payloads(answer)[0][1]
        press = bot.vk.push_message_event(RESIDENT, {"a": not_helpful})
        event_id = press["object"]["event_id"]
        acknowledged = await bot.vk.wait_for_call(
            "messages.sendMessageEventAnswer", event_id=event_id
        )
        reply = (await sends(bot, 2))[1]
        await bot.settle()

        assert acknowledged.params == {
            "event_id": event_id,
            "user_id": RESIDENT,
            "peer_id": RESIDENT,
        }
        # Acknowledged only after the dialog answered.
        assert bot.vk.requests.index(reply) < bot.vk.requests.index(acknowledged)
        assert reply.params["message"] == texts.NOT_HELPFUL
        assert labels(reply) == [["Да, передать сотруднику"]]
        question, press_row = [row for row in await bot.exchanges() if row.direction == "in"]
        assert question.feedback == "not_helpful" and question.feedback_at is not None
        assert press_row.kind == "callback" and press_row.text == not_helpful


async def test_did_you_mean_picked_by_button(settings: Settings) -> None:
    forced = {"faq_answer_threshold": 100.0, "faq_suggest_threshold": 1.0, "faq_margin": 0.0}
    async with running_vk_bot(settings, **forced) as bot:
        bot.vk.push_message(RESIDENT, "когда включат тепло в квартирах")
        suggestion = (await sends(bot, 1))[0]
        await bot.settle()
        question = next(row for row in await bot.exchanges() if row.direction == "in")
        assert question.outcome == "suggest" and len(question.candidates) >= 2
        payloads = callback_payloads(suggestion)
        assert [parse_action(row[0]) for row in payloads[:2]] == [
            PickAction(question.id, 0),
            PickAction(question.id, 1),
        ]
        assert labels(suggestion)[-1] == [texts.ASK_STAFF_BUTTON]
        assert all(len(label) <= 40 for row in labels(suggestion) for label in row)

        press = bot.vk.push_message_event(RESIDENT, {"a": payloads[1][0]})
        await bot.vk.wait_for_call(
            "messages.sendMessageEventAnswer", event_id=press["object"]["event_id"]
        )
        picked_answer = (await sends(bot, 2))[1]
        await bot.settle()

        assert suggestion.params["message"] == texts.SUGGEST
        chosen = bot.core.faq.entry(question.candidates[1]["entry_id"])
        assert chosen is not None
        assert picked_answer.params["message"] == chosen.answer.strip()
        pick = [row for row in await bot.exchanges() if row.direction == "in"][1]
        assert pick.outcome == "picked" and pick.faq_entry_id == chosen.id


async def test_forged_payload_gets_an_answer_and_the_press_is_acknowledged(
    settings: Settings,
) -> None:
    async with running_vk_bot(settings) as bot:
        press = bot.vk.push_message_event(RESIDENT, {"cmd": "something else"})
        await bot.vk.wait_for_call(
            "messages.sendMessageEventAnswer", event_id=press["object"]["event_id"]
        )
        reply = (await sends(bot, 1))[0]
        await bot.settle()
        assert reply.params["message"] == texts.STALE_BUTTON
        (row,) = [row for row in await bot.exchanges() if row.direction == "in"]
        assert row.outcome == "stale_action"


async def test_long_answer_arrives_split(settings: Settings, tmp_path: Path) -> None:
    paragraph = "Подробный порядок действий при оформлении субсидии на оплату услуг ЖКХ. " * 12
    long_answer = "\n\n".join([paragraph] * 6)
    assert 5000 <= len(long_answer) < 8192
    kb = tmp_path / "kb.yaml"
    question = "Как оформить субсидию на оплату коммунальных услуг?"
    kb.write_text(
        yaml.safe_dump(
            [{"id": "long-answer", "questions": [question], "answer": long_answer}],
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    async with running_vk_bot(settings, faq_path=kb) as bot:
        bot.vk.push_message(RESIDENT, question)
        parts = await sends(bot, 2)
        await bot.settle()
        texts_sent = [request.params["message"] for request in parts]
        assert all(len(text) <= 4096 for text in texts_sent)
        assert " ".join(texts_sent).split() == long_answer.split()
        assert "keyboard" not in parts[0].params
        assert keyboard(parts[1])["inline"] is True
        assert parts[0].params["random_id"] != parts[1].params["random_id"]
        out = [row for row in await bot.exchanges() if row.direction == "out"]
        assert out[0].platform_message_id is not None
        assert len(out[0].platform_message_id.split(",")) == 2


async def test_flood_control_is_waited_out_with_the_same_random_id(settings: Settings) -> None:
    async with running_vk_bot(settings) as bot:
        bot.vk.fail("messages.send", 6)
        bot.vk.fail("messages.send", 9)
        bot.vk.push_message(RESIDENT, "/help")
        assert is_help(await bot.vk.wait_for_sent(RESIDENT, within=15))
        await bot.settle()
        attempts = bot.vk.calls("messages.send")
        assert [r.error_code for r in attempts] == [6, 9, None]
        assert len({r.params["random_id"] for r in attempts}) == 1
        assert attempts[2].at - attempts[0].at >= 2.5  # waited 1 s, then 2 s
        (out,) = [row for row in await bot.exchanges() if row.direction == "out"]
        assert out.kind == "text"


async def test_api_calls_keep_to_the_rate_limit(settings: Settings) -> None:
    async with running_vk_bot(settings, vk_rate_limit=10.0) as bot:
        for resident in range(601, 605):
            bot.vk.push_message(resident, "/help")
        await bot.vk.wait_for_sent(604)
        await bot.settle()
        # Long polls go to the long-poll server, not the API, and are not counted.
        calls = [r for r in bot.vk.requests if r.method in {"users.get", "messages.send"}]
        assert len(calls) == 8
        # Concurrent handlers, yet the calls start at least 1/10 s apart (a little jitter).
        assert calls[-1].at - calls[0].at >= 7 * 0.1 * 0.9


async def test_forbidden_recipient_is_recorded_as_undelivered(settings: Settings) -> None:
    async with running_vk_bot(settings) as bot:
        bot.vk.fail("messages.send", 901, peer_id=RESIDENT)
        bot.vk.push_message(RESIDENT, "/help")
        bot.vk.push_message(NEIGHBOUR, "/help")
        assert is_help(await bot.vk.wait_for_sent(NEIGHBOUR))
        await bot.settle()
        assert bot.vk.sent_to(RESIDENT) == []
        assert [r.error_code for r in bot.vk.calls("messages.send")].count(901) == 1
        rows = await bot.exchanges()
        blocked = [row for row in rows if row.direction == "out" and row.chat_id == str(RESIDENT)]
        assert [row.kind for row in blocked] == ["undelivered"]
        assert blocked[0].platform_message_id is None
        assert {row.status for row in await bot.inbox()} == {"done"}


async def test_conversations_and_other_events_are_left_alone(settings: Settings) -> None:
    async with running_vk_bot(settings) as bot:
        bot.vk.push_message(RESIDENT, "когда дадут отопление", peer_id=CHAT_PEER)
        bot.vk.push(bot.vk.message_allow(RESIDENT), bot.vk.message_deny(NEIGHBOUR))
        bot.vk.push_message(-GROUP_ID, "сообщение от сообщества")
        bot.vk.push_message(RESIDENT, "/help")
        await bot.vk.wait_for_sent(RESIDENT)
        await bot.settle()
        assert bot.vk.sent_to(CHAT_PEER) == []
        assert [r.params["peer_id"] for r in bot.vk.calls("messages.send")] == [RESIDENT]
        inbound = [row.text for row in await bot.exchanges() if row.direction == "in"]
        assert inbound == ["/help"]
        inbox = await bot.inbox()
        assert len(inbox) == 5 and {row.status for row in inbox} == {"done"}


async def test_replayed_events_are_skipped(settings: Settings) -> None:
    async with running_vk_bot(settings) as bot:
        first_ts = bot.vk.ts
        bot.vk.push_message(RESIDENT, "/help")
        bot.vk.push_message(NEIGHBOUR, "/help")
        await bot.vk.wait_for_sent(NEIGHBOUR)
        await bot.settle()
        # VK hands out an old ts (as after a stale or restored position): events come again.
        polls_before = len(bot.vk.polls)
        bot.vk.fail_longpoll(1, ts=first_ts)
        await bot.vk.wait_for(
            lambda _: any(
                poll.ts == first_ts and poll.updates == 2 for poll in bot.vk.polls[polls_before:]
            )
        )
        bot.vk.push_message(RESIDENT, "/start")
        await bot.vk.wait_for_sent(RESIDENT, count=2)
        await bot.settle()
        help_text, greeting = bot.vk.sent_to(RESIDENT)
        assert help_text.startswith(texts.HELP) and greeting.startswith(texts.GREETING)
        assert is_help(bot.vk.sent_to(NEIGHBOUR))
        assert len(await bot.inbox()) == 3
        assert len([row for row in await bot.exchanges() if row.direction == "in"]) == 3


async def test_restart_continues_from_the_stored_ts(settings: Settings) -> None:
    async with FakeVK(group_id=GROUP_ID) as vk:
        async with running_vk_bot(settings, vk) as bot:
            vk.push_message(RESIDENT, "/help")
            await vk.wait_for_sent(RESIDENT)
            await bot.settle()
        missed_ts = vk.push(vk.message_new(NEIGHBOUR, "/help"))[0]
        polls_before = len(vk.polls)
        async with running_vk_bot(settings, vk) as bot:
            assert is_help(await vk.wait_for_sent(NEIGHBOUR))
            await bot.settle()
            assert vk.polls[polls_before].ts == missed_ts
            assert is_help(vk.sent_to(RESIDENT))
            assert len(await bot.inbox()) == 2


@pytest.mark.parametrize("failed", [2, 3])
async def test_long_poll_failures_are_recovered(settings: Settings, failed: Literal[2, 3]) -> None:
    async with running_vk_bot(settings) as bot:
        bot.vk.fail_longpoll(failed)
        await bot.vk.wait_for(lambda _: len(bot.vk.calls("groups.getLongPollServer")) == 2)
        bot.vk.push_message(RESIDENT, "/help")
        assert is_help(await bot.vk.wait_for_sent(RESIDENT))
        await bot.settle()
        assert any(poll.outcome == f"failed:{failed}" for poll in bot.vk.polls)


async def test_api_and_network_errors_never_stop_polling(settings: Settings) -> None:
    async with FakeVK(group_id=GROUP_ID) as vk:
        # A bad gateway page (vkbottle repeats it once), then a VK internal error.
        vk.fail_http("groups.getLongPollServer", status=502, times=2)
        vk.fail("groups.getLongPollServer", 10)
        async with running_vk_bot(settings, vk) as bot:
            vk.push_message(RESIDENT, "/help")
            assert is_help(await vk.wait_for_sent(RESIDENT))
            await bot.settle()
            assert not bot.task.done()
        statuses = [(r.error_code, r.http_status) for r in vk.calls("groups.getLongPollServer")]
        assert statuses == [(None, 502), (None, 502), (10, 200), (None, 200)]


async def test_callback_api(settings: Settings) -> None:
    options = {
        "vk_transport": "callback",
        "vk_callback_port": 0,
        "vk_confirmation_code": SecretStr("c0nf1rm"),
        "vk_secret": SecretStr("s3cret"),
    }
    async with running_vk_bot(settings, **options) as bot, aiohttp.ClientSession() as http:

        async def post(body: dict[str, Any]) -> tuple[int, str]:
            async with http.post(bot.callback_url, json=body) as response:
                return response.status, await response.text()

        confirmation = {"type": "confirmation", "group_id": GROUP_ID}
        assert await post(confirmation) == (200, "c0nf1rm")
        assert (await post({**confirmation, "group_id": GROUP_ID + 1}))[0] == 403

        event = bot.vk.message_new(RESIDENT, "/help")
        assert (await post({**event, "secret": "wrong"}))[0] == 403
        assert (await post(event))[0] == 403
        assert await bot.inbox() == []

        bot.vk.set_latency("messages.send", 1.0)
        assert await post({**event, "secret": "s3cret"}) == (200, "ok")
        # Answered before the reply went out: handling happens in the background.
        assert bot.vk.sent_to(RESIDENT) == []
        (stored,) = await bot.inbox()
        assert "secret" not in stored.payload
        assert is_help(await bot.vk.wait_for_sent(RESIDENT))
        # VK repeats an event it did not get `ok` for in time: the repeat is not handled again.
        assert await post({**event, "secret": "s3cret"}) == (200, "ok")
        await bot.settle()
        assert is_help(bot.vk.sent_to(RESIDENT))
        assert len(await bot.inbox()) == 1
        assert not bot.vk.calls("groups.getLongPollServer")


async def test_incoming_media_become_neutral_attachments(settings: Settings) -> None:
    async with running_vk_bot(settings) as bot:
        vk = bot.vk
        photo = b"\xff\xd8\xff resident's pothole \xff\xd9"
        event = vk.message_new(
            RESIDENT,
            "",
            attachments=[
                vk.photo_attachment(photo),
                vk.doc_attachment(b"%PDF-1.4", title="справка.pdf"),
                vk.audio_message_attachment(b"OggS voice"),
                {"type": "video", "video": {"id": 77, "owner_id": -5, "access_key": "k"}},
            ],
            geo=vk.geo(55.75, 37.62),
        )
        found = attachments_of(event["object"]["message"])
        kinds = [item.kind for item in found]
        assert kinds == [
            AttachmentKind.PHOTO,
            AttachmentKind.DOCUMENT,
            AttachmentKind.VOICE,
            AttachmentKind.OTHER,
            AttachmentKind.LOCATION,
        ]
        assert all(item.platform is Platform.VK for item in found)
        assert found[1].file_name == "справка.pdf"
        assert found[2].ref.endswith(".ogg")
        assert found[3].ref == "video-5_77_k"
        assert (found[4].latitude, found[4].longitude) == (55.75, 37.62)
        messenger = bot.core.messengers[Platform.VK]
        assert await messenger.download(found[0]) == photo
        # The largest size was taken: VK's photo sizes are all served by the fake.
        assert "_y.jpg" in found[0].ref

        vk.push(event)
        reply = (await sends(bot, 1))[0]
        await bot.settle()
        assert reply.params["message"] == texts.MEDIA_ONLY
        (row,) = [row for row in await bot.exchanges() if row.direction == "in"]
        assert row.kind == "media"
        async with bot.core.database.unit_of_work() as uow:
            recorded = await uow.exchanges.get(row.id)
        assert recorded is not None
        assert [item.kind for item in recorded.attachments] == kinds
        assert recorded.attachments[0].ref == found[0].ref


async def test_replies_with_media_upload_and_send(settings: Settings) -> None:
    async with running_vk_bot(settings) as bot:
        messenger = bot.core.messengers[Platform.VK]
        assert isinstance(messenger, VkMessenger)
        reply = Reply(
            "Схема проезда и документы",
            attachments=(
                Attachment(AttachmentKind.PHOTO, data=b"\x89PNG map", platform=Platform.TELEGRAM),
                Attachment(AttachmentKind.DOCUMENT, data=b"%PDF", file_name="list.pdf"),
                Attachment(AttachmentKind.VOICE, data=b"OggS", platform=Platform.TELEGRAM),
                Attachment(AttachmentKind.PHOTO, "photo-1_2_abc", Platform.VK),
                Attachment(AttachmentKind.LOCATION, latitude=55.7, longitude=37.6),
            ),
        )
        ids = await messenger.send(str(RESIDENT), reply)
        (send,) = bot.vk.calls("messages.send")
        assert ids == [str(send.response)]
        attached = send.params["attachment"].split(",")
        assert len(attached) == 4 and attached[3] == "photo-1_2_abc"
        assert attached[0].startswith(f"photo-{GROUP_ID}_")
        assert attached[1].startswith(f"doc-{GROUP_ID}_")
        assert attached[2].startswith(f"audio_message-{GROUP_ID}_")
        assert (float(send.params["lat"]), float(send.params["long"])) == (55.7, 37.6)
        assert [u.data for u in bot.vk.uploads] == [b"\x89PNG map", b"%PDF", b"OggS"]
        assert bot.vk.calls("docs.getMessagesUploadServer")[1].params["type"] == "audio_message"


async def test_telegram_and_vk_in_one_process(database_url: str) -> None:
    async with FakeTelegram() as tg, FakeVK(group_id=GROUP_ID) as vk:
        # VK is unavailable at first: Telegram must not wait for it or stop because of it.
        vk.fail("groups.getLongPollServer", 10, times=2)
        env = {
            **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
            "PYTHONPATH": str(PROJECT),
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "TELEGRAM_API_URL": tg.url,
            "TELEGRAM_STAFF_CHAT_ID": "-100777",
            "VK_GROUP_TOKEN": TOKEN,
            "VK_GROUP_ID": str(GROUP_ID),
            "VK_API_URL": vk.api_url,
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "WARNING",
        }
        bot = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            await tg.wait_for("getUpdates", timeout=START_TIMEOUT)
            tg.push_message(5001, "/help")
            await tg.wait_for("sendMessage", 1, chat_id=5001, timeout=START_TIMEOUT)
            await vk.wait_until_polling(within=START_TIMEOUT)
            vk.push_message(RESIDENT, "/help")
            assert is_help(await vk.wait_for_sent(RESIDENT, within=START_TIMEOUT))
            bot.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(bot.communicate(), START_TIMEOUT)
        finally:
            if bot.returncode is None:
                bot.kill()
                await bot.wait()
        assert bot.returncode == 0, stderr.decode()
        assert is_help(tg.sent_to(5001))
        codes = [r.error_code for r in vk.calls("groups.getLongPollServer")]
        assert codes == [10, 10, None]
