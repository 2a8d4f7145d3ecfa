"""Broadcasting: one message to many residents (announcements, polls, poll results).

A broadcast is stored with its audience; when it is due, one delivery row per resident is
created in one transaction (the unique key keeps it to one per resident). Each delivery is
sent at the platform's rate and marked in its own transaction right after the send, so after a
restart only unsent rows go out. What can repeat after a crash is only what was on the wire at
that moment: sent, but not yet marked (at most the sends in flight, `in_flight` per platform).
Cancelling `run_once` is not a crash: sends already under way finish and are recorded.
"""

from __future__ import annotations

import asyncio
import functools
import html
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core import broadcast_texts as texts
from bot.core.actions import parse_action
from bot.core.messages import Button, Platform, Reply
from bot.core.ports import (
    Clock,
    DeliveryError,
    Messenger,
    Messengers,
    RateLimited,
    raising_rate_limits,
    utc_now,
)
from bot.core.staffdesk import StaffDesk
from bot.storage.broadcasts import (
    BLOCKED,
    FAILED,
    SENT,
    Broadcast,
    BroadcastButton,
    Delivery,
    Tally,
)
from bot.storage.database import Database, UnitOfWork

logger = logging.getLogger(__name__)

BATCH = 500
# Sends in flight per platform: half a second's worth covers the platform's latency and our
# commit; it also bounds what a crash can repeat.
IN_FLIGHT_SECONDS = 0.5
# 429 / flood answers for one delivery before it counts as failed; other errors get fewer tries.
MAX_RATE_LIMITED = 10
MAX_ATTEMPTS = 3
RETRY_DELAY_SECONDS = 2.0
PROGRESS_INTERVAL = timedelta(minutes=1)
REPORT_CHECK_SECONDS = 2.0
STOP_GRACE_SECONDS = 10.0
# A limiter woken this late (a busy event loop) makes up the missed slots, back to back.
CATCH_UP_SECONDS = 0.05


@dataclass(frozen=True)
class Audience:
    """Who gets a broadcast. Nobody who opted out of everything gets anything."""

    platforms: frozenset[Platform]
    # Residents subscribed to this topic; None = everyone who has not opted out of everything.
    topic: str | None = None
    # Every resident who has not opted out of everything, whatever their topics.
    emergency: bool = False
    # An explicit list (e.g. the voters of a poll, for its results).
    resident_ids: frozenset[int] | None = None


class RateLimiter:
    """Spaces sends evenly at `rate` a second (no bursts); a pause the platform asks for holds
    every later send on the platform."""

    def __init__(
        self,
        rate: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = 1.0 / rate
        self._monotonic = monotonic
        self._sleep = sleep
        self._next = 0.0
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._monotonic() + seconds)

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self._monotonic()
                ready = max(self._next, self._paused_until)
                if ready <= now:
                    break
                await self._sleep(ready - now)
            # Count from the slot, not from a wake-up a little late, so the average rate holds;
            # an idle limiter starts afresh instead of catching up in a burst.
            start = ready if now - ready < CATCH_UP_SECONDS else now
            self._next = start + self.interval


