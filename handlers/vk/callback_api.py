"""The Callback API endpoint: VK posts each event here; it is stored in the inbox and answered
`ok` at once, and handled from the inbox in the background. VK repeats an event it got no `ok`
for, and the repeat is skipped by its `event_id`."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from typing import Any

from aiohttp import web

from bot.core.intake import Intake
from handlers.vk.transport import inbox_item

logger = logging.getLogger(__name__)

BACKOFF_START = 1.0
BACKOFF_MAX = 60.0
# VK's largest events (a message with a hundred forwarded ones) stay well below both.
MAX_BODY_BYTES = 1024 * 1024
MAX_DEPTH = 128


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
        secret: str,
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
        app = web.Application(client_max_size=MAX_BODY_BYTES)
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
        event = await _read_event(request)
        if event is None:
            return web.Response(status=400, text="bad request")
        # The secret first: nothing a forged request says is looked at. A confirmation
        # request alone may come without it (VK does not document it there), and it only
        # gets back the code that proves the address to VK; it grants nothing.
        if not (event.get("type") == "confirmation" and "secret" not in event):
            secret = event.get("secret")
            if not isinstance(secret, str) or not hmac.compare_digest(
                secret.encode(errors="surrogatepass"), self._secret.encode()
            ):
                logger.warning("VK Callback API request with a wrong secret rejected")
                return web.Response(status=403, text="forbidden")
        if event.get("group_id") != self._group_id:
            return web.Response(status=403, text="forbidden")
        if event.get("type") == "confirmation":
            if self._confirmation is None:
                logger.error("VK asks to confirm the Callback API; set VK_CONFIRMATION_CODE")
                return web.Response(status=500, text="not configured")
            return web.Response(text=self._confirmation)
        # The secret is a credential: it is not kept in the inbox.
        event.pop("secret", None)
        try:
            await self._intake.store([inbox_item(event)])
        except Exception:
            logger.exception("VK event could not be stored; VK will send it again")
            return web.Response(status=500, text="retry")
        return web.Response(text="ok")


async def _read_event(request: web.Request) -> dict[str, Any] | None:
    """The posted JSON object, or None for a body too large, too deeply nested or not a JSON
    object. Size and depth are checked before parsing: the parser recurses per level and
    would fail with a RecursionError on a deep enough body."""
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return None
    if _depth(body) > MAX_DEPTH:
        return None
    try:
        event = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return event if isinstance(event, dict) else None


_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def _depth(body: bytes) -> int:
    """How deeply the body's arrays and objects nest, brackets inside strings aside."""
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING.sub(b"", body)):
        if bracket in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest
