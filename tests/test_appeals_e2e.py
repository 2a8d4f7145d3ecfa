"""Appeals end to end: the real aiogram client, the fake Telegram server, a real database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.core import staff_texts, texts
from bot.settings import Settings
from bot.storage.models import AppealEventRow, AppealRow, MessageLinkRow, ResidentRow
from tests.harness import RunningBot, running_bot

STAFF_CHAT = -1001234567890
STAFF = 900
ADMIN = 901
OUTSIDER = 902
RESIDENT = 5101
INCIDENT = "на улице Ленина 5 третий день нет воды, примите меры!"
# Thursday 2026-11-26 11:00 in Moscow: inside office hours.
WORKING_MORNING = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@asynccontextmanager
async def staffed_bot(
    settings: Settings, clock: Clock | None = None, **overrides: Any
) -> AsyncIterator[RunningBot]:
    clock = clock or Clock(WORKING_MORNING)
    async with running_bot(settings, clock, telegram_staff_chat_id=STAFF_CHAT, **overrides) as bot:
        bot.tg.add_chat(STAFF_CHAT, type="supergroup", title="Пресс-служба")
        bot.tg.add_member(STAFF_CHAT, STAFF, "member", first_name="Мария")
        bot.tg.add_member(STAFF_CHAT, ADMIN, "administrator", first_name="Олег")
        yield bot


async def open_appeal(bot: RunningBot, text: str = INCIDENT, resident: int = RESIDENT) -> int:
    """Send a question the FAQ passes to staff; returns the card's message id."""
    before = len(bot.tg.calls("sendMessage", chat_id=STAFF_CHAT))
    bot.tg.push_message(resident, text, first_name="Анна", last_name="Петрова")
    cards = await bot.tg.wait_for("sendMessage", before + 1, chat_id=STAFF_CHAT)
    await bot.settle()
    return int(cards[before].result["message_id"])


async def appeals(bot: RunningBot) -> list[AppealRow]:
    async with bot.core.database.unit_of_work() as uow:
        rows = list(await uow.session.scalars(select(AppealRow).order_by(AppealRow.id)))
        uow.session.expunge_all()
    return rows


async def events(bot: RunningBot) -> list[str]:
    async with bot.core.database.unit_of_work() as uow:
        return list(
            await uow.session.scalars(select(AppealEventRow.kind).order_by(AppealEventRow.id))
        )


async def test_question_reaches_staff_and_the_reply_comes_back(settings: Settings) -> None:
    async with staffed_bot(settings) as bot:
        card_id = await open_appeal(bot)
        (appeal,) = await appeals(bot)
        number = f"{appeal.year}-{appeal.sequence:04d}"
        resident_texts = bot.tg.sent_to(RESIDENT)
        assert f"№ {number}" in resident_texts[-1]
        assert "28.11.2026" not in resident_texts[-1]
        assert "27.11.2026 11:00" in resident_texts[-1]  # one working day: 9 office hours
        card = bot.tg.sent_to(STAFF_CHAT)[-1]
        assert f"Обращение № {number}" in card and "Анна Петрова" in card
        assert INCIDENT in card
        card_request = bot.tg.calls("sendMessage", chat_id=STAFF_CHAT)[-1]
        labels = [
            b["text"] for row in card_request.params["reply_markup"]["inline_keyboard"] for b in row
        ]
        assert labels == [
            staff_texts.TAKE_BUTTON,
            staff_texts.CLOSE_BUTTON,
            staff_texts.SPAM_BUTTON,
        ]

        bot.tg.push_staff_message(
            STAFF_CHAT,
            STAFF,
            "Бригада водоканала выехала, воду дадут к 18:00.",
            reply_to_message_id=card_id,
        )
        await bot.tg.wait_for("sendMessage", 2, chat_id=RESIDENT)
        await bot.settle()
        answer = bot.tg.sent_to(RESIDENT)[-1]
        assert answer.startswith(f"Ответ по обращению № {number}")
        assert "Бригада водоканала выехала" in answer
        assert bot.tg.sent_to(STAFF_CHAT)[-1] == staff_texts.DELIVERED

        (appeal,) = await appeals(bot)
        assert appeal.status == "answered"
        assert appeal.first_response_at == WORKING_MORNING
        assert await events(bot) == ["opened", "forwarded", "answered"]
        async with bot.core.database.unit_of_work() as uow:
            links = list(await uow.session.scalars(select(MessageLinkRow)))
            uow.session.expunge_all()
        assert {link.direction for link in links} == {"in", "out"}
        assert all(link.appeal_id == appeal.id for link in links)


