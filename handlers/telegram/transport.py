"""Long polling through the durable intake.

aiogram's own polling confirms an update to Telegram (by the next `getUpdates` offset) as soon
as it is fetched; here a batch is stored in the inbox first, and only then does the offset move
past it. Handlers run from the inbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramRetryAfter
from aiogram.types import Update

from bot.core.intake import Intake
from bot.storage.records import InboxItem, InboxRecord

logger = logging.getLogger(__name__)

POLL_TIMEOUT = 25
BACKOFF_START = 1.0
BACKOFF_MAX = 60.0


def ordering_key(update: Update) -> str:
    """Updates from one chat (or one user, for button presses) are handled in order."""
    if update.message is not None:
        chat = update.message.chat
        thread = update.message.message_thread_id if update.message.is_topic_message else None
        return f"telegram:{chat.id}" + (f":{thread}" if thread else "")
    if update.edited_message is not None:
        return f"telegram:{update.edited_message.chat.id}"
    if update.callback_query is not None:
        return f"telegram:{update.callback_query.from_user.id}"
    return f"telegram:update:{update.update_id}"


def inbox_item(update: Update) -> InboxItem:
    payload: dict[str, Any] = update.model_dump(mode="json", exclude_none=True, by_alias=True)
    return InboxItem(str(update.update_id), ordering_key(update), payload)


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
        self._intake.start(self._process)
        await self._intake.recover()
        await self._bot.delete_webhook(drop_pending_updates=False)
        offset: int | None = None
        backoff = BACKOFF_START
        allowed = self._dispatcher.resolve_used_update_types()
        while not self._stopping.is_set():
            try:
                updates = await self._bot.get_updates(
                    offset=offset, timeout=self._poll_timeout, allowed_updates=allowed
                )
            except TelegramRetryAfter as error:
                await self._pause(error.retry_after)
                continue
            except (TelegramNetworkError, TelegramAPIError) as error:
                logger.warning("Telegram polling failed: %s; retrying in %.0f s", error, backoff)
                await self._pause(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
                continue
            backoff = BACKOFF_START
            if not updates:
                continue
            await self._intake.store([inbox_item(update) for update in updates])
            offset = updates[-1].update_id + 1

    async def stop(self) -> None:
        self._stopping.set()

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    async def _process(self, record: InboxRecord) -> None:
        update = Update.model_validate(record.payload, context={"bot": self._bot})
        await self._dispatcher.feed_update(self._bot, update, inbox_id=record.id)
