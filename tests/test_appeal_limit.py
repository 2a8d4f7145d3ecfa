"""The cap on appeals per resident, end to end: the real aiogram client, the fake Telegram
server, a real database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.core import staff_texts, texts
from bot.settings import Settings
from bot.storage.models import ExchangeRow
from tests.common import FixedClock
from tests.harness import RunningBot
from tests.test_appeals_e2e import (
    INCIDENT,
    RESIDENT,
    STAFF_CHAT,
    WORKING_MORNING,
    appeals,
    events,
    expect,
    number_of,
    open_appeal,
    staffed_bot,
)

LIFT = "в доме 12 на Садовой не работает лифт уже неделю, примите меры!"
BENCH = "во дворе дома 7 сломали все скамейки, примите меры!"
GAS = "в подъезде сильно пахнет газом"
LIMIT = 2


async def resident_says(bot: RunningBot, text: str, more: int = 1) -> str:
    async with expect(bot, RESIDENT, more):
        bot.tg.push_message(RESIDENT, text, first_name="Анна", last_name="Петрова")
    return bot.tg.sent_to(RESIDENT)[-1]


async def exchange_of(bot: RunningBot, text: str) -> ExchangeRow:
    async with bot.core.database.unit_of_work() as uow:
        row = await uow.session.scalar(select(ExchangeRow).where(ExchangeRow.text == text))
        uow.session.expunge_all()
    assert row is not None
    return row


async def test_past_the_limit_messages_join_the_last_appeal_until_it_resets(
    settings: Settings,
) -> None:
    clock = FixedClock(WORKING_MORNING)
    async with staffed_bot(
        settings,
        clock,
        appeals_per_resident_per_day=LIMIT,
        flood_messages_per_minute=100,
    ) as bot:
        await open_appeal(bot, INCIDENT)
        await resident_says(bot, "/cancel")
        clock.now += timedelta(hours=1)
        await open_appeal(bot, LIFT)
        await resident_says(bot, "/cancel")
        assert len(await appeals(bot)) == LIMIT
        staff_posts = len(bot.tg.sent_to(STAFF_CHAT))

        # One over: told politely when it resets (24 hours after the first of the two), the
        # message joins the last appeal and staff get one note, linked to that appeal.
        clock.now += timedelta(hours=1)
        told = await resident_says(bot, BENCH)
        first, last = await appeals(bot)
        resets = "27.11.2026 11:00"
        assert told == texts.appeal_limit_reached(LIMIT, number_of(last), resets)
        assert len(await appeals(bot)) == LIMIT
        assert (await exchange_of(bot, BENCH)).appeal_id == last.id
        note = staff_texts.APPEAL_LIMIT_REACHED.format(
            number=number_of(last), limit=LIMIT, resets_at=resets
        )
        assert bot.tg.sent_to(STAFF_CHAT)[staff_posts:] == [note]
        note_id = bot.tg.calls("sendMessage", chat_id=STAFF_CHAT)[-1].result["message_id"]

        # Again: the same answer, the message kept with the appeal, no second note.
        again = "и ещё: в подвале крысы, примите меры!"
        assert await resident_says(bot, again) == told
        assert (await exchange_of(bot, again)).appeal_id == last.id
        assert bot.tg.sent_to(STAFF_CHAT)[staff_posts:] == [note]
        assert (await events(bot)).count("over_limit") == 2

        # An emergency is never capped: the numbers, and an urgent appeal at once.
        await resident_says(bot, GAS, more=2)
        emergency = (await appeals(bot))[-1]
        assert len(await appeals(bot)) == LIMIT + 1 and emergency.urgent
        await resident_says(bot, "/cancel")

        # Still over the limit an hour before the reset; a new appeal opens once it is past.
        clock.now = first.opened_at + timedelta(hours=23)
        assert (await resident_says(bot, BENCH)).startswith("Достигнут суточный предел")
        clock.now = first.opened_at + timedelta(hours=24, minutes=1)
        # The second appeal and the emergency still count: two in the window, the limit.
        assert (await resident_says(bot, LIFT)).startswith("Достигнут суточный предел")
        clock.now = last.opened_at + timedelta(days=1)
        opened = await resident_says(bot, INCIDENT)
        assert opened.startswith("Ваш вопрос передан сотрудникам")
        assert len(await appeals(bot)) == LIMIT + 2

        # Staff can answer the resident through the note.
        async with expect(bot, RESIDENT):
            bot.tg.push_staff_message(
                STAFF_CHAT, 900, "Передали в управляющую компанию.", reply_to_message_id=note_id
            )
        assert bot.tg.sent_to(RESIDENT)[-1].endswith("Передали в управляющую компанию.")
