"""The health endpoint as a container's HEALTHCHECK reads it: real HTTP on 127.0.0.1, the
real inbox in the database, and the last polls of the real transports against the fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from bot.core.intake import Intake
from bot.health import HealthServer, bot_sources
from bot.settings import Settings
from bot.storage.database import Database
from bot.storage.records import InboxItem
from tests.common import FixedClock
from tests.harness import running_bot
from tests.vk_harness import running_vk_bot

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@asynccontextmanager
async def serving(server: HealthServer) -> AsyncIterator[str]:
    assert await server.start()
    try:
        yield f"http://127.0.0.1:{server.port}/health"
    finally:
        await server.stop()


async def get(url: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.json()


async def test_reports_the_last_telegram_poll(settings: Settings) -> None:
    async with running_bot(settings) as bot:
        bot.tg.push_message(700, "здравствуйте")
        await bot.tg.wait_for("sendMessage", 1)
        await bot.settle()
        server = HealthServer(bot_sources(bot.core.database, [bot.channel.intake]), "127.0.0.1", 0)
        async with serving(server) as url:
            status, body = await get(url)
    assert status == 200 and body["status"] == "ok"
    assert body["inbox"] == {"depth": 0, "oldest_pending_age_seconds": None}
    poll = body["last_poll"]["telegram"]
    assert poll["at"] is not None and poll["stale"] is False
    assert body["outbox"] == {"backlog": None}


async def test_reports_the_last_vk_long_poll(settings: Settings) -> None:
    async with running_vk_bot(settings) as bot:
        bot.vk.push_message(501, "здравствуйте")
        await bot.vk.wait_for_sent(501)
        await bot.settle()
        server = HealthServer(bot_sources(bot.core.database, [bot.channel.intake]), "127.0.0.1", 0)
        async with serving(server) as url:
            status, body = await get(url)
    assert status == 200
    assert list(body["last_poll"]) == ["vk"] and body["last_poll"]["vk"]["at"] is not None


async def test_pending_updates_and_the_outbox_backlog(database: Database) -> None:
    clock = FixedClock(NOW)
    async with database.unit_of_work() as uow:
        items = [InboxItem(f"u{n}", "telegram:700", {"update_id": n}) for n in range(3)]
        await uow.inbox.add_new("telegram", items, NOW - timedelta(seconds=90))
        await uow.commit()
    intake = Intake(database, "telegram", concurrency=1, clock=clock)
    intake.polls = True
    intake.polled()

    async def backlog() -> int:
        return 4

    server = HealthServer(bot_sources(database, [intake], backlog), "127.0.0.1", 0, clock=clock)
    async with serving(server) as url:
        status, body = await get(url)
    assert status == 200
    assert body["inbox"] == {"depth": 3, "oldest_pending_age_seconds": 90.0}
    assert body["last_poll"]["telegram"] == {
        "at": NOW.isoformat(),
        "age_seconds": 0.0,
        "stale": False,
    }
    assert body["outbox"] == {"backlog": 4}


async def test_a_stuck_poll_is_unhealthy(database: Database) -> None:
    clock = FixedClock(NOW)
    intake = Intake(database, "vk", concurrency=1, clock=clock)
    intake.polls = True
    server = HealthServer(bot_sources(database, [intake]), "127.0.0.1", 0, clock=clock)
    async with serving(server) as url:
        clock.now = NOW + timedelta(minutes=4)
        assert (await get(url))[0] == 200  # no poll yet, but just started
        clock.now = NOW + timedelta(minutes=6)
        status, body = await get(url)
        assert status == 503 and body["status"] == "unhealthy"
        assert body["last_poll"]["vk"] == {"at": None, "age_seconds": None, "stale": True}
        intake.polled()
        assert (await get(url))[0] == 200


async def test_an_unreachable_database_is_unhealthy(tmp_path: Any) -> None:
    missing = Database(f"sqlite+aiosqlite:///{tmp_path / 'no-such-dir' / 'bot.db'}")
    server = HealthServer(bot_sources(missing, []), "127.0.0.1", 0)
    try:
        async with serving(server) as url:
            status, body = await get(url)
    finally:
        await missing.dispose()
    assert status == 503
    assert body["inbox"] == {"error": "OperationalError"}


async def test_a_taken_port_does_not_stop_the_bot(database: Database) -> None:
    first = HealthServer(bot_sources(database, []), "127.0.0.1", 0)
    async with serving(first):
        second = HealthServer(bot_sources(database, []), "127.0.0.1", first.port or 0)
        assert await second.start() is False
        assert second.port is None
