"""Appeals end to end: the real aiogram client, the fake Telegram server, a real database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.core import staff_texts, texts
from bot.core.actions import ConsentAction
from bot.core.sanitize import WORD_JOINER
from bot.settings import Settings
from bot.storage.models import AppealEventRow, AppealRow, MessageLinkRow, ResidentRow
from tests.common import FixedClock
from tests.harness import RunningBot, running_bot

STAFF_CHAT = -1001234567890
STAFF = 900
ADMIN = 901
OUTSIDER = 902
RESIDENT = 5101
INCIDENT = "на улице Ленина 5 третий день нет воды, примите меры!"
# Thursday 2026-11-26 11:00 in Moscow: inside office hours.
WORKING_MORNING = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


@asynccontextmanager
async def staffed_bot(
    settings: Settings, clock: FixedClock | None = None, **overrides: Any
) -> AsyncIterator[RunningBot]:
    clock = clock or FixedClock(WORKING_MORNING)
    async with running_bot(settings, clock, telegram_staff_chat_id=STAFF_CHAT, **overrides) as bot:
        bot.tg.add_chat(STAFF_CHAT, type="supergroup", title="Пресс-служба")
        bot.tg.add_member(STAFF_CHAT, STAFF, "member", first_name="Мария")
        bot.tg.add_member(STAFF_CHAT, ADMIN, "administrator", first_name="Олег")
        yield bot


async def open_appeal(bot: RunningBot, text: str = INCIDENT, resident: int = RESIDENT) -> int:
    """Send a question the FAQ passes to staff, consenting to the data notice the first time;
    returns the card's message id."""
    before = len(bot.tg.calls("sendMessage", chat_id=STAFF_CHAT))
    to_resident = len(bot.tg.calls("sendMessage", chat_id=resident))
    bot.tg.push_message(resident, text, first_name="Анна", last_name="Петрова")
    sent = await bot.tg.wait_for("sendMessage", to_resident + 1, chat_id=resident)
    accept = ConsentAction(accept=True).encode()
    markup = sent[-1].params.get("reply_markup") or {}
    if any(
        b.get("callback_data") == accept for row in markup.get("inline_keyboard", []) for b in row
    ):
        bot.tg.push_callback(resident, accept, sent[-1].result["message_id"])
    cards = await bot.tg.wait_for("sendMessage", before + 1, chat_id=STAFF_CHAT)
    await bot.settle()
    return int(cards[before].result["message_id"])


@asynccontextmanager
async def expect(bot: RunningBot, chat_id: int, more: int = 1) -> AsyncIterator[None]:
    """Wait, after the block, for `more` new messages to `chat_id`; then let handlers finish."""
    before = len(bot.tg.calls("sendMessage", chat_id=chat_id))
    yield
    await bot.tg.wait_for("sendMessage", before + more, chat_id=chat_id)
    await bot.settle()


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


def number_of(appeal: AppealRow) -> str:
    return f"{appeal.year}-{appeal.sequence:04d}"


async def test_question_reaches_staff_and_the_reply_comes_back(settings: Settings) -> None:
    async with staffed_bot(settings) as bot:
        card_id = await open_appeal(bot)
        (appeal,) = await appeals(bot)
        number = number_of(appeal)
        told = bot.tg.sent_to(RESIDENT)[-1]
        assert f"№ {number}" in told
        assert "27.11.2026 11:00" in told  # one working day: 9 office hours later
        card = bot.tg.sent_to(STAFF_CHAT)[-1]
        assert f"Обращение № {number}" in card and "Анна Петрова" in card
        assert INCIDENT in card
        card_request = bot.tg.calls("sendMessage", chat_id=STAFF_CHAT)[-1]
        keyboard = card_request.params["reply_markup"]["inline_keyboard"]
        assert [b["text"] for row in keyboard for b in row] == [
            staff_texts.TAKE_BUTTON,
            staff_texts.CLOSE_BUTTON,
            staff_texts.SPAM_BUTTON,
        ]

        async with expect(bot, RESIDENT):
            bot.tg.push_staff_message(
                STAFF_CHAT,
                STAFF,
                "Бригада водоканала выехала, воду дадут к 18:00.",
                reply_to_message_id=card_id,
            )
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


async def test_take_button_puts_the_appeal_in_progress(settings: Settings) -> None:
    async with staffed_bot(settings) as bot:
        card_id = await open_appeal(bot)
        take = bot.tg.calls("sendMessage", chat_id=STAFF_CHAT)[-1].params["reply_markup"]
        async with expect(bot, STAFF_CHAT):
            bot.tg.push_callback(
                STAFF, take["inline_keyboard"][0][0]["callback_data"], card_id, chat_id=STAFF_CHAT
            )
        (appeal,) = await appeals(bot)
        assert (appeal.status, appeal.taken_by) == ("in_progress", str(STAFF))
        assert "взял в работу" in bot.tg.sent_to(STAFF_CHAT)[-1]


