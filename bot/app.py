"""Composition root: builds every service once and hands it down; runs the channels."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Protocol, TextIO

from bot.console import CONSOLE_BROADCAST_RATE, ConsoleMessenger, Deliveries, run_console
from bot.core import texts
from bot.core.announcements import AnnouncementService, load_announcement_file
from bot.core.appeal_limit import AppealLimit
from bot.core.appeals import AppealPolicy, AppealService
from bot.core.broadcast import BroadcastService
from bot.core.dialog import DialogService
from bot.core.faq_editor import FLOW as FAQ_ADD_FLOW
from bot.core.faq_editor import FaqEditor
from bot.core.flood import FloodGuard
from bot.core.intake import Intake
from bot.core.messages import Platform
from bot.core.ports import Clock, Messengers, utc_now
from bot.core.privacy import PrivacyPolicy, PrivacyService
from bot.core.redaction import Redactor
from bot.core.safety import Safety
from bot.core.saved_replies import SavedReplies
from bot.core.staff import Role, StaffDirectory, StaffPolicy, StaffService
from bot.core.staffdesk import StaffChat, StaffDesk, format_moment
from bot.core.subscriptions import SubscriptionService
from bot.core.workcalendar import WorkCalendar
from bot.health import HealthServer, bot_sources
from bot.settings import Settings
from bot.storage.database import Database
from faq import FaqLibrary, Thresholds
from faq.semantic import load_encoder
from polls import texts as poll_texts
from polls.residents import PollDialog
from polls.scheduler import PollPublisher
from polls.service import PollService
from polls.staff import PollStaff

logger = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 30.0
PRUNE_INTERVAL_SECONDS = 3600.0
APPEAL_TICK_SECONDS = 60.0
RETENTION_TICK_SECONDS = 3600.0
# Polls open and close on the minute; staff's «Опубликовать» publishes at once anyway.
POLL_TICK_SECONDS = 30.0
# Broadcasts are checked this often; a running one keeps sending until it is done.
BROADCAST_TICK_SECONDS = 1.0


@dataclass
class Core:
    settings: Settings
    database: Database
    faq: FaqLibrary
    messengers: Messengers
    dialog: DialogService
    appeals: AppealService
    privacy: PrivacyService
    staff_chat: StaffChat | None
    clock: Clock
    polls: PollService
    broadcasts: BroadcastService
    poll_publisher: PollPublisher

    def staff_service(self, directory: StaffDirectory) -> StaffService:
        """The staff side, once the staff chat's platform can say who its members are."""
        from bot.reports.command import StatsCommand

        policy = StaffPolicy(directory, self.settings.staff_ids, self.settings.admin_ids)
        staff = StaffService(
            self.database,
            self.appeals,
            policy,
            self.clock,
            note_mark=self.settings.internal_note_mark,
        )
        editor = FaqEditor(self.faq, self.settings.faq_local_path, self.clock)
        staff.add_command("faq_add", Role.ADMIN, editor.add)
        staff.add_flow(FAQ_ADD_FLOW, editor.step)
        staff.add_command("faq_reload", Role.ADMIN, editor.reload)
        saved = SavedReplies(staff, self.clock)
        staff.add_command("save", Role.STAFF, saved.save)
        staff.add_command("r", Role.STAFF, saved.send)
        staff.add_command("replies", Role.STAFF, saved.list)
        stats = StatsCommand(self.appeals.calendar, self.settings.tz, self.clock)
        staff.add_command("stats", Role.STAFF, stats)
        staff.add_command("forget", Role.STAFF, self.privacy.forget_command)
        PollStaff(self.polls, self.poll_publisher, self.settings.tz, self.clock).register(staff)
        AnnouncementService(
            self.settings.announcement_topics,
            self.broadcasts,
            self.messengers,
            self.settings.tz,
            self.clock,
        ).register(staff)
        return staff


def staff_chat(settings: Settings) -> StaffChat | None:
    if settings.telegram_staff_chat_id is not None:
        return StaffChat(Platform.TELEGRAM, str(settings.telegram_staff_chat_id))
    if settings.vk_staff_peer_id is not None:
        return StaffChat(Platform.VK, str(settings.vk_staff_peer_id))
    return None


def staff_routes(settings: Settings, default: StaffChat | None) -> dict[str, StaffChat]:
    """`STAFF_ROUTES` chats live on the default staff chat's platform (Telegram without one)."""
    platform = default.platform if default is not None else Platform.TELEGRAM
    return {
        category: StaffChat(platform, str(chat_id))
        for category, chat_id in settings.staff_routes.items()
    }


async def build_core(settings: Settings, clock: Clock = utc_now) -> Core:
    """Load the knowledge base and migrate the database; raises on a broken knowledge base.
    `clock` is injected by tests that move time (deadlines, reminders, auto-close)."""
    faq = FaqLibrary(
        paths=[settings.faq_path],
        optional_paths=[settings.faq_local_path],
        thresholds=Thresholds(
            answer=settings.faq_answer_threshold,
            suggest=settings.faq_suggest_threshold,
            margin=settings.faq_margin,
        ),
        encoder=load_encoder(settings.faq_encoder),
        cache_dir=settings.faq_cache_dir,
    )
    database = Database(settings.database_url, redact=Redactor(settings.secret_values()))
    await database.migrate()
    messengers = Messengers()
    calendar = WorkCalendar(
        settings.tz,
        settings.office,
        extra_holidays=settings.extra_holidays,
        extra_workdays=settings.extra_workdays,
    )
    chat = staff_chat(settings)
    appeals = AppealService(
        database,
        StaffDesk(chat, messengers, settings.tz, routes=staff_routes(settings, chat), clock=clock),
        messengers,
        calendar,
        AppealPolicy(
            deadline_working_days=settings.appeal_deadline_working_days,
            reminder_hours=settings.appeal_reminder_hours,
            autoclose_days=settings.appeal_autoclose_days,
        ),
        clock,
        settings.on_duty,
    )
    notice = texts.formal_notice(settings.formal_appeal_url, settings.reception_url)
    privacy = PrivacyService(
        database,
        appeals.desk,
        PrivacyPolicy(
            settings.privacy_policy_url,
            settings.privacy_policy_version,
            settings.retention_days,
        ),
        clock,
        messengers=messengers,
    )
    minute = timedelta(minutes=1)
    safety = Safety(
        messages=FloodGuard(settings.flood_messages_per_minute, minute, clock),
        callbacks=FloodGuard(settings.flood_callbacks_per_minute, minute, clock),
        edds_phone=settings.edds_phone,
        on_duty=settings.on_duty,
    )
    polls = PollService(database)
    rates = {
        Platform.TELEGRAM: settings.telegram_broadcast_rate,
        Platform.VK: settings.vk_broadcast_rate,
        Platform.CONSOLE: CONSOLE_BROADCAST_RATE,
    }
    broadcasts = BroadcastService(database, messengers, appeals.desk, rates, clock)
    dialog = DialogService(
        database,
        faq,
        messengers,
        appeals,
        privacy,
        safety,
        notice,
        clock,
        polls=PollDialog(polls, settings.tz),
        subscriptions=SubscriptionService(settings.announcement_topics, broadcasts, clock),
        appeal_limit=AppealLimit(
            settings.appeals_per_resident_per_day, appeals.desk, settings.tz, clock
        ),
    )
    return Core(
        settings,
        database,
        faq,
        messengers,
        dialog,
        appeals,
        privacy,
        chat,
        clock,
        polls=polls,
        broadcasts=broadcasts,
        poll_publisher=PollPublisher(
            database,
            polls,
            broadcasts,
            messengers,
            chat,
            settings.tz,
            clock,
            topic=poll_texts.POLLS_TOPIC
            if poll_texts.POLLS_TOPIC in settings.announcement_topics
            else None,
        ),
    )


async def announce_file(settings: Settings, path: Path, output: TextIO) -> int:
    """Queue the announcement in `path`; the running bot sends it when it is due and reports
    to the staff chat. Raises AnnouncementFileError on a broken file."""
    spec = load_announcement_file(
        path, topics=settings.announcement_topics, tz=settings.tz, now=utc_now()
    )
    database = Database(settings.database_url)
    try:
        await database.migrate()
        chat = staff_chat(settings)
        messengers = Messengers()
        # Only queued here: no messenger and no rate limits are needed.
        broadcasts = BroadcastService(
            database, messengers, StaffDesk(chat, messengers, settings.tz), {}
        )
        announcements = AnnouncementService(
            settings.announcement_topics, broadcasts, messengers, settings.tz
        )
        async with database.unit_of_work() as uow:
            count = await announcements.audience_size(uow, spec)
            broadcast_id = await announcements.queue(
                uow, spec, staff_chat_id=chat.chat_id if chat else None, author=f"file:{path.name}"
            )
            await uow.commit()
    finally:
        await database.dispose()
    when = format_moment(spec.at, settings.tz) if spec.at else "now"
    print(
        f"Announcement queued as broadcast {broadcast_id} for {when}: {count} recipients "
        "now; the running bot sends it and reports to the staff chat.",
        file=output,
    )
    return 0


