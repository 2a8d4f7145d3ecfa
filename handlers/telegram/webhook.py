"""Telegram webhook: each update Telegram posts is stored in the inbox before the 200 answer,
then handled from the inbox like a polled one. Telegram repeats an update it got no 200 for,
and the repeat is skipped by its `update_id`."""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any

from aiogram import Bot
from aiohttp import web

from bot.core.intake import Intake
from handlers.telegram.transport import inbox_item

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
BACKOFF_START = 1.0
BACKOFF_MAX = 60.0


class TelegramWebhook:
    def __init__(
        self,
        bot: Bot,
        intake: Intake,
        *,
        public_url: str,
        host: str,
        port: int,
        path: str,
        secret: str,
        allowed_updates: list[str],
    ) -> None:
        self._bot = bot
        self._intake = intake
        self._public_url = public_url
        self._host = host
        self._port = port
        self._path = path
        self._secret = secret
        self._allowed = allowed_updates
        self.address: tuple[str, int] | None = None
        self.listening = asyncio.Event()

    async def run(self) -> None:
        """Listen, register the webhook with Telegram, serve until cancelled. Neither a busy
        port nor an unreachable Telegram stops the process; both are retried."""
        app = web.Application()
        app.router.add_post(self._path, self._receive)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await self._retry("listen", lambda: web.TCPSite(runner, self._host, self._port).start())
            host, port = runner.addresses[0][:2]
            self.address = (str(host), int(port))
            self.listening.set()
            logger.info("Telegram webhook listening on %s:%d%s", host, port, self._path)
            await self._retry("set the webhook", self._register)
            await asyncio.Future()
        finally:
            await runner.cleanup()

    async def _register(self) -> None:
        await self._bot.set_webhook(
            url=self._public_url,
            secret_token=self._secret,
            allowed_updates=self._allowed,
            drop_pending_updates=False,
        )

    async def _retry(self, what: str, step: Any) -> None:
        backoff = BACKOFF_START
        while True:
            try:
                await step()
                return
            except Exception as error:
                logger.warning(
                    "Telegram webhook could not %s: %r; retrying in %.0f s", what, error, backoff
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self._secret.encode()):
            logger.warning("Telegram webhook request with a wrong secret rejected")
            return web.Response(status=403, text="forbidden")
        try:
            update: Any = await request.json()
        except ValueError:
            return web.Response(status=400, text="bad request")
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            return web.Response(status=400, text="bad request")
        try:
            await self._intake.store([inbox_item(update)])
        except Exception:
            logger.exception("Telegram update could not be stored; Telegram will send it again")
            return web.Response(status=500, text="retry")
        return web.Response(text="ok")