async def test_follow_up_joins_the_open_appeal(settings: Settings) -> None:
    async with staffed_bot(settings) as bot:
        await open_appeal(bot)
        bot.tg.push_message(RESIDENT, "Добавлю: в соседнем доме тоже нет воды")
        await bot.tg.wait_for("sendMessage", 2, chat_id=STAFF_CHAT)
        await bot.settle()
        (appeal,) = await appeals(bot)
        number = f"{appeal.year}-{appeal.sequence:04d}"
        assert bot.tg.sent_to(RESIDENT)[-1] == texts.appeal_joined(number)
        follow_up = bot.tg.sent_to(STAFF_CHAT)[-1]
        assert f"№ {number}" in follow_up and "в соседнем доме" in follow_up
        assert await events(bot) == ["opened", "forwarded", "joined"]


async def test_media_in_both_directions(settings: Settings) -> None:
    async with staffed_bot(settings) as bot:
        card_id = await open_appeal(bot)
        bot.tg.push_message(RESIDENT, None, caption="Вот фото лужи", photo="resident-photo-id")
        photos = await bot.tg.wait_for("sendPhoto", 1, chat_id=STAFF_CHAT)
        assert photos[0].params["photo"] == "resident-photo-id"
        photo_message = photos[0].result["message_id"]

        bot.tg.push_staff_message(
            STAFF_CHAT,
            STAFF,
            None,
            caption="Схема объезда",
            photo="staff-photo-id",
            reply_to_message_id=photo_message,
        )
        delivered = await bot.tg.wait_for("sendPhoto", 1, chat_id=RESIDENT)
        await bot.settle()
        assert delivered[0].params["photo"] == "staff-photo-id"
        assert "Схема объезда" in delivered[0].params["caption"]
        assert card_id


async def test_close_asks_for_a_rating_and_records_it(settings: Settings) -> None:
    async with staffed_bot(settings) as bot:
        card_id = await open_appeal(bot)
        bot.tg.push_staff_message(STAFF_CHAT, STAFF, "/close", reply_to_message_id=card_id)
        requests = await bot.tg.wait_for("sendMessage", 2, chat_id=RESIDENT)
        await bot.settle()
        rating = requests[-1]
        stars = rating.params["reply_markup"]["inline_keyboard"][0]
        assert [b["text"] for b in stars] == ["1", "2", "3", "4", "5"]
        bot.tg.push_callback(RESIDENT, stars[3]["callback_data"], rating.result["message_id"])
        await bot.tg.wait_for("sendMessage", 3, chat_id=RESIDENT)
        await bot.settle()
        assert bot.tg.sent_to(RESIDENT)[-1] == texts.THANKS_FOR_RATING
        (appeal,) = await appeals(bot)
        assert (appeal.status, appeal.rating) == ("closed", 4)
        assert await events(bot) == ["opened", "forwarded", "closed", "rated"]

        # A forged rating for somebody else's appeal changes nothing.
        bot.tg.push_callback(RESIDENT + 1, stars[0]["callback_data"], rating.result["message_id"])
        await bot.tg.wait_for("sendMessage", 1, chat_id=RESIDENT + 1)
        await bot.settle()
        assert bot.tg.sent_to(RESIDENT + 1)[-1] == texts.STALE_BUTTON
        assert (await appeals(bot))[0].rating == 4


