"""Durable intake: every fetched update is stored before the platform is told it was received,
then handled from the database, in order per resident and concurrently across residents.

Guarantees: at-least-once handling (a crash before an update is finished means it is handled
again on start); exactly-once effects in the database (handlers finish the update in the same
transaction as their effects, and the platform's update id is unique); only a reply that was
being sent at the moment of a crash can be sent twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from bot.core.ports import Clock, utc_now
from bot.storage.database import Database
from bot.storage.records import InboxItem, InboxRecord

logger = logging.getLogger(__name__)

Processor = Callable[[InboxRecord], Awaitable[None]]

RETRY_DELAYS = (0.5, 2.0, 5.0)


class Intake:
    def __init__(
        self,
        database: Database,
        transport: str,
        *,
        concurrency: int,
        clock: Clock = utc_now,
        retry_delays: Sequence[float] = RETRY_DELAYS,
    ) -> None:
        self._database = database
        self.transport = transport
        self._clock = clock
        self._retry_delays = tuple(retry_delays)
        self._slots = asyncio.Semaphore(concurrency)
        self._queues: dict[str, deque[InboxRecord]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._processor: Processor | None = None
        self._closing = False
        # Set by polling transports (not webhooks), whose last poll the health endpoint reports.
        self.polls = False
        self.last_poll: datetime | None = None

    def start(self, processor: Processor) -> None:
        self._processor = processor

    def polled(self) -> None:
        """A poll of the platform succeeded (with or without updates)."""
        self.last_poll = self._clock()

    async def store(
        self, items: Sequence[InboxItem], *, cursor: tuple[str, str] | None = None
    ) -> list[InboxRecord]:
        """Persist a fetched batch in one transaction and queue what is new. Only after this
        returns may the transport confirm the batch to the platform. `cursor` (a transport
        state key and value, such as a long-poll position) is saved in the same transaction,
        so a batch and the position past it are kept together or not at all."""
        async with self._database.unit_of_work() as uow:
            records = await uow.inbox.add_new(self.transport, items, self._clock())
            if cursor is not None:
                await uow.transport_state.set(*cursor, self._clock())
            await uow.commit()
        skipped = len(items) - len(records)
        if skipped:
            logger.info("%s: %d re-delivered update(s) skipped", self.transport, skipped)
        self._enqueue(records)
        return records

    async def cursor(self, key: str) -> str | None:
        """The transport position last saved by `store`."""
        async with self._database.unit_of_work() as uow:
            return await uow.transport_state.get(key)

    async def recover(self) -> int:
        """Queue updates left pending by a previous run, oldest first."""
        async with self._database.unit_of_work() as uow:
            records = await uow.inbox.pending(self.transport)
            count, oldest = await uow.inbox.depth()
        if count:
            age = self._clock() - oldest if oldest else timedelta(0)
            logger.info(
                "Inbox: %d pending update(s), oldest %.0f s old; %d for %s",
                count,
                age.total_seconds(),
                len(records),
                self.transport,
            )
        self._enqueue(records)
        return len(records)

    async def prune(self, retention: timedelta) -> int:
        async with self._database.unit_of_work() as uow:
            removed = await uow.inbox.prune_done(self._clock() - retention)
            await uow.commit()
        if removed:
            logger.info("Inbox: pruned %d finished update(s)", removed)
        return removed

    @property
    def busy(self) -> bool:
        return bool(self._workers)

    async def join(self) -> None:
        """Wait until everything queued so far is handled."""
        while self._workers:
            await asyncio.gather(*list(self._workers.values()), return_exceptions=True)

    async def close(self, grace: float) -> None:
        """Finish the updates being handled now; the rest stay pending for the next start."""
        self._closing = True
        for queue in self._queues.values():
            queue.clear()
        workers = list(self._workers.values())
        if not workers:
            return
        _, late = await asyncio.wait(workers, timeout=grace)
        for task in late:
            task.cancel()
        if late:
            logger.warning("%s: %d handler(s) cancelled at shutdown", self.transport, len(late))

    def _enqueue(self, records: Sequence[InboxRecord]) -> None:
        if self._closing:
            return
        for record in records:
            self._queues.setdefault(record.ordering_key, deque()).append(record)
            if record.ordering_key not in self._workers:
                self._workers[record.ordering_key] = asyncio.create_task(
                    self._drain(record.ordering_key), name=f"intake:{record.ordering_key}"
                )

    async def _drain(self, key: str) -> None:
        """Handle one resident's updates one after another."""
        queue = self._queues[key]
        try:
            while queue and not self._closing:
                record = queue.popleft()
                async with self._slots:
                    await self._handle(record)
        finally:
            del self._workers[key]
            if not queue:
                self._queues.pop(key, None)

    async def _handle(self, record: InboxRecord) -> None:
        assert self._processor is not None, "Intake.start() was not called"
        for attempt, delay in enumerate((*self._retry_delays, None)):
            try:
                await self._processor(record)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                give_up = delay is None
                logger.exception(
                    "%s update %s failed (attempt %d)%s",
                    self.transport,
                    record.update_key,
                    attempt + 1,
                    ", giving up" if give_up else "",
                )
                # Masked before it is cut to the column's length, which could split a token.
                error_text = self._database.redact(repr(error))
                await self._record_failure(record, error_text, give_up=give_up)
                if delay is None:
                    return
                await asyncio.sleep(delay)
            else:
                await self._finish(record)
                return

    async def _finish(self, record: InboxRecord) -> None:
        """Mark the update done unless its handler already did, with its effects."""
        async with self._database.unit_of_work() as uow:
            if await uow.inbox.mark_done(record.id, self._clock()):
                await uow.commit()

    async def _record_failure(self, record: InboxRecord, error: str, *, give_up: bool) -> None:
        async with self._database.unit_of_work() as uow:
            await uow.inbox.record_failure(record.id, error, give_up=give_up)
            await uow.commit()
