"""Composition root: builds every service once and hands it down; runs the channels."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol, TextIO

from bot.console import ConsoleMessenger, run_console
from bot.core import texts
from bot.core.appeals import AppealPolicy, AppealService
from bot.core.dialog import DialogService
from bot.core.flood import FloodGuard
from bot.core.intake import Intake
from bot.core.messages import Platform
from bot.core.ports import Clock, Messengers, utc_now
from bot.core.privacy import PrivacyPolicy, PrivacyService
from bot.core.safety import Safety
from bot.core.staff import Role, StaffDirectory, StaffPolicy, StaffService
from bot.core.staffdesk import StaffChat, StaffDesk
from bot.core.workcalendar import WorkCalendar
from bot.settings import Settings
from bot.storage.database import Database
from faq import FaqLibrary, Thresholds

logger = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 30.0
PRUNE_INTERVAL_SECONDS = 3600.0
APPEAL_TICK_SECONDS = 60.0
RETENTION_TICK_SECONDS = 3600.0


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

    def staff_service(self, directory: StaffDirectory) -> StaffService:
        """The staff side, once the staff chat's platform can say who its members are."""
        from bot.reports.command import StatsCommand

        policy = StaffPolicy(directory, self.settings.staff_ids, self.settings.admin_ids)
        staff = StaffService(self.database, self.appeals, policy, self.clock)
        stats = StatsCommand(self.appeals.calendar, self.settings.tz, self.clock)
        staff.add_command("stats", Role.STAFF, stats)
        staff.add_command("forget", Role.STAFF, self.privacy.forget_command)
        return staff


def staff_chat(settings: Settings) -> StaffChat | None:
    if settings.telegram_staff_chat_id is not None:
        return StaffChat(Platform.TELEGRAM, str(settings.telegram_staff_chat_id))
    if settings.vk_staff_peer_id is not None:
        return StaffChat(Platform.VK, str(settings.vk_staff_peer_id))
    return None


async def build_core(settings: Settings, clock: Clock = utc_now) -> Core:
    """Load the knowledge base and migrate the database; raises on a broken knowledge base.
    `clock` is injected by tests that move time (deadlines, reminders, auto-close)."""
    faq = FaqLibrary(
        paths=[settings.faq_path],
        thresholds=Thresholds(
            answer=settings.faq_answer_threshold,
            suggest=settings.faq_suggest_threshold,
            margin=settings.faq_margin,
        ),
    )
    database = Database(settings.database_url)
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
        StaffDesk(chat, messengers, settings.tz),
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
    )
    minute = timedelta(minutes=1)
    safety = Safety(
        messages=FloodGuard(settings.flood_messages_per_minute, minute, clock),
        callbacks=FloodGuard(settings.flood_callbacks_per_minute, minute, clock),
        edds_phone=settings.edds_phone,
        on_duty=settings.on_duty,
    )
    dialog = DialogService(database, faq, messengers, appeals, privacy, safety, notice, clock)
    return Core(settings, database, faq, messengers, dialog, appeals, privacy, chat, clock)


async def run_console_channel(settings: Settings, source: TextIO, output: TextIO) -> None:
    core = await build_core(settings)
    messenger = ConsoleMessenger(output)
    core.messengers.register(messenger)
    try:
        await run_console(core.dialog, messenger, source, output)
    finally:
        await core.database.dispose()


async def run_messengers(settings: Settings) -> None:
    """Run every messenger whose token is set until SIGTERM or SIGINT, then stop cleanly."""
    core = await build_core(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

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
        asyncio.create_task(
            _every(RETENTION_TICK_SECONDS, core.privacy.retention_tick), name="retention"
        ),
    ]
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
    await asyncio.gather(
        *(channel.stop(SHUTDOWN_GRACE_SECONDS) for channel in channels), return_exceptions=True
    )
    for task in runs:
        if task.done() and not task.cancelled() and task.exception():
            logger.error("%s stopped with an error", task.get_name(), exc_info=task.exception())
    stopped.cancel()
    await core.database.dispose()


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
