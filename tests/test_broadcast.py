"""Broadcasting end to end: the real aiogram client against the fake Telegram server, a real
database; `run_once` is called directly, as the bot's background task does."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.core import broadcast as broadcast_module
from bot.core.broadcast import Audience, BroadcastService, RateLimiter
from bot.core.messages import Platform, Reply, ResidentKey
from bot.settings import Settings
from bot.storage.models import DeliveryRow, NotificationSettingsRow, ResidentRow, SubscriptionRow
from tests.common import FixedClock
from tests.harness import RunningBot
from tests.test_appeals_e2e import STAFF_CHAT, WORKING_MORNING, staffed_bot

TELEGRAM = frozenset({Platform.TELEGRAM})
FIRST = 7001


async def add_residents(
    bot: RunningBot, count: int, topics: tuple[str, ...] = (), first: int = FIRST
) -> dict[int, int]:
    """Telegram residents `first`, `first + 1`, ... subscribed to `topics`; chat id → row id."""
    now = bot.core.clock()
    ids: dict[int, int] = {}
    async with bot.core.database.unit_of_work() as uow:
        for chat in range(first, first + count):
            resident = await uow.residents.touch(
                ResidentKey(Platform.TELEGRAM, str(chat)), None, None, now
            )
            if topics:
                await uow.subscriptions.set_topics(resident.id, topics, on=True, now=now)
            ids[chat] = resident.id
        await uow.commit()
    return ids


async def enqueue(
    bot: RunningBot, text: str, audience: Audience, service: BroadcastService | None = None
) -> int:
    async with bot.core.database.unit_of_work() as uow:
        broadcast_id = await (service or bot.core.broadcasts).enqueue(
            uow,
            kind="announcement",
            subject_id=None,
            reply=Reply(text),
            audience=audience,
            staff_chat_id=str(STAFF_CHAT),
        )
        await uow.commit()
    return broadcast_id


async def deliveries(bot: RunningBot) -> list[DeliveryRow]:
    async with bot.core.database.unit_of_work() as uow:
        rows = list(await uow.session.scalars(select(DeliveryRow).order_by(DeliveryRow.id)))
        uow.session.expunge_all()
    return rows


def received(bot: RunningBot, text: str) -> Counter[int]:
    """How many times each chat was sent `text` successfully."""
    return Counter(
        int(call.params["chat_id"])
        for call in bot.tg.calls("sendMessage")
        if call.ok and call.params.get("text") == text
    )


async def test_announcement_reaches_only_subscribers_of_its_topic(settings: Settings) -> None:
    async with staffed_bot(settings) as bot:
        roads = await add_residents(bot, 3, ("Дороги",))
        news = await add_residents(bot, 2, ("Новости",), first=8001)
        await add_residents(bot, 2, first=9001)
        await enqueue(bot, "Ремонт моста", Audience(TELEGRAM, topic="Дороги"))

        assert await bot.core.broadcasts.run_once() == 3

        assert received(bot, "Ремонт моста") == Counter(dict.fromkeys(roads, 1))
        assert not set(received(bot, "Ремонт моста")) & set(news)
        rows = await deliveries(bot)
        assert [row.status for row in rows] == ["sent"] * 3
        assert all(row.message_ids and row.sent_at for row in rows)
        tally = bot.tg.sent_to(STAFF_CHAT)[-1]
        assert "завершена" in tally and "доставлено 3" in tally
        assert "заблокировали бота 0" in tally


async def test_emergency_reaches_everyone_who_has_not_opted_out(settings: Settings) -> None:
    async with staffed_bot(settings) as bot:
        subscribed = await add_residents(bot, 2, ("Новости",))
        others = await add_residents(bot, 2, first=8001)
        quiet = await add_residents(bot, 1, ("Новости",), first=9001)
        async with bot.core.database.unit_of_work() as uow:
            await uow.subscriptions.opt_out(quiet[9001], bot.core.clock())
            await uow.commit()
        await enqueue(bot, "Штормовое предупреждение", Audience(TELEGRAM, emergency=True))

        await bot.core.broadcasts.run_once()

        expected = Counter(dict.fromkeys([*subscribed, *others], 1))
        assert received(bot, "Штормовое предупреждение") == expected


async def test_explicit_audience_and_platforms(settings: Settings) -> None:
    async with staffed_bot(settings) as bot:
        ids = await add_residents(bot, 4)
        voters = frozenset({ids[FIRST], ids[FIRST + 2]})
        await enqueue(bot, "Итоги", Audience(TELEGRAM, resident_ids=voters))
        await enqueue(bot, "Только VK", Audience(frozenset({Platform.VK})))

        await bot.core.broadcasts.run_once()

        assert received(bot, "Итоги") == Counter({FIRST: 1, FIRST + 2: 1})
        assert not received(bot, "Только VK")


async def test_resident_who_blocked_the_bot_is_unsubscribed_and_counted(
    settings: Settings,
) -> None:
    async with staffed_bot(settings) as bot:
        ids = await add_residents(bot, 3, ("Новости",))
        blocker = FIRST + 1
        bot.tg.inject_forbidden("sendMessage", times=None, chat_id=blocker)
        await enqueue(bot, "Новость", Audience(TELEGRAM, topic="Новости"))

        assert await bot.core.broadcasts.run_once() == 2

        statuses = {row.chat_id: row.status for row in await deliveries(bot)}
        assert statuses == {str(FIRST): "sent", str(blocker): "blocked", str(FIRST + 2): "sent"}
        async with bot.core.database.unit_of_work() as uow:
            resident = await uow.session.get(ResidentRow, ids[blocker])
            choice = await uow.session.get(NotificationSettingsRow, ids[blocker])
            topics = list(
                await uow.session.scalars(
                    select(SubscriptionRow.topic).where(SubscriptionRow.resident_id == ids[blocker])
                )
            )
            assert resident is not None and not resident.reachable
            assert choice is not None and choice.opted_out
            assert topics == []
        tally = bot.tg.sent_to(STAFF_CHAT)[-1]
        assert "доставлено 2" in tally and "заблокировали бота 1" in tally

        # Unsubscribed: the next broadcast does not even try.
        await enqueue(bot, "Ещё новость", Audience(TELEGRAM, emergency=True))
        await bot.core.broadcasts.run_once()
        assert set(received(bot, "Ещё новость")) == {FIRST, FIRST + 2}


async def test_too_many_requests_is_retried_after_retry_after(settings: Settings) -> None:
    async with staffed_bot(settings) as bot:
        ids = await add_residents(bot, 4)
        bot.tg.inject_retry_after("sendMessage", times=2, retry_after=1)
        await enqueue(bot, "Опрос", Audience(TELEGRAM))

        started = time.monotonic()
        assert await bot.core.broadcasts.run_once() == 4

        assert time.monotonic() - started >= 1.0
        refused = [c for c in bot.tg.calls("sendMessage") if c.error_code == 429]
        assert len(refused) == 2
        assert received(bot, "Опрос") == Counter(dict.fromkeys(ids, 1))
        assert {row.status for row in await deliveries(bot)} == {"sent"}


async def test_scheduled_broadcast_waits_for_its_time(settings: Settings) -> None:
    clock = FixedClock(WORKING_MORNING)
    async with staffed_bot(settings, clock) as bot:
        await add_residents(bot, 2)
        async with bot.core.database.unit_of_work() as uow:
            await bot.core.broadcasts.enqueue(
                uow,
                kind="announcement",
                subject_id=None,
                reply=Reply("Завтра"),
                audience=Audience(TELEGRAM),
                staff_chat_id=None,
                at=WORKING_MORNING + timedelta(hours=1),
            )
            await uow.commit()
        # Subscribed after scheduling, before sending: still reached.
        await add_residents(bot, 1, first=8001)

        assert await bot.core.broadcasts.run_once() == 0
        clock.now += timedelta(hours=1)
        assert await bot.core.broadcasts.run_once() == 3
        assert set(received(bot, "Завтра")) == {FIRST, FIRST + 1, 8001}


async def test_restart_midway_sends_nobody_the_message_twice(settings: Settings) -> None:
    async with staffed_bot(settings, telegram_broadcast_rate=40.0) as bot:
        ids = await add_residents(bot, 60)
        # Latency keeps several sends on the wire when the service stops.
        bot.tg.set_latency("sendMessage", 0.1)
        await enqueue(bot, "Отключение воды", Audience(TELEGRAM))

        first_run = asyncio.create_task(bot.core.broadcasts.run_once())
        await bot.tg.wait_for(lambda _: len(received(bot, "Отключение воды")) >= 15, timeout=30)
        first_run.cancel()
        await asyncio.gather(first_run, return_exceptions=True)
        rows = await deliveries(bot)
        sent_before = sum(row.status == "sent" for row in rows)
        assert 15 <= sent_before < 60
        assert sent_before == len(received(bot, "Отключение воды"))

        # A new service on the same database, as after a restart.
        restarted = BroadcastService(
            bot.core.database,
            bot.core.messengers,
            bot.core.appeals.desk,
            {Platform.TELEGRAM: 200.0},
            bot.core.clock,
        )
        assert await restarted.run_once() == 60 - sent_before

        assert received(bot, "Отключение воды") == Counter(dict.fromkeys(ids, 1))
        assert {row.status for row in await deliveries(bot)} == {"sent"}
        assert len(await deliveries(bot)) == 60
        assert sum("завершена" in text for text in bot.tg.sent_to(STAFF_CHAT)) == 1


async def test_progress_is_reported_by_quarters(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(broadcast_module, "REPORT_CHECK_SECONDS", 0.05)
    async with staffed_bot(settings, telegram_broadcast_rate=40.0) as bot:
        await add_residents(bot, 60)
        broadcast_id = await enqueue(bot, "Новости недели", Audience(TELEGRAM))

        await bot.core.broadcasts.run_once()

        reports = [t for t in bot.tg.sent_to(STAFF_CHAT) if f"№ {broadcast_id}" in t]
        assert "началась: получателей 60" in reports[0]
        percents = [t.split(": ", 1)[1].split("%")[0] for t in reports if "%" in t]
        assert [int(p) // 25 for p in percents] == [1, 2, 3]
        assert "завершена" in reports[-1] and "доставлено 60" in reports[-1]


async def test_rate_limiter_spaces_sends_and_pauses() -> None:
    """On an injected clock: slots exactly `1/rate` apart, no burst after a late wake-up,
    and a pause holds the next send."""
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    limiter = RateLimiter(100.0, monotonic=lambda: now[0], sleep=sleep)
    moments = []
    for _ in range(21):
        await limiter.acquire()
        moments.append(now[0])
    assert moments == pytest.approx([n * 0.01 for n in range(21)])
    now[0] += 0.004  # the loop woke a little late: the next slot still counts from schedule
    await limiter.acquire()
    assert now[0] == pytest.approx(0.21)
    limiter.pause(0.3)
    before = now[0]
    await limiter.acquire()
    assert now[0] - before == pytest.approx(0.3)