async def test_follow_up_joins_the_open_appeal(settings: Settings) -> None:
    async with staffed_bot(settings) as bot:
        await open_appeal(bot)
        async with expect(bot, STAFF_CHAT):
            bot.tg.push_message(RESIDENT, "Добавлю: в соседнем доме тоже нет воды")
        (appeal,) = await appeals(bot)
        number = number_of(appeal)
        assert bot.tg.sent_to(RESIDENT)[-1] == texts.appeal_joined(number)
        follow_up = bot.tg.sent_to(STAFF_CHAT)[-1]
        assert f"№ {number}" in follow_up and "в соседнем доме" in follow_up
        assert await events(bot) == ["opened", "forwarded", "joined"]


async def test_media_in_both_directions(settings: Settings) -> None:
    async with staffed_bot(settings) as bot:
        await open_appeal(bot)
        sent = bot.tg.push_message(
            RESIDENT, None, caption="Вот фото лужи", photo="resident-photo-id"
        )
        photos = await bot.tg.wait_for("copyMessage", 1, chat_id=STAFF_CHAT)
        await bot.settle()
        assert photos[0].params["from_chat_id"] == RESIDENT
        assert photos[0].params["message_id"] == sent["message"]["message_id"]
        assert "Вот фото лужи" in bot.tg.sent_to(STAFF_CHAT)[-2]

        bot.tg.push_staff_message(
            STAFF_CHAT,
            STAFF,
            None,
            caption="Схема объезда",
            photo="staff-photo-id",
            reply_to_message_id=photos[0].result["message_id"],
        )
        delivered = await bot.tg.wait_for("copyMessage", 1, chat_id=RESIDENT)
        await bot.settle()
        assert delivered[0].params["from_chat_id"] == STAFF_CHAT
        assert "Схема объезда" in delivered[0].params["caption"]
        assert delivered[0].params["caption"].startswith("Ответ по обращению №")
        assert bot.tg.sent_to(STAFF_CHAT)[-1] == staff_texts.DELIVERED


async def test_close_asks_for_a_rating_and_records_it(settings: Settings) -> None:
    async with staffed_bot(settings) as bot:
        card_id = await open_appeal(bot)
        async with expect(bot, RESIDENT):
            bot.tg.push_staff_message(STAFF_CHAT, STAFF, "/close", reply_to_message_id=card_id)
        rating = bot.tg.calls("sendMessage", chat_id=RESIDENT)[-1]
        stars = rating.params["reply_markup"]["inline_keyboard"][0]
        assert [b["text"] for b in stars] == ["1", "2", "3", "4", "5"]
        async with expect(bot, RESIDENT):
            bot.tg.push_callback(RESIDENT, stars[3]["callback_data"], rating.result["message_id"])
        assert bot.tg.sent_to(RESIDENT)[-1] == texts.THANKS_FOR_RATING
        (appeal,) = await appeals(bot)
        assert (appeal.status, appeal.rating) == ("closed", 4)
        assert await events(bot) == ["opened", "forwarded", "closed", "rated"]
        rated = staff_texts.RATED.format(number=number_of(appeal), stars=4)
        assert bot.tg.sent_to(STAFF_CHAT).count(rated) == 1

        # Changing one's mind replaces the rating; staff are not told again.
        staff_posts = len(bot.tg.calls("sendMessage", chat_id=STAFF_CHAT))
        for star in (1, 4):
            async with expect(bot, RESIDENT):
                bot.tg.push_callback(
                    RESIDENT, stars[star]["callback_data"], rating.result["message_id"]
                )
            assert bot.tg.sent_to(RESIDENT)[-1] == texts.THANKS_FOR_RATING
        assert (await appeals(bot))[0].rating == 5
        assert len(bot.tg.calls("sendMessage", chat_id=STAFF_CHAT)) == staff_posts

        # A forged rating for somebody else's appeal changes nothing.
        async with expect(bot, RESIDENT + 1):
            bot.tg.push_callback(
                RESIDENT + 1, stars[0]["callback_data"], rating.result["message_id"]
            )
        assert bot.tg.sent_to(RESIDENT + 1)[-1] == texts.STALE_BUTTON
        assert (await appeals(bot))[0].rating == 5


