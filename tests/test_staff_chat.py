"""Staff chat features end to end: forum topics per resident, routing by category, roles,
answers that grow the FAQ and saved replies. The real aiogram client talks to the fake
Telegram server; the database is real."""

from __future__ import annotations

import asyncio
import itertools
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import yaml
from pydantic import SecretStr
from sqlalchemy import select

from bot.app import build_core
from bot.core import staff_texts, texts
from bot.settings import Settings
from bot.storage.models import AppealRow, ForumTopicRow
from handlers.telegram.app import TelegramChannel
from tests.common import FixedClock
from tests.fakes.telegram import FakeTelegram, Request
from tests.harness import TOKEN, RunningBot
from tests.test_appeals_e2e import (
    ADMIN,
    INCIDENT,
    OUTSIDER,
    RESIDENT,
    STAFF,
    STAFF_CHAT,
    WORKING_MORNING,
    appeals,
    expect,
    number_of,
    open_appeal,
)

ROUTED_CHAT = -1009876543210
LIST_ADMIN = 903
SCHOOL = "в школе 12 третий месяц нет учителя физики, примите меры"
LIFT = "в подъезде не работает лифт уже неделю"
ANSWER = "Учителя физики в школу 12 примут с 1 декабря."


@asynccontextmanager
async def staff_bot(
    settings: Settings,
    *,
    forum: bool = True,
    routed_forum: bool = False,
    clock: FixedClock | None = None,
    **overrides: Any,
) -> AsyncIterator[RunningBot]:
    """The bot with its staff chats registered before it starts, as in production, so that
    forum detection at start sees them."""
    async with FakeTelegram() as tg:
        tg.add_chat(STAFF_CHAT, title="Пресс-служба", is_forum=forum)
        tg.add_chat(ROUTED_CHAT, title="ЖКХ", is_forum=routed_forum)
        for chat in (STAFF_CHAT, ROUTED_CHAT):
            tg.add_member(chat, STAFF, "member", first_name="Мария")
            tg.add_member(chat, ADMIN, "administrator", first_name="Олег")
            tg.add_member(chat, LIST_ADMIN, "member", first_name="Ирина")
        configured = settings.model_copy(
            update={
                "telegram_bot_token": SecretStr(TOKEN),
                "telegram_api_url": tg.url,
                "telegram_staff_chat_id": STAFF_CHAT,
                "telegram_topic_interval": 0.3,
                "admin_ids": [LIST_ADMIN],
                **overrides,
            }
        )
        core = await build_core(configured, clock or FixedClock(WORKING_MORNING))
        channel = TelegramChannel(core, poll_timeout=1)
        task = asyncio.create_task(channel.run())
        await tg.wait_for("getUpdates")
        try:
            yield RunningBot(tg, core, channel, task)
        finally:
            await channel.stop(5)
            await asyncio.gather(task, return_exceptions=True)
            await core.database.dispose()


def topic_posts(bot: RunningBot, chat_id: int, thread: int) -> list[str]:
    return [
        m.get("text", m.get("caption", ""))
        for m in bot.tg.messages_to(chat_id)
        if m.get("message_thread_id") == thread
    ]


def created_topics(bot: RunningBot) -> list[Request]:
    return [r for r in bot.tg.calls("createForumTopic") if r.ok]


async def topic_rows(bot: RunningBot) -> list[ForumTopicRow]:
    async with bot.core.database.unit_of_work() as uow:
        rows = list(await uow.session.scalars(select(ForumTopicRow).order_by(ForumTopicRow.id)))
        uow.session.expunge_all()
    return rows


async def staff_says(
    bot: RunningBot, text: str, *, chat: int = STAFF_CHAT, user: int = STAFF, **options: Any
) -> str:
    """A staff message and the bot's answer to it in the staff chat."""
    async with expect(bot, chat):
        bot.tg.push_staff_message(chat, user, text, **options)
    return bot.tg.sent_to(chat)[-1]


