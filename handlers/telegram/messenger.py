"""Sending neutral replies through the Telegram Bot API."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot.core.messages import Platform, Reply
from bot.core.ports import DeliveryError
from bot.core.text_split import split_text

logger = logging.getLogger(__name__)

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
MAX_RETRIES = 5

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup


def render_markup(reply: Reply) -> Markup | None:
    if reply.buttons:
        return InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(text=button.text, callback_data=button.action.encode())
                    for button in row
                ]
                for row in reply.buttons
            ]
        )
    if reply.menu:
        return ReplyKeyboardMarkup(
            keyboard=[[KeyboardButton(text=label) for label in row] for row in reply.menu],
            resize_keyboard=True,
            is_persistent=True,
        )
    return None


class TelegramMessenger:
    platform = Platform.TELEGRAM

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send(self, chat_id: str, reply: Reply) -> list[str]:
        parts = split_text(reply.text, MESSAGE_LIMIT)
        markup = render_markup(reply)
        ids = []
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            message_id = await self._call_with_retry(chat_id, part, markup if last else None)
            ids.append(str(message_id))
        return ids

    async def _call_with_retry(self, chat_id: str, text: str, markup: Markup | None) -> int:
        for _ in range(MAX_RETRIES):
            try:
                message = await self._bot.send_message(
                    chat_id=int(chat_id), text=text, reply_markup=markup
                )
            except TelegramRetryAfter as error:
                logger.warning("Telegram asks to slow down for %s s", error.retry_after)
                await asyncio.sleep(error.retry_after)
            except (TelegramForbiddenError, TelegramNotFound) as error:
                raise DeliveryError(error.message, unreachable=True) from error
            except TelegramBadRequest as error:
                unreachable = "chat not found" in error.message.lower()
                raise DeliveryError(error.message, unreachable=unreachable) from error
            else:
                return message.message_id
        raise DeliveryError("Telegram kept refusing with flood control")