async def test_answered_appeal_closes_itself_after_quiet_days(settings: Settings) -> None:
    clock = Clock(WORKING_MORNING)
    async with staffed_bot(settings, clock) as bot:
        card_id = await open_appeal(bot)
        bot.tg.push_staff_message(STAFF_CHAT, STAFF, "Готово", reply_to_message_id=card_id)
        await bot.tg.wait_for("sendMessage", 2, chat_id=RESIDENT)
        await bot.settle()

        clock.now = WORKING_MORNING + timedelta(days=2)
        await bot.core.appeals.tick()
        assert (await appeals(bot))[0].status == "answered"

        clock.now = WORKING_MORNING + timedelta(days=3, minutes=1)
        await bot.core.appeals.tick()
        await bot.core.appeals.tick()
        (appeal,) = await appeals(bot)
        assert appeal.status == "closed"
        assert (await events(bot)).count("autoclosed") == 1
        assert bot.tg.sent_to(RESIDENT)[-1].startswith("Обращение №")

        bot.tg.push_message(RESIDENT, INCIDENT)
        await bot.tg.wait_for("sendMessage", 2, chat_id=STAFF_CHAT)
        await bot.settle()
        assert [a.status for a in await appeals(bot)] == ["closed", "open"]


async def test_status_and_cancel(settings: Settings) -> None:
    async with staffed_bot(settings) as bot:
        await open_appeal(bot)
        bot.tg.push_message(RESIDENT, "/status")
        await bot.tg.wait_for("sendMessage", 2, chat_id=RESIDENT)
        await bot.settle()
        (appeal,) = await appeals(bot)
        number = f"{appeal.year}-{appeal.sequence:04d}"
        assert f"№ {number} — ждёт ответа" in bot.tg.sent_to(RESIDENT)[-1]

        bot.tg.push_message(RESIDENT, "/cancel")
        await bot.tg.wait_for("sendMessage", 3, chat_id=RESIDENT)
        await bot.settle()
        assert bot.tg.sent_to(RESIDENT)[-1] == texts.appeal_cancelled(number)
        assert (await appeals(bot))[0].status == "cancelled"
        assert staff_texts.CANCELLED_BY_RESIDENT.format(number=number) in bot.tg.sent_to(STAFF_CHAT)
        bot.tg.push_message(RESIDENT, "/status")
        await bot.tg.wait_for("sendMessage", 4, chat_id=RESIDENT)
        await bot.settle()
        assert bot.tg.sent_to(RESIDENT)[-1] == texts.NO_APPEALS


async def test_ban_stops_forwarding_and_refuses_replies(settings: Settings) -> None:
    async with staffed_bot(settings) as bot:
        card_id = await open_appeal(bot)
        bot.tg.push_staff_message(STAFF_CHAT, STAFF, "/ban", reply_to_message_id=card_id)
        await bot.tg.wait_for("sendMessage", 2, chat_id=STAFF_CHAT)
        await bot.settle()
        assert bot.tg.sent_to(STAFF_CHAT)[-1] == staff_texts.ADMINS_ONLY

        bot.tg.push_staff_message(STAFF_CHAT, ADMIN, "/ban", reply_to_message_id=card_id)
        await bot.tg.wait_for("sendMessage", 3, chat_id=STAFF_CHAT)
        await bot.settle()
        staff_before = len(bot.tg.sent_to(STAFF_CHAT))

        bot.tg.push_message(RESIDENT, "ещё одно сообщение")
        await bot.tg.wait_for("sendMessage", 2, chat_id=RESIDENT)
        await bot.settle()
        assert bot.tg.sent_to(RESIDENT)[-1] == texts.BANNED_REPLY
        assert len(bot.tg.sent_to(STAFF_CHAT)) == staff_before

        bot.tg.push_staff_message(STAFF_CHAT, STAFF, "Ответ", reply_to_message_id=card_id)
        await bot.tg.wait_for("sendMessage", staff_before + 1, chat_id=STAFF_CHAT)
        await bot.settle()
        assert bot.tg.sent_to(STAFF_CHAT)[-1] == staff_texts.BANNED_RESIDENT
        assert len(bot.tg.sent_to(RESIDENT)) == 2
        async with bot.core.database.unit_of_work() as uow:
            resident = await uow.session.scalar(select(ResidentRow))
            assert resident is not None and resident.banned