async def test_answered_appeal_closes_itself_after_quiet_days(settings: Settings) -> None:
    clock = FixedClock(WORKING_MORNING)
    async with staffed_bot(settings, clock) as bot:
        card_id = await open_appeal(bot)
        async with expect(bot, RESIDENT):
            bot.tg.push_staff_message(STAFF_CHAT, STAFF, "Готово", reply_to_message_id=card_id)

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

        await open_appeal(bot)
        assert [a.status for a in await appeals(bot)] == ["closed", "open"]


async def test_status_and_cancel(settings: Settings) -> None:
    async with staffed_bot(settings) as bot:
        await open_appeal(bot)
        async with expect(bot, RESIDENT):
            bot.tg.push_message(RESIDENT, "/status")
        (appeal,) = await appeals(bot)
        number = number_of(appeal)
        assert f"№ {number} — ждёт ответа" in bot.tg.sent_to(RESIDENT)[-1]

        async with expect(bot, RESIDENT):
            bot.tg.push_message(RESIDENT, "/cancel")
        assert bot.tg.sent_to(RESIDENT)[-1] == texts.appeal_cancelled(number)
        assert (await appeals(bot))[0].status == "cancelled"
        notice = staff_texts.CANCELLED_BY_RESIDENT.format(number=number)
        assert notice in bot.tg.sent_to(STAFF_CHAT)
        async with expect(bot, RESIDENT):
            bot.tg.push_message(RESIDENT, "/status")
        assert bot.tg.sent_to(RESIDENT)[-1] == texts.NO_APPEALS


async def test_ban_stops_forwarding_and_refuses_replies(settings: Settings) -> None:
    async with staffed_bot(settings) as bot:
        card_id = await open_appeal(bot)
        async with expect(bot, STAFF_CHAT):
            bot.tg.push_staff_message(STAFF_CHAT, STAFF, "/ban", reply_to_message_id=card_id)
        assert bot.tg.sent_to(STAFF_CHAT)[-1] == staff_texts.ADMINS_ONLY

        async with expect(bot, STAFF_CHAT):
            bot.tg.push_staff_message(STAFF_CHAT, ADMIN, "/ban", reply_to_message_id=card_id)
        staff_before = len(bot.tg.sent_to(STAFF_CHAT))

        async with expect(bot, RESIDENT):
            bot.tg.push_message(RESIDENT, "ещё одно сообщение")
        assert bot.tg.sent_to(RESIDENT)[-1] == texts.BANNED_REPLY
        assert len(bot.tg.sent_to(STAFF_CHAT)) == staff_before

        resident_before = len(bot.tg.sent_to(RESIDENT))
        async with expect(bot, STAFF_CHAT):
            bot.tg.push_staff_message(STAFF_CHAT, STAFF, "Ответ", reply_to_message_id=card_id)
        assert bot.tg.sent_to(STAFF_CHAT)[-1] == staff_texts.BANNED_RESIDENT
        assert len(bot.tg.sent_to(RESIDENT)) == resident_before
        async with bot.core.database.unit_of_work() as uow:
            resident = await uow.session.scalar(select(ResidentRow))
            assert resident is not None and resident.banned

        async with expect(bot, STAFF_CHAT):
            bot.tg.push_staff_message(STAFF_CHAT, ADMIN, "/unban", reply_to_message_id=card_id)
        async with expect(bot, STAFF_CHAT):
            bot.tg.push_message(RESIDENT, "теперь меня слышно?")
        assert "теперь меня слышно?" in bot.tg.sent_to(STAFF_CHAT)[-1]


async def test_outsiders_and_unlisted_members_get_nothing_done(settings: Settings) -> None:
    async with staffed_bot(settings, staff_ids=[STAFF]) as bot:
        bot.tg.add_member(STAFF_CHAT, OUTSIDER, "member", first_name="Сосед")
        card_id = await open_appeal(bot)
        before = len(bot.tg.sent_to(RESIDENT))
        async with expect(bot, STAFF_CHAT, more=2):
            bot.tg.push_staff_message(
                STAFF_CHAT, OUTSIDER, "я не сотрудник", reply_to_message_id=card_id
            )
            bot.tg.push_staff_message(STAFF_CHAT, OUTSIDER, "/close", reply_to_message_id=card_id)
            bot.tg.push_staff_message(STAFF_CHAT, OUTSIDER + 1, "/close 2026-0001")
        assert len(bot.tg.sent_to(RESIDENT)) == before
        assert bot.tg.sent_to(STAFF_CHAT)[-2:] == [staff_texts.NOT_ALLOWED] * 2
        assert (await appeals(bot))[0].status == "open"
        assert await events(bot) == ["opened", "forwarded"]


