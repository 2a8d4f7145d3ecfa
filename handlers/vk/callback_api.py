"""The Callback API endpoint: VK posts each event here; it is stored in the inbox and answered
`ok` at once, and handled from the inbox in the background. VK repeats an event it got no `ok`
for, and the repeat is skipped by its `event_id`."""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any

from aiohttp import web

from bot.core.intake import Intake
from handlers.vk.transport import inbox_item

logger = logging.getLogger(__name__)

BACKOFF_START = 1.0
BACKOFF_MAX = 60.0


class VkCallbackServer:
    def __init__(
        self,
        intake: Intake,
        *,
        group_id: int,
        host: str,
        port: int,
        path: str,
        confirmation: str | None,
        secret: str | None,
    ) -> None:
        self._intake = intake
        self._group_id = group_id
        self._host = host
        self._port = port
        self._path = path
        self._confirmation = confirmation
        self._secret = secret
        self.address: tuple[str, int] | None = None
        self.listening = asyncio.Event()

    async def run(self) -> None:
        """Serve until cancelled; a port that cannot be bound is retried, never fatal, so the
        other channels of the process keep running."""
        app = web.Application()
        app.router.add_post(self._path, self._receive)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            backoff = BACKOFF_START
            while True:
                try:
                    await web.TCPSite(runner, self._host, self._port).start()
                    break
                except OSError as error:
                    logger.error(
                        "VK Callback API cannot listen: %s; retrying in %.0f s", error, backoff
                    )
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, BACKOFF_MAX)
            host, port = runner.addresses[0][:2]
            self.address = (str(host), int(port))
            self.listening.set()
            logger.info("VK Callback API listening on %s:%d%s", host, port, self._path)
            await asyncio.Future()
        finally:
            await runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        try:
            event: Any = await request.json()
        except ValueError:
            return web.Response(status=400, text="bad request")
        if not isinstance(event, dict) or event.get("group_id") != self._group_id:
            return web.Response(status=403, text="forbidden")
        if event.get("type") == "confirmation":
            # Not checked against the secret: the code proves the address to VK, it grants
            # nothing, and VK's confirmation request is not documented to carry the secret.
            if self._confirmation is None:
                logger.error("VK asks to confirm the Callback API; set VK_CONFIRMATION_CODE")
                return web.Response(status=500, text="not configured")
            return web.Response(text=self._confirmation)
        if self._secret is not None and not hmac.compare_digest(
            str(event.get("secret", "")).encode(), self._secret.encode()
        ):
            logger.warning("VK Callback API request with a wrong secret rejected")
            return web.Response(status=403, text="forbidden")
        # The secret is a credential: it is not kept in the inbox.
        event.pop("secret", None)
        try:
            await self._intake.store([inbox_item(event)])
        except Exception:
            logger.exception("VK event could not be stored; VK will send it again")
            return web.Response(status=500, text="retry")
        return web.Response(text="ok")
