"""Sending neutral replies through the Telegram Bot API."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)

from bot.core.messages import Attachment, AttachmentKind, Platform, Reply
from bot.core.ports import DeliveryError
from bot.core.text_split import split_text

logger = logging.getLogger(__name__)

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
MAX_RETRIES = 5

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup
Send = Callable[[], Awaitable[Message]]


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
        """Text first (split at 4,096 characters), then media; a lone attachment carries a
        short text as its caption. Buttons go on the last message."""
        target = int(chat_id)
        markup = render_markup(reply)
        media = list(reply.attachments)
        caption: str | None = None
        texts = split_text(reply.text, MESSAGE_LIMIT) if reply.text else []
        if len(media) == 1 and len(texts) == 1 and len(texts[0]) <= CAPTION_LIMIT:
            caption, texts = texts[0], []
        ids = []
        for index, part in enumerate(texts):
            last = index == len(texts) - 1 and not media
            call = self._text(target, part, markup if last else None, reply.html)
            ids.append(await self._deliver(call))
        for index, attachment in enumerate(media):
            last = index == len(media) - 1
            call = self._media(target, attachment, caption, markup if last else None, reply.html)
            ids.append(await self._deliver(call))
        return [str(message_id) for message_id in ids]

    async def download(self, attachment: Attachment) -> bytes:
        buffer = await self._bot.download(attachment.ref)
        if buffer is None:
            raise DeliveryError(f"Telegram file {attachment.ref} could not be downloaded")
        return buffer.read()

    def _text(self, chat_id: int, text: str, markup: Markup | None, html: bool = False) -> Send:
        mode = ParseMode.HTML if html else None
        return lambda: self._bot.send_message(
            chat_id=chat_id, text=text, reply_markup=markup, parse_mode=mode
        )

    def _media(
        self,
        chat_id: int,
        attachment: Attachment,
        caption: str | None,
        markup: Markup | None,
        html: bool,
    ) -> Send:
        bot = self._bot
        if attachment.kind is AttachmentKind.LOCATION:
            latitude, longitude = attachment.latitude or 0.0, attachment.longitude or 0.0
            return lambda: bot.send_location(
                chat_id=chat_id, latitude=latitude, longitude=longitude, reply_markup=markup
            )
        if attachment.kind is AttachmentKind.CONTACT:
            return self._text(chat_id, attachment.ref, markup)
        file = _input_file(attachment)
        common: dict[str, Any] = {"chat_id": chat_id, "reply_markup": markup}
        if attachment.kind is AttachmentKind.STICKER:
            return lambda: bot.send_sticker(sticker=file, **common)
        common["caption"] = caption
        common["parse_mode"] = ParseMode.HTML if html else None
        senders = {
            AttachmentKind.PHOTO: lambda: bot.send_photo(photo=file, **common),
            AttachmentKind.VOICE: lambda: bot.send_voice(voice=file, **common),
            AttachmentKind.VIDEO: lambda: bot.send_video(video=file, **common),
            AttachmentKind.AUDIO: lambda: bot.send_audio(audio=file, **common),
            AttachmentKind.ANIMATION: lambda: bot.send_animation(animation=file, **common),
        }
        return senders.get(attachment.kind, lambda: bot.send_document(document=file, **common))

    async def _deliver(self, send: Send) -> int:
        for _ in range(MAX_RETRIES):
            try:
                message = await send()
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


def _input_file(attachment: Attachment) -> str | BufferedInputFile:
    if attachment.platform is Platform.TELEGRAM and attachment.ref:
        return attachment.ref
    if attachment.data is None:
        raise DeliveryError(f"{attachment.kind} from {attachment.platform} has no data to upload")
    return BufferedInputFile(attachment.data, filename=attachment.file_name or "file")
