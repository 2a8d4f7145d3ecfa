"""The Telegram channel, assembled from the core the composition root built."""

from __future__ import annotations

import asyncio

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.app import Core
from bot.core.intake import Intake
from bot.core.messages import Platform
from bot.settings import Settings
from handlers.telegram import residents
from handlers.telegram import staff as staff_handlers
from handlers.telegram.messenger import TelegramMessenger
from handlers.telegram.staff import TelegramStaffDirectory
from handlers.telegram.transport import TelegramTransport
from handlers.telegram.webhook import TelegramWebhook


def build_dispatcher(core: Core, bot: Bot, messenger: TelegramMessenger) -> Dispatcher:
    """Routers in order; the residents' catch-all comes last."""
    staff = core.staff_service(TelegramStaffDirectory(bot))
    dispatcher = Dispatcher(dialog=core.dialog, staff=staff, telegram=messenger)
    chats = [int(c.chat_id) for c in core.appeals.desk.chats if c.platform is Platform.TELEGRAM]
    if chats:
        dispatcher.include_router(staff_handlers.build_router(chats))
    dispatcher.include_router(residents.build_router())
    return dispatcher


def create_bot(api_url: str, token: str) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url.rstrip("/")))
    return Bot(token=token, session=session)


class TelegramChannel:
    name = "telegram"

    def __init__(self, core: Core, *, poll_timeout: int | None = None) -> None:
        token = core.settings.telegram_bot_token
        assert token is not None
        self.bot = create_bot(core.settings.telegram_api_url, token.get_secret_value())
        messenger = TelegramMessenger(
            self.bot, topic_interval=core.settings.telegram_topic_interval
        )
        core.messengers.register(messenger)
        self.dispatcher = build_dispatcher(core, self.bot, messenger)
        self.intake = Intake(
            core.database, "telegram", concurrency=core.settings.handler_concurrency
        )
        options = {} if poll_timeout is None else {"poll_timeout": poll_timeout}
        self.transport = TelegramTransport(self.bot, self.dispatcher, self.intake, **options)
        self.webhook = _webhook(core.settings, self.bot, self.intake, self.dispatcher)
        self._run: asyncio.Task[None] | None = None
        self._desk = core.appeals.desk

    async def run(self) -> None:
        self._run = asyncio.current_task()
        await self._desk.detect_forums(Platform.TELEGRAM)
        if self.webhook is None:
            await self.transport.run()
            return
        self.intake.start(self.transport.process)
        await self.intake.recover()
        await self.webhook.run()

    async def stop(self, grace: float) -> None:
        await self.transport.stop()
        if self._run is not None and not self._run.done():
            self._run.cancel()
        await self.intake.close(grace)
        await self.bot.session.close()


def _webhook(
    settings: Settings, bot: Bot, intake: Intake, dispatcher: Dispatcher
) -> TelegramWebhook | None:
    """The webhook transport when `TELEGRAM_WEBHOOK_URL` is set; long polling otherwise."""
    if not settings.telegram_webhook_url:
        return None
    secret = settings.telegram_webhook_secret
    assert secret is not None
    return TelegramWebhook(
        bot,
        intake,
        public_url=settings.telegram_webhook_url,
        host=settings.telegram_webhook_host,
        port=settings.telegram_webhook_port,
        path=settings.telegram_webhook_path,
        secret=secret.get_secret_value(),
        allowed_updates=dispatcher.resolve_used_update_types(),
    )
