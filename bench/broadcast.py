"""Broadcast throughput: one announcement to N subscribers through the real aiogram client
against the fake Telegram server in its own process, at a configured rate limit.

Measures the achieved rate from the first to the last successful send (client side) and checks
with the fake's recorded requests that every subscriber got the message exactly once. Prints
each run and the median of the clean runs; a last run injects 429 answers with retry_after
midway and must still reach everyone exactly once.

Usage: python bench/broadcast.py [--subscribers 10000] [--rate 200] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import String, insert, literal, select  # noqa: E402

from bot.core.broadcast import Audience, BroadcastService  # noqa: E402
from bot.core.messages import Attachment, Platform, Reply  # noqa: E402
from bot.core.ports import Messengers  # noqa: E402
from bot.core.staffdesk import StaffDesk  # noqa: E402
from bot.storage.database import Database  # noqa: E402
from bot.storage.models import ResidentRow, SubscriptionRow, UtcDateTime  # noqa: E402
from handlers.telegram.messenger import TelegramMessenger  # noqa: E402
from tests.fakes.telegram import bot_for  # noqa: E402

TEXT = "📢 Отключения\n\nПлановое отключение горячей воды 3 декабря с 9:00 до 17:00."
FIRST_CHAT = 10_000_000


class TimedMessenger:
    """The real Telegram messenger, noting when each send completed."""

    platform = Platform.TELEGRAM

    def __init__(self, inner: TelegramMessenger, milestone: int) -> None:
        self._inner = inner
        self.moments: list[float] = []
        self._milestone = milestone
        self.reached = asyncio.Event()

    async def send(self, chat_id: str, reply: Reply) -> list[str]:
        ids = await self._inner.send(chat_id, reply)
        self.moments.append(time.perf_counter())
        if len(self.moments) >= self._milestone:
            self.reached.set()
        return ids

    async def download(self, attachment: Attachment) -> bytes:
        return await self._inner.download(attachment)


def control(url: str, op: str, **params: Any) -> Any:
    request = urllib.request.Request(
        f"{url}/_control/{op}",
        data=json.dumps(params).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())["result"]


def delivered(url: str) -> Counter[int]:
    with urllib.request.urlopen(
        f"{url}/_control/requests?method=sendMessage", timeout=60
    ) as response:
        requests = json.loads(response.read())
    if isinstance(requests, dict):
        requests = requests.get("result", requests.get("requests", []))
    return Counter(int(r["params"]["chat_id"]) for r in requests if r["response"].get("ok"))


async def seed(database: Database, subscribers: int) -> None:
    now = datetime.now(UTC)
    async with database.unit_of_work() as uow:
        await uow.session.execute(
            insert(ResidentRow),
            [
                {
                    "platform": "telegram",
                    "external_id": str(FIRST_CHAT + n),
                    "first_seen": now,
                    "last_seen": now,
                    "banned": False,
                    "reachable": True,
                    "consent_declined": False,
                }
                for n in range(subscribers)
            ],
        )
        await uow.session.execute(
            insert(SubscriptionRow).from_select(
                ["resident_id", "topic", "created_at"],
                select(
                    ResidentRow.id,
                    literal("Отключения", String()),
                    literal(now, UtcDateTime()),
                ),
            )
        )
        await uow.commit()


async def one_run(url: str, subscribers: int, rate: float, inject_429: bool) -> tuple[float, bool]:
    control(url, "reset")
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
        bot = bot_for(url)
        try:
            await database.migrate()
            await seed(database, subscribers)
            messengers = Messengers()
            messenger = TimedMessenger(TelegramMessenger(bot), subscribers // 3)
            messengers.register(messenger)
            desk = StaffDesk(None, messengers, ZoneInfo("Europe/Moscow"))
            service = BroadcastService(database, messengers, desk, {Platform.TELEGRAM: rate})
            async with database.unit_of_work() as uow:
                await service.enqueue(
                    uow,
                    kind="announcement",
                    subject_id=None,
                    reply=Reply(TEXT),
                    audience=Audience(frozenset({Platform.TELEGRAM}), topic="Отключения"),
                    staff_chat_id=None,
                )
                await uow.commit()

            async def inject() -> None:
                await messenger.reached.wait()
                await asyncio.to_thread(
                    control,
                    url,
                    "inject_retry_after",
                    method="sendMessage",
                    times=5,
                    retry_after=1,
                )

            injector = asyncio.create_task(inject()) if inject_429 else None
            sent = await service.run_once()
            if injector is not None:
                await injector
        finally:
            await bot.session.close()
            await database.dispose()
    moments = messenger.moments
    achieved = (len(moments) - 1) / (moments[-1] - moments[0])
    counts = await asyncio.to_thread(delivered, url)
    expected = {FIRST_CHAT + n for n in range(subscribers)}
    exactly_once = sent == subscribers and set(counts) == expected and set(counts.values()) == {1}
    return achieved, exactly_once


async def measure(url: str, subscribers: int, rate: float, runs: int) -> int:
    # As the bot does after start-up: the collector stops rescanning what imports built.
    gc.freeze()
    rates = []
    ok = True
    for run in range(1, runs + 1):
        achieved, once = await one_run(url, subscribers, rate, inject_429=False)
        rates.append(achieved)
        ok &= once
        print(f"run {run}: {achieved:.1f} msg/s, every subscriber exactly once: {once}")
    achieved, once = await one_run(url, subscribers, rate, inject_429=True)
    ok &= once
    print(f"with 429 (retry_after 1 s): {achieved:.1f} msg/s, exactly once: {once}")
    median = statistics.median(rates)
    deviation = abs(median - rate) / rate * 100
    print(f"median of {runs}: {median:.1f} msg/s for a limit of {rate:g} ({deviation:.1f}% off)")
    return 0 if ok and deviation <= 5 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.telegram", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        return asyncio.run(measure(url, args.subscribers, args.rate, args.runs))
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
