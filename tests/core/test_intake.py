"""The durable inbox on a real database: order per resident, concurrency across residents,
re-delivery, recovery, retries and pruning."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.core.intake import Intake
from bot.storage.database import Database
from bot.storage.records import InboxItem, InboxRecord


def item(update_id: int, resident: str) -> InboxItem:
    return InboxItem(str(update_id), f"test:{resident}", {"update_id": update_id, "from": resident})


class Recorder:
    """A processor that records the order and overlap of the updates it handles."""

    def __init__(self, delay: float = 0.02) -> None:
        self.delay = delay
        self.handled: list[tuple[str, int]] = []
        self.active: set[str] = set()
        self.max_parallel = 0
        self.overlap_same_key = False

    async def __call__(self, record: InboxRecord) -> None:
        key = record.ordering_key
        if key in self.active:
            self.overlap_same_key = True
        self.active.add(key)
        self.max_parallel = max(self.max_parallel, len(self.active))
        await asyncio.sleep(self.delay)
        self.active.discard(key)
        self.handled.append((key, record.payload["update_id"]))


async def test_order_per_resident_and_concurrency_across_residents(database: Database) -> None:
    intake = Intake(database, "test", concurrency=4)
    recorder = Recorder()
    intake.start(recorder)
    batch = [item(n, f"r{n % 6}") for n in range(1, 37)]
    await intake.store(batch)
    await intake.join()

    assert len(recorder.handled) == 36
    assert not recorder.overlap_same_key
    for resident in {f"test:r{n}" for n in range(6)}:
        ids = [update_id for key, update_id in recorder.handled if key == resident]
        assert ids == sorted(ids) and len(ids) == 6
    assert 1 < recorder.max_parallel <= 4
    async with database.unit_of_work() as uow:
        pending, _ = await uow.inbox.depth()
    assert pending == 0


async def test_redelivered_updates_are_skipped(database: Database) -> None:
    intake = Intake(database, "test", concurrency=2)
    recorder = Recorder(delay=0)
    intake.start(recorder)
    first = await intake.store([item(1, "a"), item(2, "b")])
    await intake.join()
    again = await intake.store([item(2, "b"), item(3, "a"), item(3, "a")])
    await intake.join()
    assert [r.update_key for r in first] == ["1", "2"]
    assert [r.update_key for r in again] == ["3"]
    assert sorted(update_id for _, update_id in recorder.handled) == [1, 2, 3]


async def test_pending_updates_are_recovered_in_order(database: Database) -> None:
    crashed = Intake(database, "test", concurrency=2)
    await crashed.store([item(n, "a" if n % 2 else "b") for n in range(1, 7)])

    restarted = Intake(database, "test", concurrency=2)
    recorder = Recorder(delay=0)
    restarted.start(recorder)
    assert await restarted.recover() == 6
    await restarted.join()
    assert [u for k, u in recorder.handled if k == "test:a"] == [1, 3, 5]
    assert [u for k, u in recorder.handled if k == "test:b"] == [2, 4, 6]
    assert await restarted.recover() == 0


async def test_failing_update_is_retried_then_parked_without_blocking_others(
    database: Database,
) -> None:
    attempts: dict[int, int] = {}

    async def flaky(record: InboxRecord) -> None:
        update_id = record.payload["update_id"]
        attempts[update_id] = attempts.get(update_id, 0) + 1
        if update_id == 1 or (update_id == 2 and attempts[2] < 2):
            raise RuntimeError("boom")

    intake = Intake(database, "test", concurrency=2, retry_delays=(0, 0))
    intake.start(flaky)
    await intake.store([item(1, "a"), item(2, "a"), item(3, "a")])
    await intake.join()
    assert attempts == {1: 3, 2: 2, 3: 1}
    async with database.unit_of_work() as uow:
        pending, _ = await uow.inbox.depth()
        failed = await uow.inbox.pending("test")
    assert pending == 0 and failed == []


async def test_prune_removes_only_old_finished_updates(database: Database) -> None:
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    clock_value = [now - timedelta(days=10)]
    intake = Intake(database, "test", concurrency=1, clock=lambda: clock_value[0])
    intake.start(Recorder(delay=0))
    await intake.store([item(1, "a")])
    await intake.join()
    clock_value[0] = now
    await intake.store([item(2, "a")])
    await intake.join()
    assert await intake.prune(timedelta(days=7)) == 1
    again = Intake(database, "test", concurrency=1, clock=lambda: now)
    again.start(Recorder(delay=0))
    assert [r.update_key for r in await again.store([item(1, "a"), item(2, "a")])] == ["1"]


async def test_close_lets_the_handler_in_flight_finish(database: Database) -> None:
    started = asyncio.Event()
    finished: list[int] = []

    async def slow(record: InboxRecord) -> None:
        started.set()
        await asyncio.sleep(0.2)
        finished.append(record.payload["update_id"])

    intake = Intake(database, "test", concurrency=1)
    intake.start(slow)
    await intake.store([item(1, "a"), item(2, "a")])
    await started.wait()
    await intake.close(grace=5)
    assert finished == [1]
    async with database.unit_of_work() as uow:
        left = await uow.inbox.pending("test")
    assert [r.update_key for r in left] == ["2"]