async def run_console_channel(settings: Settings, source: TextIO, output: TextIO) -> None:
    core = await build_core(settings)
    messenger = ConsoleMessenger(output)
    core.messengers.register(messenger)
    deliveries = Deliveries(core.poll_publisher.tick, _broadcast(core.broadcasts))
    ticker = asyncio.create_task(_every(BROADCAST_TICK_SECONDS, deliveries), name="deliveries")
    try:
        await run_console(
            core.dialog,
            messenger,
            source,
            output,
            before_turn=_reload_faq(core.faq),
            after_turn=deliveries,
        )
    finally:
        ticker.cancel()
        await asyncio.gather(ticker, return_exceptions=True)
        await core.database.dispose()


async def run_messengers(settings: Settings) -> int:
    """Run every messenger whose token is set until SIGTERM or SIGINT, then stop cleanly.
    Returns 1 when a channel stopped by itself with an error, so a supervisor restarts it."""
    # Signals first: a SIGTERM during start-up (migrations) still ends in a clean stop.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    core = await build_core(settings)
    # What start-up built lives as long as the process; not rescanning it keeps the
    # collector's pauses short, which would otherwise stall the broadcaster's send rhythm.
    gc.freeze()

    channels: list[Channel] = []
    if settings.telegram_enabled:
        from handlers.telegram.app import TelegramChannel

        channels.append(TelegramChannel(core))
    if settings.vk_enabled:
        from handlers.vk.app import VkChannel

        channels.append(VkChannel(core))
    background = [
        asyncio.create_task(_every(settings.faq_reload_seconds, _reload_faq(core.faq)), name="faq"),
        asyncio.create_task(_every(APPEAL_TICK_SECONDS, core.appeals.tick), name="appeals"),
        asyncio.create_task(_every(POLL_TICK_SECONDS, core.poll_publisher.tick), name="polls"),
        asyncio.create_task(_every(APPEAL_TICK_SECONDS, _sync_topics(core)), name="topics"),
        asyncio.create_task(
            _every(RETENTION_TICK_SECONDS, core.privacy.retention_tick), name="retention"
        ),
        asyncio.create_task(
            _every(BROADCAST_TICK_SECONDS, _broadcast(core.broadcasts)), name="broadcasts"
        ),
    ]
    health = HealthServer(
        bot_sources(core.database, [channel.intake for channel in channels]),
        settings.health_host,
        settings.health_port,
    )
    await health.start()
    runs = [asyncio.create_task(channel.run(), name=channel.name) for channel in channels]
    background.append(
        asyncio.create_task(
            _every(PRUNE_INTERVAL_SECONDS, _prune(channels, settings)), name="inbox-prune"
        )
    )
    logger.info("Running: %s", ", ".join(channel.name for channel in channels))
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait([stopped, *runs], return_when=asyncio.FIRST_COMPLETED)
    logger.info("Stopping")
    for task in background:
        task.cancel()
    # The broadcaster records the sends already on the wire before the database closes.
    await asyncio.gather(*background, return_exceptions=True)
    await asyncio.gather(
        *(channel.stop(SHUTDOWN_GRACE_SECONDS) for channel in channels), return_exceptions=True
    )
    failed = [task for task in runs if task.done() and not task.cancelled() and task.exception()]
    for task in failed:
        logger.error("%s stopped with an error", task.get_name(), exc_info=task.exception())
    stopped.cancel()
    await health.stop()
    await core.database.dispose()
    return 1 if failed else 0


class Channel(Protocol):
    """A messenger transport run by the composition root."""

    name: str
    intake: Intake

    async def run(self) -> None: ...

    async def stop(self, grace: float) -> None:
        """Stop fetching, let handlers in flight finish (up to `grace` seconds), close."""
        ...


def _reload_faq(faq: FaqLibrary) -> Callable[[], Awaitable[None]]:
    async def reload() -> None:
        if faq.reload_if_changed():
            logger.info("Knowledge base reloaded: %d entries", len(faq.entries))

    return reload


def _sync_topics(core: Core) -> Callable[[], Awaitable[None]]:
    async def sync() -> None:
        async with core.database.unit_of_work() as uow:
            await core.appeals.desk.sync_topics(uow)
            await uow.commit()

    return sync


def _broadcast(broadcasts: BroadcastService) -> Callable[[], Awaitable[None]]:
    async def send() -> None:
        await broadcasts.run_once()

    return send


def _prune(channels: list[Channel], settings: Settings) -> Callable[[], Awaitable[None]]:
    async def prune() -> None:
        retention = timedelta(days=settings.inbox_retention_days)
        for channel in channels:
            await channel.intake.prune(retention)

    return prune


async def _every(seconds: float, job: Callable[[], Awaitable[None]]) -> None:
    while True:
        try:
            await job()
        except Exception:
            logger.exception("Background job failed")
        await asyncio.sleep(seconds)


def stdin_is_terminal() -> bool:
    with contextlib.suppress(ValueError, AttributeError):
        return sys.stdin.isatty()
    return False