class BroadcastService:
    def __init__(
        self,
        database: Database,
        messengers: Messengers,
        desk: StaffDesk,
        rates: Mapping[Platform, float],
        clock: Clock = utc_now,
    ) -> None:
        self._database = database
        self._messengers = messengers
        self._desk = desk
        self._clock = clock
        self._limiters = {platform: RateLimiter(rate) for platform, rate in rates.items()}
        self.in_flight = {
            platform: max(4, math.ceil(rate * IN_FLIGHT_SECONDS))
            for platform, rate in rates.items()
        }
        self._replies: dict[tuple[int, Platform], Reply] = {}
        self._reply_lock = asyncio.Lock()

    async def enqueue(
        self,
        uow: UnitOfWork,
        *,
        kind: str,
        subject_id: int | None,
        reply: Reply,
        audience: Audience,
        staff_chat_id: str | None,
        at: datetime | None = None,
        author: str | None = None,
    ) -> int:
        """Store a broadcast due at `at` (default now) inside the caller's transaction; its
        deliveries are created when it starts. Progress and the tally go to `staff_chat_id`.
        The reply's persistent menu and `reply_to` are not broadcast."""
        if not audience.platforms:
            raise ValueError("a broadcast needs at least one platform")
        now = self._clock()
        return await uow.broadcasts.create(
            kind=kind,
            subject_id=subject_id,
            text=reply.text,
            html=reply.html,
            buttons=[
                [BroadcastButton(b.text, b.action.encode()) for b in row] for row in reply.buttons
            ],
            attachments=reply.attachments,
            topic=audience.topic,
            emergency=audience.emergency,
            platforms=audience.platforms,
            resident_ids=audience.resident_ids,
            staff_chat_id=staff_chat_id,
            created_by=author,
            scheduled_at=at or now,
            now=now,
        )

    async def audience_size(self, uow: UnitOfWork, audience: Audience) -> int:
        """How many residents the audience has right now."""
        return await uow.broadcasts.audience_size(
            audience.platforms, audience.topic, audience.emergency, audience.resident_ids
        )

    async def run_once(self) -> int:
        """Start what is due and send every pending delivery at the rate limits; returns how
        many were sent. Emergencies go first, also when they start while others are sending."""
        await self._start_due()
        reporter = asyncio.create_task(self._keep_reporting())
        try:
            async with asyncio.TaskGroup() as group:
                drains = [group.create_task(self._drain(p)) for p in self._platforms()]
        finally:
            reporter.cancel()
            await asyncio.gather(reporter, return_exceptions=True)
        await self._report()
        return sum(drain.result() for drain in drains)

    def _platforms(self) -> list[Platform]:
        return [platform for platform in self._limiters if platform in self._messengers]

    async def _start_due(self) -> None:
        now = self._clock()
        async with self._database.unit_of_work() as uow:
            due = await uow.broadcasts.due(now)
        for broadcast_id in due:
            async with self._database.unit_of_work() as uow:
                total = await uow.broadcasts.start(broadcast_id, self._platforms(), now)
                broadcast = await uow.broadcasts.get(broadcast_id)
                await uow.commit()
            if total and broadcast is not None:
                logger.info("Broadcast %d started: %d recipients", broadcast_id, total)
                await self._notify(
                    broadcast,
                    texts.STARTED.format(
                        id=broadcast_id, what=_what(broadcast), total=texts.number(total)
                    ),
                )

    async def _drain(self, platform: Platform) -> int:
        messenger = self._messengers[platform]
        limiter = self._limiters[platform]
        slots = asyncio.Semaphore(self.in_flight[platform])
        halt = asyncio.Event()
        in_hand: set[int] = set()
        tasks: set[asyncio.Task[bool]] = set()
        sent = 0

        def finished(delivery: Delivery, task: asyncio.Task[bool]) -> None:
            nonlocal sent
            tasks.discard(task)
            slots.release()
            if task.cancelled():
                return
            if task.exception() is not None:
                # Kept in hand for the rest of the run: the send may have gone out.
                logger.error("Delivery %d failed", delivery.id, exc_info=task.exception())
                return
            in_hand.discard(delivery.id)
            sent += task.result()

        try:
            while True:
                await self._start_due()
                async with self._database.unit_of_work() as uow:
                    batch = await uow.broadcasts.queue(platform, BATCH, in_hand)
                if not batch:
                    if not tasks:
                        break
                    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                    continue
                for delivery in batch:
                    await slots.acquire()
                    await limiter.acquire()
                    in_hand.add(delivery.id)
                    task = asyncio.create_task(self._deliver(messenger, limiter, delivery, halt))
                    tasks.add(task)
                    task.add_done_callback(functools.partial(finished, delivery))
        except asyncio.CancelledError:
            # Sends already on the wire finish and are recorded; nothing new starts.
            halt.set()
            if tasks:
                await asyncio.wait(tasks, timeout=STOP_GRACE_SECONDS)
            raise
        return sent

    async def _deliver(
        self, messenger: Messenger, limiter: RateLimiter, delivery: Delivery, halt: asyncio.Event
    ) -> bool:
        """Send one delivery, retrying after the platform's `retry_after`; True when sent.
        When the run is stopping, a delivery waiting to retry stays pending for the next run."""
        reply = await self._reply(delivery.broadcast_id, delivery.platform)
        attempts = limited = failures = 0
        while True:
            attempts += 1
            try:
                with raising_rate_limits():
                    message_ids = await messenger.send(delivery.chat_id, reply)
            except RateLimited as error:
                limiter.pause(error.retry_after)
                limited += 1
                if limited >= MAX_RATE_LIMITED:
                    return await self._record(delivery, FAILED, attempts, error=str(error))
            except DeliveryError as error:
                if error.unreachable:
                    return await self._record(delivery, BLOCKED, attempts, error=str(error))
                failures += 1
                if failures >= MAX_ATTEMPTS:
                    return await self._record(delivery, FAILED, attempts, error=str(error))
                await asyncio.sleep(RETRY_DELAY_SECONDS)
            except Exception as error:
                logger.warning("Broadcast send to %s failed: %r", delivery.chat_id, error)
                failures += 1
                if failures >= MAX_ATTEMPTS:
                    return await self._record(delivery, FAILED, attempts, error=repr(error))
                await asyncio.sleep(RETRY_DELAY_SECONDS)
            else:
                return await self._record(delivery, SENT, attempts, message_ids=message_ids)
            if halt.is_set():
                return False
            await limiter.acquire()

    async def _record(
        self,
        delivery: Delivery,
        status: str,
        attempts: int,
        *,
        message_ids: list[str] | None = None,
        error: str | None = None,
    ) -> bool:
        """The outcome in its own transaction; a resident who blocked the bot is unsubscribed
        from everything and marked unreachable in the same one."""
        now = self._clock()
        async with self._database.unit_of_work() as uow:
            await uow.broadcasts.finish_delivery(
                delivery.id,
                status,
                now,
                attempts=attempts,
                message_ids=message_ids or (),
                error=error,
            )
            if status == BLOCKED:
                await uow.subscriptions.blocked_bot(delivery.resident_id, now)
            await uow.commit()
        return status == SENT

    async def _reply(self, broadcast_id: int, platform: Platform) -> Reply:
        """The broadcast as sent on `platform`, built once: media of another platform are
        downloaded once here, not once per resident."""
        key = (broadcast_id, platform)
        async with self._reply_lock:
            if key not in self._replies:
                async with self._database.unit_of_work() as uow:
                    broadcast = await uow.broadcasts.get(broadcast_id)
                assert broadcast is not None
                attachments = tuple(
                    [await self._desk.portable(item, platform) for item in broadcast.attachments]
                )
                buttons = tuple(
                    tuple(
                        Button(button.text, action)
                        for button in row
                        if (action := parse_action(button.payload)) is not None
                    )
                    for row in broadcast.buttons
                )
                self._replies[key] = Reply(
                    broadcast.text, buttons=buttons, attachments=attachments, html=broadcast.html
                )
            return self._replies[key]

    async def _keep_reporting(self) -> None:
        while True:
            await asyncio.sleep(REPORT_CHECK_SECONDS)
            try:
                await self._report()
            except Exception:
                logger.exception("Broadcast progress report failed")

    async def _report(self) -> None:
        """Progress at every quarter and at least every minute; the tally once, at the end."""
        now = self._clock()
        async with self._database.unit_of_work() as uow:
            active = await uow.broadcasts.sending()
        for broadcast in active:
            async with self._database.unit_of_work() as uow:
                tally = await uow.broadcasts.tally(broadcast.id, broadcast.total)
                if tally.pending <= 0:
                    closed = await uow.broadcasts.finish(broadcast.id, now)
                    await uow.commit()
                    if closed:
                        await self._finished(broadcast, tally)
                    continue
                step = min(3, tally.done * 4 // max(tally.total, 1))
                since = broadcast.reported_at or broadcast.started_at or now
                if step <= broadcast.progress_step and now - since < PROGRESS_INTERVAL:
                    continue
                await uow.broadcasts.set_progress(
                    broadcast.id, max(step, broadcast.progress_step), now
                )
                await uow.commit()
            await self._notify(broadcast, _progress(broadcast, tally))

    async def _finished(self, broadcast: Broadcast, tally: Tally) -> None:
        for platform in Platform:
            self._replies.pop((broadcast.id, platform), None)
        logger.info(
            "Broadcast %d finished: %d sent, %d failed, %d blocked",
            broadcast.id,
            tally.sent,
            tally.failed,
            tally.blocked,
        )
        await self._notify(
            broadcast,
            texts.FINISHED.format(
                id=broadcast.id,
                what=_what(broadcast),
                total=texts.number(tally.total),
                sent=texts.number(tally.sent),
                failed=texts.number(tally.failed),
                blocked=texts.number(tally.blocked),
            ),
        )

    async def _notify(self, broadcast: Broadcast, text: str) -> None:
        if broadcast.staff_chat_id is None:
            return
        try:
            await self._desk.notify(text, chat_id=broadcast.staff_chat_id)
        except DeliveryError as error:
            logger.warning("Broadcast %d report not delivered: %s", broadcast.id, error)


def _what(broadcast: Broadcast) -> str:
    if broadcast.kind == "announcement":
        if broadcast.emergency or broadcast.topic is None:
            return texts.EMERGENCY_NAME
        return texts.ANNOUNCEMENT_NAME.format(topic=html.escape(broadcast.topic))
    return texts.KIND_NAMES.get(broadcast.kind, html.escape(broadcast.kind))


def _progress(broadcast: Broadcast, tally: Tally) -> str:
    return texts.PROGRESS.format(
        id=broadcast.id,
        percent=tally.done * 100 // max(tally.total, 1),
        done=texts.number(tally.done),
        total=texts.number(tally.total),
        sent=texts.number(tally.sent),
        failed=texts.number(tally.failed),
        blocked=texts.number(tally.blocked),
    )