async def test_resident_markup_arrives_escaped(settings: Settings) -> None:
    hostile = 'Срочно! <b>жирный</b> <a href="http://evil.example">ссылка</a> *md* _x_ &amp; /ban'
    async with staffed_bot(settings) as bot:
        async with expect(bot, RESIDENT):
            bot.tg.push_message(RESIDENT, texts.MENU_ASK_STAFF)
        await open_appeal(bot, hostile)
        card = bot.tg.calls("sendMessage", chat_id=STAFF_CHAT)[-1]
        assert card.ok
        assert card.params["parse_mode"] == "HTML"
        # Shown as written; the invisible joiner keeps «/ban» from being a tappable command.
        shown = bot.tg.sent_to(STAFF_CHAT)[-1]
        assert hostile in shown.replace(WORD_JOINER, "") and f"/{WORD_JOINER}ban" in shown


async def test_after_hours_message_says_when_staff_see_it(settings: Settings) -> None:
    saturday_evening = datetime(2026, 11, 28, 17, 0, tzinfo=UTC)
    async with staffed_bot(settings, FixedClock(saturday_evening)) as bot:
        await open_appeal(bot)
        told = bot.tg.sent_to(RESIDENT)[-1]
        assert "нерабочее время" in told
        assert "30.11.2026 09:00" in told
        assert "30.11.2026 18:00" in told


async def test_reminders_fire_once_and_survive_a_restart(settings: Settings) -> None:
    clock = FixedClock(WORKING_MORNING)
    async with staffed_bot(settings, clock) as bot:
        await open_appeal(bot)
        await open_appeal(bot, INCIDENT, resident=RESIDENT + 7)
        first, _ = await appeals(bot)
        assert first.deadline_at == datetime(2026, 11, 27, 8, 0, tzinfo=UTC)

        clock.now = datetime(2026, 11, 27, 5, 0, tzinfo=UTC)  # 08:00 MSK: 2 office hours left
        await bot.core.appeals.tick()
        reminders = [t for t in bot.tg.sent_to(STAFF_CHAT) if t.startswith("⏰")]
        assert len(reminders) == 2

    async with staffed_bot(settings, clock) as restarted:
        restarted.tg.continue_chat(STAFF_CHAT, 1000)
        await restarted.core.appeals.tick()
        assert not [t for t in restarted.tg.sent_to(STAFF_CHAT) if t.startswith("⏰")]
        clock.now = datetime(2026, 11, 27, 8, 30, tzinfo=UTC)
        await restarted.core.appeals.tick()
        await restarted.core.appeals.tick()
        overdue = [t for t in restarted.tg.sent_to(STAFF_CHAT) if t.startswith("🔥")]
        assert len(overdue) == 2
        kinds = await events(restarted)
        assert kinds.count("reminded") == 2 and kinds.count("overdue") == 2


async def test_stats_in_the_staff_chat(settings: Settings) -> None:
    async with staffed_bot(settings) as bot:
        card_id = await open_appeal(bot)
        async with expect(bot, RESIDENT):
            bot.tg.push_staff_message(STAFF_CHAT, STAFF, "Ответ", reply_to_message_id=card_id)
        bot.tg.push_staff_message(STAFF_CHAT, STAFF, "/stats")
        (photo,) = await bot.tg.wait_for("sendPhoto", 1, chat_id=STAFF_CHAT)
        await bot.settle()
        assert photo.params["photo"]["size"] > 5_000
        shown = bot.tg.sent_to(STAFF_CHAT)[-1]
        assert "Вопросов: 1" in shown and "сотрудникам: 1" in shown
        assert "Входящие в очереди:" in shown
        async with expect(bot, STAFF_CHAT):
            bot.tg.push_staff_message(STAFF_CHAT, STAFF, "/stats 2026-13-01")
        assert bot.tg.calls("sendMessage", chat_id=STAFF_CHAT)[-1].ok
        async with expect(bot, STAFF_CHAT):
            bot.tg.push_staff_message(STAFF_CHAT, OUTSIDER, "/stats")
        assert bot.tg.sent_to(STAFF_CHAT)[-1] == staff_texts.NOT_ALLOWED


async def test_staff_forget_erases_a_resident(settings: Settings) -> None:
    async with staffed_bot(settings) as bot:
        await open_appeal(bot)
        (appeal,) = await appeals(bot)
        async with expect(bot, STAFF_CHAT, more=2):
            bot.tg.push_staff_message(STAFF_CHAT, STAFF, f"/forget {number_of(appeal)}")
        assert "Данные жителя удалены" in bot.tg.sent_to(STAFF_CHAT)[-1]
        async with bot.core.database.unit_of_work() as uow:
            resident = await uow.session.scalar(select(ResidentRow))
            assert resident is not None
            assert resident.display_name is None and resident.anonymised_at is not None
        assert (await appeals(bot))[0].status == "closed"
