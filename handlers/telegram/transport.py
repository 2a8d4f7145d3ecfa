"""Long polling through the durable intake.

aiogram's own polling confirms an update to Telegram (by the next `getUpdates` offset) as soon
as it is fetched; here a batch is stored in the inbox first, and only then does the offset move
past it. Handlers run from the inbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, cast

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import GetUpdates
from aiogram.types import Update

from bot.core.intake import Intake
from bot.storage.records import InboxItem, InboxRecord

logger = logging.getLogger(__name__)

POLL_TIMEOUT = 25
BACKOFF_START = 1.0
BACKOFF_MAX = 60.0


class GetRawUpdates(GetUpdates):
    """`getUpdates` returning the updates as Telegram sent them: they are stored as they are
    and parsed one by one when handled, so one update the models cannot read (a field newer
    than the pinned aiogram) fails alone instead of stopping polling."""

    __returning__ = list[dict[str, Any]]


def ordering_key(update: dict[str, Any]) -> str:
    """Updates from one chat (or one user, for button presses) are handled in order."""
    message = update.get("message") or update.get("edited_message")
    if isinstance(message, dict):
        chat = message.get("chat", {}).get("id")
        thread = message.get("message_thread_id") if message.get("is_topic_message") else None
        return f"telegram:{chat}" + (f":{thread}" if thread else "")
    callback = update.get("callback_query")
    if isinstance(callback, dict):
        return f"telegram:{callback.get('from', {}).get('id')}"
    return f"telegram:update:{update.get('update_id')}"


def inbox_item(update: dict[str, Any]) -> InboxItem:
    return InboxItem(str(update["update_id"]), ordering_key(update), update)


class TelegramTransport:
    def __init__(
        self,
        bot: Bot,
        dispatcher: Dispatcher,
        intake: Intake,
        *,
        poll_timeout: int = POLL_TIMEOUT,
    ) -> None:
        self._bot = bot
        self._dispatcher = dispatcher
        self._intake = intake
        self._poll_timeout = poll_timeout
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Recover pending updates, then poll until `stop()`."""
        self._intake.start(self.process)
        self._intake.polls = True
        await self._intake.recover()
        if not await self._retrying("delete the webhook", self._delete_webhook):
            return
        offset: int | None = None
        backoff = BACKOFF_START
        allowed = self._dispatcher.resolve_used_update_types()
        while not self._stopping.is_set():
            try:
                request = GetRawUpdates(
                    offset=offset, timeout=self._poll_timeout, allowed_updates=allowed
                )
                updates = cast(list[dict[str, Any]], await self._bot(request))
                if updates:
                    # Stored before the next request confirms them; if storing fails, the
                    # offset stays and Telegram sends the batch again.
                    await self._intake.store([inbox_item(update) for update in updates])
            except TelegramRetryAfter as error:
                await self._pause(error.retry_after)
                continue
            except Exception as error:
                # Whatever goes wrong (network, API, the database), keep polling: the other
                # transports and the updates already stored must not depend on this one.
                logger.warning("Telegram polling failed: %r; retrying in %.0f s", error, backoff)
                await self._pause(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
                continue
            backoff = BACKOFF_START
            self._intake.polled()
            if updates:
                offset = int(updates[-1]["update_id"]) + 1

    async def stop(self) -> None:
        self._stopping.set()

    async def _delete_webhook(self) -> None:
        await self._bot.delete_webhook(drop_pending_updates=False)

    async def _retrying(self, what: str, step: Callable[[], Awaitable[None]]) -> bool:
        """Run a start-up call until it succeeds (True) or the transport stops (False): an
        unreachable Telegram at start must not end the channel, nor the process with VK."""
        backoff = BACKOFF_START
        while not self._stopping.is_set():
            try:
                await step()
                return True
            except TelegramRetryAfter as error:
                await self._pause(error.retry_after)
            except Exception as error:
                logger.warning(
                    "Telegram: could not %s: %r; retrying in %.0f s", what, error, backoff
                )
                await self._pause(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
        return False

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    async def process(self, record: InboxRecord) -> None:
        update = Update.model_validate(record.payload, context={"bot": self._bot})
        await self._dispatcher.feed_update(self._bot, update, inbox_id=record.id)