async def test_outsiders_and_unlisted_members_get_nothing_done(settings: Settings) -> None:
    async with staffed_bot(settings, staff_ids=[STAFF]) as bot:
        bot.tg.add_member(STAFF_CHAT, OUTSIDER, "member", first_name="Сосед")
        card_id = await open_appeal(bot)
        before = len(bot.tg.sent_to(RESIDENT))
        bot.tg.push_staff_message(
            STAFF_CHAT, OUTSIDER, "я не сотрудник", reply_to_message_id=card_id
        )
        bot.tg.push_staff_message(STAFF_CHAT, OUTSIDER, "/close", reply_to_message_id=card_id)
        bot.tg.push_staff_message(STAFF_CHAT, OUTSIDER + 1, "/close 2026-0001")
        await bot.tg.wait_for("sendMessage", 3, chat_id=STAFF_CHAT)
        await bot.settle()
        assert len(bot.tg.sent_to(RESIDENT)) == before
        assert bot.tg.sent_to(STAFF_CHAT)[-2:] == [staff_texts.NOT_ALLOWED] * 2
        assert (await appeals(bot))[0].status == "open"
        assert await events(bot) == ["opened", "forwarded"]


async def test_resident_markup_arrives_escaped(settings: Settings) -> None:
    hostile = 'Срочно! <b>жирный</b> <a href="http://evil.example">ссылка</a> *md* _x_ &amp; /ban'
    async with staffed_bot(settings) as bot:
        bot.tg.push_message(RESIDENT, texts.MENU_ASK_STAFF)
        await bot.tg.wait_for("sendMessage", 1, chat_id=RESIDENT)
        await open_appeal(bot, hostile)
        card = bot.tg.calls("sendMessage", chat_id=STAFF_CHAT)[-1]
        assert card.ok
        assert card.params["parse_mode"] == "HTML"
        shown = bot.tg.sent_to(STAFF_CHAT)[-1]
        assert hostile in shown


async def test_after_hours_message_says_when_staff_see_it(settings: Settings) -> None:
    saturday_evening = datetime(2026, 11, 28, 17, 0, tzinfo=UTC)
    async with staffed_bot(settings, Clock(saturday_evening)) as bot:
        await open_appeal(bot)
        told = bot.tg.sent_to(RESIDENT)[-1]
        assert "нерабочее время" in told
        assert "30.11.2026 09:00" in told
        assert "30.11.2026 18:00" in told


async def test_reminders_fire_once_and_survive_a_restart(settings: Settings) -> None:
    clock = Clock(WORKING_MORNING)
    async with staffed_bot(settings, clock) as bot:
        await open_appeal(bot)
        await open_appeal(bot, INCIDENT, resident=RESIDENT + 7)
        first, second = await appeals(bot)
        assert first.deadline_at == datetime(2026, 11, 27, 8, 0, tzinfo=UTC)

        clock.now = datetime(2026, 11, 27, 5, 0, tzinfo=UTC)  # 08:00 MSK: 2 office hours left
        await bot.core.appeals.tick()
        reminders = [t for t in bot.tg.sent_to(STAFF_CHAT) if t.startswith("⏰")]
        assert len(reminders) == 2

    async with staffed_bot(settings, clock) as restarted:
        await restarted.core.appeals.tick()
        assert not [t for t in restarted.tg.sent_to(STAFF_CHAT) if t.startswith("⏰")]
        clock.now = datetime(2026, 11, 27, 8, 30, tzinfo=UTC)
        await restarted.core.appeals.tick()
        await restarted.core.appeals.tick()
        overdue = [t for t in restarted.tg.sent_to(STAFF_CHAT) if t.startswith("🔥")]
        assert len(overdue) == 2
        kinds = await events(restarted)
        assert kinds.count("reminded") == 2 and kinds.count("overdue") == 2
        assert second.id != first.id
