"""Self-tests of the fake Telegram server, driven through the real aiogram client."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    ChatMemberAdministrator,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
)

from tests.fakes.telegram import FakeTelegram, bot_for

PROJECT = Path(__file__).resolve().parent.parent
USER = 1001
STAFF_CHAT = -1001234567890


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    client = tg.make_bot()
    try:
        yield client
    finally:
        await client.session.close()


def _same(a: InlineKeyboardMarkup | None, b: InlineKeyboardMarkup) -> bool:
    # Models parsed from responses carry the Bot in a private attr, so == with a fresh one fails.
    return a is not None and a.model_dump() == b.model_dump()


def _keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Да", callback_data="vote:1:yes")]]
    )


async def test_get_me_returns_bot_identity_from_token(tg: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()

    assert me.id == int(tg.token.split(":")[0]) == bot.id
    assert me.is_bot
    assert me.username == "vmeste_test_bot"


async def test_send_message_with_inline_keyboard_is_recorded(tg: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(USER, "Выберите вариант", reply_markup=_keyboard())

    assert isinstance(sent, Message)
    assert sent.chat.id == USER and sent.chat.type == "private"
    assert sent.from_user is not None and sent.from_user.id == tg.bot_id
    assert _same(sent.reply_markup, _keyboard())
    [call] = tg.calls("sendMessage")
    assert call.params["chat_id"] == USER
    assert call.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "Да", "callback_data": "vote:1:yes"}]]
    }
    assert tg.sent_to(USER) == ["Выберите вариант"]


async def test_message_ids_grow_per_chat(tg: FakeTelegram, bot: Bot) -> None:
    first = await bot.send_message(USER, "one")
    second = await bot.send_message(USER, "two")
    other = await bot.send_message(USER + 1, "three")

    assert second.message_id == first.message_id + 1
    assert other.message_id == 1


async def test_long_poll_holds_until_update_is_pushed(tg: FakeTelegram, bot: Bot) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    # The held poll is visible at once, still unanswered.
    [held] = await tg.wait_for("getUpdates", timeout=5)
    assert held.response == {}
    await asyncio.sleep(0.3)
    assert not poll.done()
    tg.push_message(USER, "привет")
    updates = await poll
    elapsed = time.monotonic() - started

    assert 0.3 <= elapsed < 5
    [update] = updates
    assert update.message is not None and update.message.text == "привет"
    assert update.message.from_user is not None and update.message.from_user.id == USER
    assert held.ok and held.result[0]["update_id"] == update.update_id


async def test_long_poll_returns_empty_after_timeout(tg: FakeTelegram, bot: Bot) -> None:
    started = time.monotonic()
    updates = await bot.get_updates(timeout=1)

    assert updates == []
    assert time.monotonic() - started >= 0.9


async def test_offset_confirms_and_drops_updates(tg: FakeTelegram, bot: Bot) -> None:
    ids = [tg.push_message(USER, f"m{i}")["update_id"] for i in range(3)]

    everything = await bot.get_updates(timeout=0)
    assert [u.update_id for u in everything] == ids

    rest = await bot.get_updates(offset=ids[1] + 1, timeout=0)
    assert [u.update_id for u in rest] == [ids[2]]
    assert tg.confirmed_up_to == ids[1]
    assert tg.offsets[-1] == ids[1] + 1

    # Confirmed updates are gone for good, even when asking from an older offset.
    again = await bot.get_updates(offset=ids[0], timeout=0)
    assert [u.update_id for u in again] == [ids[2]]


async def test_allowed_updates_filter_what_is_delivered(tg: FakeTelegram, bot: Bot) -> None:
    tg.push_message(USER, "text")
    sent = await bot.send_message(USER, "Голосуйте", reply_markup=_keyboard())
    tg.push_callback(USER, "vote:1:yes", sent.message_id)

    updates = await bot.get_updates(allowed_updates=["callback_query"], timeout=0)

    [update] = updates
    assert update.callback_query is not None
    assert update.callback_query.data == "vote:1:yes"
    assert isinstance(update.callback_query.message, Message)
    assert _same(update.callback_query.message.reply_markup, _keyboard())


async def test_send_photo_upload_is_recorded_and_downloadable(tg: FakeTelegram, bot: Bot) -> None:
    payload = b"\x89PNG fake image" * 100
    photo = BufferedInputFile(payload, filename="chart.png")

    sent = await bot.send_photo(USER, photo, caption="<b>Итоги</b> опроса", parse_mode="HTML")

    [call] = tg.calls("sendPhoto")
    assert call.params["photo"]["filename"] == "chart.png"
    assert call.params["photo"]["size"] == len(payload)
    assert call.params["caption"] == "<b>Итоги</b> опроса"
    assert sent.caption == "Итоги опроса"
    assert sent.photo is not None and len(sent.photo) >= 1
    file = await bot.get_file(sent.photo[-1].file_id)
    assert file.file_path is not None
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == payload


async def test_broken_html_fails_like_telegram(tg: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(USER, "Ваш вопрос: 2 < 3?", parse_mode="HTML")

    assert tg.sent_to(USER) == []
    assert tg.calls("sendMessage")[0].error_code == 400


async def test_copy_message_duplicates_user_content(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_chat(STAFF_CHAT, title="Обращения")
    incoming = tg.push_message(USER, "У нас не вывезли мусор")["message"]

    copied = await bot.copy_message(STAFF_CHAT, USER, incoming["message_id"])

    copy = tg.get_message(STAFF_CHAT, copied.message_id)
    assert copy is not None and copy["text"] == "У нас не вывезли мусор"
    assert tg.sent_to(STAFF_CHAT) == ["У нас не вывезли мусор"]
    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await bot.copy_message(STAFF_CHAT, USER, 9999)


async def test_edit_message_text_and_not_modified_quirk(tg: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(USER, "Вопрос", reply_markup=_keyboard())

    edited = await bot.edit_message_text("Спасибо!", chat_id=USER, message_id=sent.message_id)

    assert isinstance(edited, Message)
    assert edited.text == "Спасибо!" and edited.reply_markup is None
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("Спасибо!", chat_id=USER, message_id=sent.message_id)


async def test_retry_after_injection_raises_and_then_recovers(tg: FakeTelegram, bot: Bot) -> None:
    tg.inject_retry_after("sendMessage", retry_after=7)

    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(USER, "first try")
    assert caught.value.retry_after == 7

    await bot.send_message(USER, "second try")
    assert tg.sent_to(USER) == ["second try"]
    assert [c.error_code for c in tg.calls("sendMessage")] == [429, None]


async def test_forbidden_injection_only_hits_given_chat(tg: FakeTelegram, bot: Bot) -> None:
    tg.inject_forbidden("sendMessage", times=None, chat_id=USER)

    for _ in range(2):
        with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
            await bot.send_message(USER, "hello")
    await bot.send_message(USER + 1, "hello")

    assert tg.sent_to(USER) == []
    assert tg.sent_to(USER + 1) == ["hello"]


async def test_forum_topic_lifecycle(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_chat(STAFF_CHAT, title="Обращения", is_forum=True)

    topic = await bot.create_forum_topic(STAFF_CHAT, "Обращение №1 — Иванов")
    sent = await bot.send_message(
        STAFF_CHAT, "Новое обращение", message_thread_id=topic.message_thread_id
    )
    assert sent.message_thread_id == topic.message_thread_id
    assert sent.is_topic_message

    assert await bot.close_forum_topic(STAFF_CHAT, topic.message_thread_id)
    with pytest.raises(TelegramBadRequest, match="TOPIC_CLOSED"):
        await bot.send_message(STAFF_CHAT, "closed", message_thread_id=topic.message_thread_id)
    assert await bot.reopen_forum_topic(STAFF_CHAT, topic.message_thread_id)

    assert await bot.delete_forum_topic(STAFF_CHAT, topic.message_thread_id)
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(STAFF_CHAT, "gone", message_thread_id=topic.message_thread_id)
    assert tg.sent_to(STAFF_CHAT) == ["Новое обращение"]


async def test_topic_deleted_in_ui_breaks_copies_too(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_chat(STAFF_CHAT, is_forum=True)
    thread_id = tg.add_topic(STAFF_CHAT, "Обращение №2")
    incoming = tg.push_message(USER, "Фото двора", photo=True)["message"]
    tg.delete_topic(STAFF_CHAT, thread_id)

    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.copy_message(
            STAFF_CHAT, USER, incoming["message_id"], message_thread_id=thread_id
        )
    assert tg.topic(STAFF_CHAT, thread_id) == {
        "name": "Обращение №2",
        "icon_color": 0x6FB9F0,
        "icon_custom_emoji_id": None,
        "closed": False,
        "deleted": True,
    }


async def test_create_topic_outside_forum_is_rejected(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_chat(STAFF_CHAT, is_forum=False)

    with pytest.raises(TelegramBadRequest, match="the chat is not a forum"):
        await bot.create_forum_topic(STAFF_CHAT, "x")


async def test_get_chat_and_member_statuses(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_chat(STAFF_CHAT, title="Обращения", is_forum=True)
    tg.add_member(STAFF_CHAT, 1, "creator", first_name="Глава")
    tg.add_member(STAFF_CHAT, 2, "administrator")
    tg.add_member(STAFF_CHAT, 3, "member")
    tg.add_member(STAFF_CHAT, 4, "left")

    chat = await bot.get_chat(STAFF_CHAT)
    assert chat.is_forum and chat.title == "Обращения" and chat.type == "supergroup"

    members = [await bot.get_chat_member(STAFF_CHAT, uid) for uid in (1, 2, 3, 4, 5)]
    assert [type(m) for m in members] == [
        ChatMemberOwner,
        ChatMemberAdministrator,
        ChatMemberMember,
        ChatMemberLeft,
        ChatMemberLeft,
    ]
    assert members[0].user.first_name == "Глава"
    admins = await bot.get_chat_administrators(STAFF_CHAT)
    assert sorted(m.user.id for m in admins) == [1, 2]


async def test_staff_reply_in_topic_has_realistic_reply_chain(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_chat(STAFF_CHAT, is_forum=True)
    topic = await bot.create_forum_topic(STAFF_CHAT, "Обращение №3")
    card = await bot.send_message(STAFF_CHAT, "Карточка", message_thread_id=topic.message_thread_id)
    tg.push_staff_message(STAFF_CHAT, 77, "Ответ", message_thread_id=topic.message_thread_id)
    tg.push_staff_message(
        STAFF_CHAT,
        77,
        "Ответ на карточку",
        message_thread_id=topic.message_thread_id,
        reply_to_message_id=card.message_id,
    )

    plain, reply = [u.message for u in await bot.get_updates(timeout=0)]

    assert plain is not None and reply is not None
    assert plain.chat.type == "supergroup" and plain.is_topic_message
    # Telegram quirk: a plain topic message replies to the topic-creation service message.
    assert plain.reply_to_message is not None
    assert plain.reply_to_message.forum_topic_created is not None
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.message_id == card.message_id
    assert reply.reply_to_message.text == "Карточка"


async def test_dispatcher_polling_round_trip(tg: FakeTelegram, bot: Bot) -> None:
    dp = Dispatcher()

    @dp.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(f"Эхо: {message.text}", reply_markup=_keyboard())

    @dp.callback_query(F.data)
    async def on_button(query: CallbackQuery) -> None:
        await query.answer("Принято")
        if isinstance(query.message, Message):
            await query.message.edit_text("Голос учтён")

    polling = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=1)
    )
    try:
        tg.push_message(USER, "привет")
        [reply] = await tg.wait_for("sendMessage")
        tg.push_callback(USER, "vote:1:yes", reply.result["message_id"])
        await tg.wait_for("editMessageText")
    finally:
        await dp.stop_polling()
        await polling

    assert tg.sent_to(USER) == ["Эхо: привет"]
    assert tg.calls("answerCallbackQuery")[0].params["text"] == "Принято"
    edited = tg.get_message(USER, reply.result["message_id"])
    assert edited is not None and edited["text"] == "Голос учтён"
    assert tg.confirmed_up_to >= 1


async def test_wait_for_times_out_with_context(tg: FakeTelegram) -> None:
    with pytest.raises(TimeoutError, match="sendMessage"):
        await tg.wait_for("sendMessage", timeout=0.2)


async def test_standalone_process_control_round_trip() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes.telegram",
        "--port",
        "0",
        cwd=PROJECT,  # the autouse fixture chdirs to tmp_path
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
    )
    try:
        assert proc.stdout is not None
        url = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode().strip()
        assert url.startswith("http://127.0.0.1:")

        client = bot_for(url)
        try:
            async with aiohttp.ClientSession() as http:
                async with http.post(
                    f"{url}/_control/push_message", json={"user_id": USER, "text": "/start"}
                ) as resp:
                    pushed = await resp.json()
                assert pushed["ok"] and pushed["result"]["update_id"] >= 1

                [update] = await client.get_updates(timeout=5)
                assert update.message is not None and update.message.text == "/start"
                await client.send_message(USER, "Здравствуйте!")

                async with http.post(
                    f"{url}/_control/wait_for", json={"what": "sendMessage", "count": 1}
                ) as resp:
                    waited = await resp.json()
                assert waited["result"][0]["params"]["text"] == "Здравствуйте!"

                async with http.get(
                    f"{url}/_control/requests", params={"method": "sendMessage"}
                ) as resp:
                    recorded = await resp.json()
                [call] = recorded["result"]
                assert call["params"]["chat_id"] == USER
                assert call["response"]["result"]["text"] == "Здравствуйте!"

                async with http.post(
                    f"{url}/_control/inject_retry_after",
                    json={"method": "sendMessage", "retry_after": 3},
                ) as resp:
                    assert (await resp.json())["ok"]
                with pytest.raises(TelegramRetryAfter) as caught:
                    await client.send_message(USER, "too fast")
                assert caught.value.retry_after == 3

                async with http.post(f"{url}/_control/reset") as resp:
                    assert (await resp.json())["ok"]
                async with http.get(f"{url}/_control/state") as resp:
                    state = json.loads(await resp.text())["result"]
                assert state["requests"] == 0
        finally:
            await client.session.close()
    finally:
        if proc.returncode is None:
            proc.terminate()
        await asyncio.wait_for(proc.wait(), 10)
    assert proc.returncode == 0


async def test_every_supported_method_satisfies_aiogram_models(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_chat(STAFF_CHAT, is_forum=True)
    blob = BufferedInputFile(b"data", filename="file.bin")
    incoming = tg.push_message(USER, None, caption="Смотрите", photo=True)["message"]

    assert await bot.delete_webhook(drop_pending_updates=False)
    assert await bot.set_my_commands([BotCommand(command="start", description="Начать")])
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    document = await bot.send_document(USER, blob, caption="Отчёт")
    voice = await bot.send_voice(USER, blob)
    video = await bot.send_video(USER, blob, width=320, height=240, duration=3)
    audio = await bot.send_audio(USER, blob, performer="Оркестр")
    animation = await bot.send_animation(USER, blob)
    note = await bot.send_video_note(USER, blob, length=200)
    sticker = await bot.send_sticker(USER, blob, emoji="👍")
    location = await bot.send_location(USER, 55.75, 37.61)
    album = await bot.send_media_group(
        USER, [InputMediaPhoto(media=blob, caption="1"), InputMediaPhoto(media=blob)]
    )
    forwarded = await bot.forward_message(USER, USER, incoming["message_id"])
    markup = await bot.edit_message_reply_markup(
        chat_id=USER, message_id=document.message_id, reply_markup=_keyboard()
    )
    caption = await bot.edit_message_caption(
        chat_id=USER, message_id=document.message_id, caption="Отчёт v2"
    )
    topic = await bot.create_forum_topic(STAFF_CHAT, "Тема")
    private = await bot.get_chat(USER)

    assert document.document is not None and document.document.file_name == "file.bin"
    assert voice.voice is not None and video.video is not None and video.video.width == 320
    assert audio.audio is not None and audio.audio.performer == "Оркестр"
    assert animation.animation is not None and note.video_note is not None
    assert sticker.sticker is not None and sticker.sticker.emoji == "👍"
    assert location.location is not None and location.location.latitude == 55.75
    assert len({m.media_group_id for m in album}) == 1 and album[0].caption == "1"
    assert forwarded.forward_origin is not None and forwarded.photo is not None
    assert isinstance(markup, Message) and _same(markup.reply_markup, _keyboard())
    assert isinstance(caption, Message) and caption.caption == "Отчёт v2"
    assert await bot.edit_forum_topic(STAFF_CHAT, topic.message_thread_id, name="Тема 2")
    assert (tg.topic(STAFF_CHAT, topic.message_thread_id) or {}).get("name") == "Тема 2"
    assert await bot.send_chat_action(USER, "typing")
    assert await bot.answer_callback_query("4000000000000000001", text="ok")
    assert await bot.delete_message(USER, document.message_id)
    assert tg.get_message(USER, document.message_id) is None
    assert private.type == "private" and private.first_name == "Test"
    assert await bot.close() and await bot.log_out()
    assert all(r.ok for r in tg.requests)


async def test_incoming_media_updates_parse(tg: FakeTelegram, bot: Bot) -> None:
    file_id = tg.add_file(b"%PDF-1.4", filename="scan.pdf")
    tg.push_message(USER, None, document=file_id, caption="Скан")
    tg.push_message(USER, None, voice=True)
    tg.push_message(USER, None, video=True)
    tg.push_message(USER, None, sticker=True)
    tg.push_message(USER, None, location=(55.0, 37.0))
    tg.push_message(USER, None, contact="+79990000000")
    tg.push_message(USER, "/start payload", username="ivan", last_name="Иванов")

    messages = [u.message for u in await bot.get_updates(timeout=0)]

    assert all(m is not None for m in messages)
    doc, voice, video, sticker, location, contact, command = messages
    assert doc and doc.document and doc.document.file_id == file_id and doc.caption == "Скан"
    assert voice and voice.voice and video and video.video and sticker and sticker.sticker
    assert location and location.location and location.location.longitude == 37.0
    assert contact and contact.contact and contact.contact.phone_number == "+79990000000"
    assert command and command.entities and command.entities[0].type == "bot_command"
    assert command.entities[0].length == len("/start")
    downloaded = await bot.download(file_id)
    assert downloaded is not None and downloaded.read() == b"%PDF-1.4"


async def test_latency_and_thread_not_found_injection(tg: FakeTelegram, bot: Bot) -> None:
    tg.set_latency("sendMessage", 0.3)
    tg.inject_thread_not_found("sendMessage", chat_id=STAFF_CHAT)

    started = time.monotonic()
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(STAFF_CHAT, "x", message_thread_id=5)
    slow = time.monotonic() - started
    await bot.send_message(STAFF_CHAT, "y", message_thread_id=5)

    assert slow >= 0.3  # the latency applies to sendMessage; other methods are unaffected
    requests = await tg.wait_for(lambda reqs: sum(r.method == "sendMessage" for r in reqs) == 2)
    assert [r.ok for r in requests if r.method == "sendMessage"] == [False, True]
    assert tg.sent_to(STAFF_CHAT) == ["y"]