async def test_forum_mode_end_to_end(settings: Settings) -> None:
    async with staff_bot(settings) as bot:
        await open_appeal(bot)
        (appeal,) = await appeals(bot)
        number = number_of(appeal)
        (created,) = created_topics(bot)
        assert created.params["name"] == f"Анна Петрова · Telegram · № {number}"
        thread = created.result["message_thread_id"]
        card = bot.tg.calls("sendMessage", chat_id=STAFF_CHAT)[-1]
        assert card.params["message_thread_id"] == thread
        assert INCIDENT in card.result["text"]

        async with expect(bot, STAFF_CHAT):
            bot.tg.push_message(RESIDENT, "Добавлю: в соседнем доме тоже нет воды")
        assert "в соседнем доме" in topic_posts(bot, STAFF_CHAT, thread)[-1]

        # Staff answer by simply writing in the topic; the receipt stays in the topic.
        async with expect(bot, RESIDENT):
            bot.tg.push_staff_message(
                STAFF_CHAT, STAFF, "Бригада уже выехала.", message_thread_id=thread
            )
        assert bot.tg.sent_to(RESIDENT)[-1] == texts.staff_answer(number, "Бригада уже выехала.")
        assert topic_posts(bot, STAFF_CHAT, thread)[-1] == staff_texts.DELIVERED

        # An internal note never reaches the resident; the next plain message does.
        to_resident = len(bot.tg.sent_to(RESIDENT))
        async with expect(bot, RESIDENT):
            bot.tg.push_staff_message(
                STAFF_CHAT, STAFF, "! житель звонил, ждёт до вечера", message_thread_id=thread
            )
            bot.tg.push_staff_message(
                STAFF_CHAT, STAFF, "Воду дадут в 18:00.", message_thread_id=thread
            )
        assert bot.tg.sent_to(RESIDENT)[to_resident:] == [
            texts.staff_answer(number, "Воду дадут в 18:00.")
        ]

        # Closing the appeal closes the topic; the next question reopens and renames it.
        async with expect(bot, RESIDENT):
            bot.tg.push_staff_message(STAFF_CHAT, STAFF, "/close", message_thread_id=thread)
        assert (await appeals(bot))[0].status == "closed"
        assert bot.tg.topic(STAFF_CHAT, thread)["closed"]
        assert "закрыто" in topic_posts(bot, STAFF_CHAT, thread)[-1]

        await open_appeal(bot, LIFT)
        second = number_of((await appeals(bot))[1])
        topic = bot.tg.topic(STAFF_CHAT, thread)
        assert topic is not None and not topic["closed"]
        assert topic["name"] == f"Анна Петрова · Telegram · № {second}"
        assert len(created_topics(bot)) == 1
        assert f"Обращение № {second}" in topic_posts(bot, STAFF_CHAT, thread)[-1]
        (row,) = await topic_rows(bot)
        assert (row.topic_id, row.closed) == (str(thread), False)


async def test_deleted_topic_is_recreated_and_nothing_is_lost(settings: Settings) -> None:
    async with staff_bot(settings) as bot:
        await open_appeal(bot)
        number = number_of((await appeals(bot))[0])
        first = created_topics(bot)[0].result["message_thread_id"]

        # Deleted before the bot posts the resident's next message: it goes to a new topic,
        # which starts with a summary of the open appeal.
        bot.tg.delete_topic(STAFF_CHAT, first)
        async with expect(bot, STAFF_CHAT, more=2):
            bot.tg.push_message(RESIDENT, "Вода так и не появилась")
        second = created_topics(bot)[-1].result["message_thread_id"]
        assert second != first
        summary, follow_up = topic_posts(bot, STAFF_CHAT, second)
        assert f"Обращение № {number}" in summary and INCIDENT in summary
        assert "Вода так и не появилась" in follow_up
        assert [row.topic_id for row in await topic_rows(bot)] == [str(second)]

        # A staff answer in flight when the topic goes: the resident gets it, and the receipt
        # is retried into a recreated topic instead of being dropped.
        bot.tg.delete_topic(STAFF_CHAT, second)
        async with expect(bot, RESIDENT):
            bot.tg.push_staff_message(
                STAFF_CHAT, STAFF, "Бригада в пути.", message_thread_id=second
            )
        await bot.tg.wait_for(lambda _: len(created_topics(bot)) == 3)
        await bot.settle()
        assert bot.tg.sent_to(RESIDENT)[-1] == texts.staff_answer(number, "Бригада в пути.")
        third = created_topics(bot)[-1].result["message_thread_id"]
        posts = topic_posts(bot, STAFF_CHAT, third)
        assert f"Обращение № {number}" in posts[0] and posts[-1] == staff_texts.DELIVERED

        # Staff replying to the summary reach the resident as well.
        summary_id = next(
            m["message_id"]
            for m in bot.tg.messages_to(STAFF_CHAT)
            if m.get("message_thread_id") == third
        )
        async with expect(bot, RESIDENT):
            bot.tg.push_staff_message(
                STAFF_CHAT,
                STAFF,
                "Уточните номер подъезда.",
                reply_to_message_id=summary_id,
                message_thread_id=third,
            )
        assert "Уточните номер подъезда." in bot.tg.sent_to(RESIDENT)[-1]

        # Staff closing the topic by hand: the next message reopens it.
        bot.tg.close_topic(STAFF_CHAT, third)
        async with expect(bot, STAFF_CHAT):
            bot.tg.push_message(RESIDENT, "Подъезд второй")
        assert not bot.tg.topic(STAFF_CHAT, third)["closed"]
        assert "Подъезд второй" in topic_posts(bot, STAFF_CHAT, third)[-1]
        assert len(created_topics(bot)) == 3


async def test_topics_follow_appeals_closed_elsewhere(settings: Settings) -> None:
    async with staff_bot(settings) as bot:
        await open_appeal(bot)
        await open_appeal(bot, LIFT, resident=RESIDENT + 1)
        first, second = (r.result["message_thread_id"] for r in created_topics(bot))
        number = number_of((await appeals(bot))[0])
        await staff_says(bot, f"/forget {number}")

        async with bot.core.database.unit_of_work() as uow:
            await bot.core.appeals.desk.sync_topics(uow)
            await uow.commit()
        erased = bot.tg.topic(STAFF_CHAT, first)
        assert erased is not None and erased["closed"]
        assert erased["name"] == f"{staff_texts.NAMELESS} · Telegram · № {number}"
        assert topic_posts(bot, STAFF_CHAT, first)[-1] == staff_texts.TOPIC_IDLE
        still_open = bot.tg.topic(STAFF_CHAT, second)
        assert still_open is not None and not still_open["closed"]
        assert [row.closed for row in await topic_rows(bot)] == [True, False]


async def test_topic_creation_is_paced_and_waits_out_429(settings: Settings) -> None:
    async with staff_bot(settings, telegram_topic_interval=0.5) as bot:
        bot.tg.inject_retry_after("createForumTopic", 2, retry_after=1)
        moments: list[float] = []
        loop = asyncio.get_running_loop()

        async def watch() -> None:
            while True:
                while len(created_topics(bot)) > len(moments):
                    moments.append(loop.time())
                await asyncio.sleep(0.005)

        watcher = asyncio.create_task(watch())
        residents = [RESIDENT, RESIDENT + 1, RESIDENT + 2]
        for resident in residents:
            await open_appeal(bot, INCIDENT, resident=resident)
        watcher.cancel()
        assert len(bot.tg.calls("createForumTopic")) == 5
        assert len(moments) == 3
        assert all(b - a >= 0.45 for a, b in itertools.pairwise(moments))
        threads = [r.result["message_thread_id"] for r in created_topics(bot)]
        for thread, appeal in zip(threads, await appeals(bot), strict=True):
            assert f"Обращение № {number_of(appeal)}" in topic_posts(bot, STAFF_CHAT, thread)[0]
        assert len(await topic_rows(bot)) == 3


async def test_appeals_are_routed_by_category(settings: Settings) -> None:
    routes = {"ЖКХ": ROUTED_CHAT}
    clock = FixedClock(WORKING_MORNING)
    async with staff_bot(
        settings, forum=False, routed_forum=True, clock=clock, staff_routes=routes
    ) as bot:
        bot.tg.push_message(RESIDENT, INCIDENT, first_name="Анна", last_name="Петрова")
        await bot.tg.wait_for("sendMessage", 1, chat_id=RESIDENT)
        consent = bot.tg.calls("sendMessage", chat_id=RESIDENT)[-1]
        accept = consent.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        bot.tg.push_callback(RESIDENT, accept, consent.result["message_id"])
        await bot.tg.wait_for("sendMessage", 1, chat_id=ROUTED_CHAT)
        await bot.settle()
        other_card = await open_appeal(bot, LIFT, resident=RESIDENT + 1)
        housing, other = await appeals(bot)
        assert (housing.category, housing.staff_chat_id) == ("ЖКХ", str(ROUTED_CHAT))
        assert other.staff_chat_id == str(STAFF_CHAT)
        assert INCIDENT in bot.tg.sent_to(ROUTED_CHAT)[-1]
        assert not any(INCIDENT in text for text in bot.tg.sent_to(STAFF_CHAT))
        thread = created_topics(bot)[0].result["message_thread_id"]
        assert created_topics(bot)[0].params["chat_id"] == ROUTED_CHAT

        listed = await staff_says(bot, "/appeals", chat=ROUTED_CHAT, message_thread_id=thread)
        assert number_of(housing) in listed and number_of(other) not in listed
        listed = await staff_says(bot, "/appeals")
        assert number_of(other) in listed and number_of(housing) not in listed
        refused = await staff_says(bot, f"/close {number_of(housing)}")
        assert refused == staff_texts.OTHER_CHAT_APPEAL.format(number=number_of(housing))

        # A reminder goes to the chat the appeal was routed to.
        clock.now = WORKING_MORNING.replace(day=27, hour=5)  # 2 office hours before the deadline
        await bot.core.appeals.tick()
        assert any(t.startswith("⏰") for t in bot.tg.sent_to(ROUTED_CHAT))
        assert not any(
            t.startswith("⏰") and number_of(housing) in t for t in bot.tg.sent_to(STAFF_CHAT)
        )

        async with expect(bot, RESIDENT):
            bot.tg.push_staff_message(ROUTED_CHAT, STAFF, "Едем.", message_thread_id=thread)
        async with expect(bot, RESIDENT + 1):
            bot.tg.push_staff_message(
                STAFF_CHAT, STAFF, "Лифт чинят.", reply_to_message_id=other_card
            )
        assert bot.tg.sent_to(RESIDENT)[-1].endswith("Едем.")
        assert bot.tg.sent_to(RESIDENT + 1)[-1].endswith("Лифт чинят.")


async def test_staff_and_administrators(settings: Settings) -> None:
    async with staff_bot(settings, forum=False) as bot:
        card = await open_appeal(bot)
        assert await staff_says(bot, "/ban", reply_to_message_id=card) == staff_texts.ADMINS_ONLY
        assert (
            await staff_says(bot, "/faq_add", reply_to_message_id=card) == staff_texts.ADMINS_ONLY
        )
        assert await staff_says(bot, "/faq_reload") == staff_texts.ADMINS_ONLY
        assert await staff_says(bot, "/replies", user=OUTSIDER) == staff_texts.NOT_ALLOWED
        assert await staff_says(bot, "/replies") == staff_texts.SAVED_REPLIES_EMPTY

        # A chat administrator and an ADMIN_IDS member both count as administrators.
        banned = await staff_says(bot, "/ban", user=LIST_ADMIN, reply_to_message_id=card)
        assert banned.startswith("Житель заблокирован")
        unbanned = await staff_says(bot, "/unban", user=ADMIN, reply_to_message_id=card)
        assert unbanned.startswith("Житель разблокирован")
        usage = await staff_says(bot, "/faq_add", user=ADMIN, reply_to_message_id=card)
        assert usage == staff_texts.FAQ_ADD_NOT_ANSWER


async def test_faq_add_turns_an_answer_into_an_entry_the_bot_uses(
    settings: Settings, tmp_path: Path
) -> None:
    local = tmp_path / "faq-local.yaml"
    local.write_text(
        yaml.safe_dump(
            [
                {
                    "id": "old-local",
                    "questions": ["Где взять справку о составе семьи?"],
                    "answer": "В МФЦ.",
                }
            ],
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    async with staff_bot(settings, forum=False, faq_local_path=local) as bot:
        card = await open_appeal(bot, SCHOOL)
        async with expect(bot, RESIDENT):
            answer = bot.tg.push_staff_message(STAFF_CHAT, STAFF, ANSWER, reply_to_message_id=card)
        answer_id = answer["message"]["message_id"]
        await staff_says(bot, "/close", reply_to_message_id=card)

        asked = await staff_says(bot, "/faq_add", user=ADMIN, reply_to_message_id=answer_id)
        assert SCHOOL in asked and ANSWER in asked
        assert await staff_says(bot, "School Teacher", user=ADMIN) == staff_texts.FAQ_ADD_BAD_ID
        taken = await staff_says(bot, "old-local", user=ADMIN)
        assert taken == staff_texts.FAQ_ADD_TAKEN_ID.format(entry_id="old-local")
        assert "Категория" in await staff_says(bot, "school-physics-teacher", user=ADMIN)
        preview = await staff_says(bot, "Образование", user=ADMIN)
        assert "school-physics-teacher" in preview and "Образование" in preview
        assert "school-physics-teacher" not in local.read_text(encoding="utf-8")
        saved = await staff_says(bot, "да", user=ADMIN)
        assert saved.startswith("✅ Запись school-physics-teacher сохранена")

        entries = yaml.safe_load(local.read_text(encoding="utf-8"))
        assert [e["id"] for e in entries] == ["old-local", "school-physics-teacher"]
        assert entries[1] == {
            "id": "school-physics-teacher",
            "category": "Образование",
            "questions": [SCHOOL],
            "answer": ANSWER,
        }
        check = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "faq",
            "check",
            str(settings.faq_path),
            str(local),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        output, _ = await check.communicate()
        assert check.returncode == 0, output.decode()

        # The same question again: the FAQ answers it, no new appeal.
        async with expect(bot, RESIDENT):
            bot.tg.push_message(RESIDENT, SCHOOL)
        assert bot.tg.sent_to(RESIDENT)[-1] == ANSWER
        assert len(await appeals(bot)) == 1


async def test_faq_reload_reports_a_broken_local_file(settings: Settings, tmp_path: Path) -> None:
    local = tmp_path / "faq-local.yaml"
    async with staff_bot(settings, forum=False, faq_local_path=local) as bot:
        reloaded = await staff_says(bot, "/faq_reload", user=ADMIN)
        entries = len(bot.core.faq.entries)
        assert reloaded == staff_texts.FAQ_RELOADED.format(entries=entries, files=3)

        local.write_text("- id: broken\n  questions: [\n", encoding="utf-8")
        report = await staff_says(bot, "/faq_reload", user=ADMIN)
        assert report.startswith("❌ База знаний не перечитана")
        assert f"{local}: invalid YAML" in report
        assert len(bot.core.faq.entries) == entries

        async with expect(bot, RESIDENT):
            bot.tg.push_message(RESIDENT, "Когда включат отопление?")
        heating = bot.core.faq.entry("heating-season")
        assert heating is not None and bot.tg.sent_to(RESIDENT)[-1] == heating.answer

        # /faq_add refuses to write next to a broken file.
        card = await open_appeal(bot, SCHOOL)
        async with expect(bot, RESIDENT):
            answer = bot.tg.push_staff_message(STAFF_CHAT, STAFF, ANSWER, reply_to_message_id=card)
        answer_id = answer["message"]["message_id"]
        await staff_says(bot, "/faq_add school-teacher", user=ADMIN, reply_to_message_id=answer_id)
        refused = await staff_says(bot, "-", user=ADMIN)
        assert refused.startswith("❌ Запись не сохранена") and str(local) in refused
        assert local.read_text(encoding="utf-8") == "- id: broken\n  questions: [\n"


async def test_saved_replies(settings: Settings) -> None:
    async with staff_bot(settings) as bot:
        await open_appeal(bot)
        number = number_of((await appeals(bot))[0])
        thread = created_topics(bot)[0].result["message_thread_id"]
        template = "Спасибо! Передали в управляющую компанию, ответ — в течение дня."
        async with expect(bot, RESIDENT):
            note = bot.tg.push_staff_message(STAFF_CHAT, STAFF, template, message_thread_id=thread)
        note_id = note["message"]["message_id"]

        saved = await staff_says(
            bot, "/save uk", message_thread_id=thread, reply_to_message_id=note_id
        )
        assert saved == staff_texts.SAVED_REPLY_CREATED.format(name="uk")
        bad = await staff_says(
            bot, "/save так!", message_thread_id=thread, reply_to_message_id=note_id
        )
        assert bad == staff_texts.SAVE_BAD_NAME
        listed = await staff_says(bot, "/replies", message_thread_id=thread)
        assert "uk — Спасибо! Передали" in listed

        # /r in the topic sends it to the resident like a staff reply.
        before = len(bot.tg.sent_to(RESIDENT))
        async with expect(bot, RESIDENT):
            bot.tg.push_staff_message(STAFF_CHAT, STAFF, "/r uk", message_thread_id=thread)
        assert bot.tg.sent_to(RESIDENT)[before:] == [texts.staff_answer(number, template)]
        assert topic_posts(bot, STAFF_CHAT, thread)[-1] == staff_texts.DELIVERED

        # ... and as a reply to the appeal's card, by a number, and with a name that is unknown.
        card = bot.tg.calls("sendMessage", chat_id=STAFF_CHAT)[0].result["message_id"]
        async with expect(bot, RESIDENT):
            bot.tg.push_staff_message(
                STAFF_CHAT, STAFF, "/r UK", reply_to_message_id=card, message_thread_id=thread
            )
        assert bot.tg.sent_to(RESIDENT)[-1] == texts.staff_answer(number, template)
        unknown = await staff_says(bot, "/r nope", message_thread_id=thread)
        assert unknown == staff_texts.SAVED_REPLY_UNKNOWN.format(name="nope")
        async with bot.core.database.unit_of_work() as uow:
            (appeal,) = await uow.session.scalars(select(AppealRow))
            assert appeal.status == "answered"
