"""The Telegram channel, assembled from the core the composition root built."""

from __future__ import annotations

import asyncio

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.app import Core
from bot.core.intake import Intake
from bot.core.messages import Platform
from handlers.telegram import residents
from handlers.telegram import staff as staff_handlers
from handlers.telegram.messenger import TelegramMessenger
from handlers.telegram.staff import TelegramStaffDirectory
from handlers.telegram.transport import TelegramTransport


def build_dispatcher(core: Core, bot: Bot, messenger: TelegramMessenger) -> Dispatcher:
    """Routers in order; the residents' catch-all comes last."""
    staff = core.staff_service(TelegramStaffDirectory(bot))
    dispatcher = Dispatcher(dialog=core.dialog, staff=staff, telegram=messenger)
    chat = core.staff_chat
    if chat is not None and chat.platform is Platform.TELEGRAM:
        dispatcher.include_router(staff_handlers.build_router(int(chat.chat_id)))
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
        messenger = TelegramMessenger(self.bot)
        core.messengers.register(messenger)
        self.dispatcher = build_dispatcher(core, self.bot, messenger)
        self.intake = Intake(
            core.database, "telegram", concurrency=core.settings.handler_concurrency
        )
        options = {} if poll_timeout is None else {"poll_timeout": poll_timeout}
        self.transport = TelegramTransport(self.bot, self.dispatcher, self.intake, **options)
        self._run: asyncio.Task[None] | None = None

    async def run(self) -> None:
        self._run = asyncio.current_task()
        await self.transport.run()

    async def stop(self, grace: float) -> None:
        await self.transport.stop()
        if self._run is not None and not self._run.done():
            self._run.cancel()
        await self.intake.close(grace)
        await self.bot.session.close()
