"""Sending neutral replies through the Telegram Bot API."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramAPIError,
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
    LinkPreviewOptions,
    Message,
    MessageId,
    ReplyKeyboardMarkup,
    ReplyParameters,
)

from bot.core.messages import Attachment, AttachmentKind, Platform, Reply
from bot.core.ports import DeliveryError, RateLimited, rate_limits_raised
from bot.core.text_split import split_text
from bot.core.topics import TopicGone

logger = logging.getLogger(__name__)

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
MAX_RETRIES = 5
TOPIC_INTERVAL = 2.0
TOPIC_GONE = ("message thread not found", "topic_deleted", "topic_id_invalid")
TOPIC_CLOSED = "topic_closed"
TOPIC_NOT_MODIFIED = "topic_not_modified"

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup
Send = Callable[[], Awaitable[Message | MessageId]]
T = TypeVar("T")


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

    def __init__(self, bot: Bot, *, topic_interval: float = TOPIC_INTERVAL) -> None:
        self._bot = bot
        self._topic_interval = topic_interval
        self._topic_lock = asyncio.Lock()
        self._last_topic_at: float | None = None

    async def send(self, chat_id: str, reply: Reply) -> list[str]:
        """Text first (split at 4,096 characters), then media; a lone attachment carries a
        short text as its caption. Buttons go on the last message, `reply_to` on the first;
        `edit_message_id` replaces that message instead where Telegram allows."""
        editable = reply.edit_message_id is not None and not reply.attachments
        if editable and await self._edit(chat_id, reply):
            return [str(reply.edit_message_id)]
        return await self._send(chat_id, reply, None)

    async def _edit(self, chat_id: str, reply: Reply) -> bool:
        """Replace an earlier message; False (a new one is sent instead) when Telegram refuses,
        e.g. for a message that is gone. Unchanged content counts as done."""
        assert reply.edit_message_id is not None
        if len(reply.text) > MESSAGE_LIMIT:
            return False
        markup = render_markup(reply)
        try:
            await self._bot.edit_message_text(
                chat_id=int(chat_id),
                message_id=int(reply.edit_message_id),
                text=reply.text,
                parse_mode=ParseMode.HTML if reply.html else None,
                reply_markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
                **_previews(reply),
            )
        except TelegramBadRequest as error:
            if "not modified" in error.message.lower():
                return True
            logger.info("Message %s not edited (%s); sending anew", reply.edit_message_id, error)
            return False
        except (TelegramForbiddenError, TelegramNotFound) as error:
            raise DeliveryError(error.message, unreachable=True) from error
        return True

    async def replace_text(self, chat_id: str, message_id: str, text: str) -> bool:
        """An erased resident's post: the text, or the caption of a media copy, is replaced
        and the buttons go. False when Telegram refuses."""
        chat, message = int(chat_id), int(message_id)
        for caption in (False, True):
            try:
                if caption:
                    await self._bot.edit_message_caption(
                        chat_id=chat, message_id=message, caption=text, parse_mode=ParseMode.HTML
                    )
                else:
                    await self._bot.edit_message_text(
                        chat_id=chat, message_id=message, text=text, parse_mode=ParseMode.HTML
                    )
            except TelegramBadRequest as error:
                if "not modified" in error.message.lower():
                    return True
                if not caption and "no text" in error.message.lower():
                    continue
                logger.info("Message %s not edited: %s", message_id, error)
                return False
            except TelegramAPIError as error:
                logger.info("Message %s not edited: %s", message_id, error)
                return False
            return True
        return False

    async def send_in_topic(self, chat_id: str, topic_id: str, reply: Reply) -> list[str]:
        return await self._send(chat_id, reply, int(topic_id))

    async def is_forum(self, chat_id: str) -> bool:
        try:
            chat = await self._bot.get_chat(chat_id=int(chat_id))
        except TelegramAPIError as error:
            raise DeliveryError(str(error)) from error
        return bool(chat.is_forum)

    async def create_topic(self, chat_id: str, name: str) -> str:
        """Telegram limits how fast topics are created: creations are spaced by the interval
        and a 429 is waited out."""
        loop = asyncio.get_running_loop()
        async with self._topic_lock:
            if self._last_topic_at is not None:
                await asyncio.sleep(
                    max(0.0, self._last_topic_at + self._topic_interval - loop.time())
                )
            try:
                topic = await self._call(
                    lambda: self._bot.create_forum_topic(chat_id=int(chat_id), name=name)
                )
            finally:
                self._last_topic_at = loop.time()
        return str(topic.message_thread_id)

    async def rename_topic(self, chat_id: str, topic_id: str, name: str) -> None:
        await self._topic_call(
            lambda: self._bot.edit_forum_topic(
                chat_id=int(chat_id), message_thread_id=int(topic_id), name=name
            )
        )

    async def set_topic_closed(self, chat_id: str, topic_id: str, closed: bool) -> None:
        method = self._bot.close_forum_topic if closed else self._bot.reopen_forum_topic
        await self._topic_call(
            lambda: method(chat_id=int(chat_id), message_thread_id=int(topic_id))
        )

    async def _topic_call(self, call: Callable[[], Awaitable[bool]]) -> None:
        try:
            await self._call(call)
        except DeliveryError as error:
            # The topic is already as asked.
            if TOPIC_NOT_MODIFIED not in str(error).lower():
                raise

    async def _call(self, call: Callable[[], Awaitable[T]]) -> T:
        for _ in range(MAX_RETRIES):
            try:
                return await call()
            except TelegramRetryAfter as error:
                logger.warning("Telegram asks to slow down for %s s", error.retry_after)
                await asyncio.sleep(error.retry_after)
            except TelegramAPIError as error:
                raise _delivery_error(error) from error
        raise DeliveryError("Telegram kept refusing with flood control")

    async def _send(self, chat_id: str, reply: Reply, thread: int | None) -> list[str]:
        media = list(reply.attachments)
        caption: str | None = None
        texts = split_text(reply.text, MESSAGE_LIMIT) if reply.text else []
        if len(media) == 1 and len(texts) == 1 and len(texts[0]) <= CAPTION_LIMIT:
            caption, texts = texts[0], []
        count = len(texts) + len(media)
        calls: list[Send] = []
        for index, part in enumerate(texts):
            options = self._options(
                chat_id, reply, thread, first=index == 0, last=index == count - 1
            )
            calls.append(self._text(part, options | _previews(reply)))
        for index, attachment in enumerate(media, len(texts)):
            options = self._options(
                chat_id, reply, thread, first=index == 0, last=index == count - 1
            )
            calls.append(self._media(attachment, caption, options))
        ids = [str(await self._deliver(call, first=not n)) for n, call in enumerate(calls)]
        if reply.pin and ids:
            await self._pin(chat_id, ids[0])
        return ids

    async def _pin(self, chat_id: str, message_id: str) -> None:
        """Pinning needs admin rights in the chat; without them the message still stands."""
        try:
            await self._bot.pin_chat_message(chat_id=int(chat_id), message_id=int(message_id))
        except TelegramAPIError as error:
            logger.warning("Could not pin message %s in %s: %s", message_id, chat_id, error)

    async def download(self, attachment: Attachment) -> bytes:
        buffer = await self._bot.download(attachment.ref)
        if buffer is None:
            raise DeliveryError(f"Telegram file {attachment.ref} could not be downloaded")
        return buffer.read()

    @staticmethod
    def _options(
        chat_id: str, reply: Reply, thread: int | None, *, first: bool, last: bool
    ) -> dict[str, Any]:
        options: dict[str, Any] = {
            "chat_id": int(chat_id),
            "reply_markup": render_markup(reply) if last else None,
        }
        if thread is not None:
            options["message_thread_id"] = thread
        if reply.reply_to is not None and first:
            options["reply_parameters"] = ReplyParameters(
                message_id=int(reply.reply_to), allow_sending_without_reply=True
            )
        if reply.html:
            options["parse_mode"] = ParseMode.HTML
        return options

    def _text(self, text: str, options: dict[str, Any]) -> Send:
        return lambda: self._bot.send_message(text=text, **options)

    def _media(self, attachment: Attachment, caption: str | None, options: dict[str, Any]) -> Send:
        bot = self._bot
        if attachment.platform is Platform.TELEGRAM and attachment.origin:
            from_chat, _, message_id = attachment.origin.partition(":")
            copied = {k: v for k, v in options.items() if k != "parse_mode" or caption}
            return lambda: bot.copy_message(
                from_chat_id=int(from_chat), message_id=int(message_id), caption=caption, **copied
            )
        if attachment.kind is AttachmentKind.LOCATION:
            latitude, longitude = attachment.latitude or 0.0, attachment.longitude or 0.0
            located = {k: v for k, v in options.items() if k != "parse_mode"}
            return lambda: bot.send_location(latitude=latitude, longitude=longitude, **located)
        if attachment.kind is AttachmentKind.CONTACT:
            return self._text(attachment.ref, options)
        file = _input_file(attachment)
        if attachment.kind is AttachmentKind.STICKER:
            plain = {k: v for k, v in options.items() if k != "parse_mode"}
            return lambda: bot.send_sticker(sticker=file, **plain)
        captioned = {**options, "caption": caption}
        senders = {
            AttachmentKind.PHOTO: lambda: bot.send_photo(photo=file, **captioned),
            AttachmentKind.VOICE: lambda: bot.send_voice(voice=file, **captioned),
            AttachmentKind.VIDEO: lambda: bot.send_video(video=file, **captioned),
            AttachmentKind.AUDIO: lambda: bot.send_audio(audio=file, **captioned),
            AttachmentKind.ANIMATION: lambda: bot.send_animation(animation=file, **captioned),
        }
        return senders.get(attachment.kind, lambda: bot.send_document(document=file, **captioned))

    async def _deliver(self, send: Send, *, first: bool) -> int:
        for _ in range(MAX_RETRIES):
            try:
                message = await send()
            except TelegramRetryAfter as error:
                # Only before any part went out: a retry of the whole reply must not repeat it.
                if first and rate_limits_raised():
                    raise RateLimited(error.retry_after) from error
                logger.warning("Telegram asks to slow down for %s s", error.retry_after)
                await asyncio.sleep(error.retry_after)
            except (TelegramForbiddenError, TelegramNotFound) as error:
                raise DeliveryError(error.message, unreachable=True) from error
            except TelegramBadRequest as error:
                raise _delivery_error(error) from error
            else:
                return message.message_id
        raise DeliveryError("Telegram kept refusing with flood control")


def _previews(reply: Reply) -> dict[str, Any]:
    """A resident's link gets no preview in the staff chat: Telegram would fetch the page and
    show whatever it claims to be."""
    return (
        {"link_preview_options": LinkPreviewOptions(is_disabled=True)}
        if reply.quotes_resident
        else {}
    )


def _delivery_error(error: TelegramAPIError) -> DeliveryError:
    reason = error.message.lower()
    if any(gone in reason for gone in TOPIC_GONE):
        return TopicGone(error.message, closed=False)
    if TOPIC_CLOSED in reason:
        return TopicGone(error.message, closed=True)
    if isinstance(error, TelegramForbiddenError | TelegramNotFound):
        return DeliveryError(error.message, unreachable=True)
    return DeliveryError(error.message, unreachable="chat not found" in reason)


def _input_file(attachment: Attachment) -> str | BufferedInputFile:
    if attachment.platform is Platform.TELEGRAM and attachment.ref:
        return attachment.ref
    if attachment.data is None:
        raise DeliveryError(f"{attachment.kind} from {attachment.platform} has no data to upload")
    return BufferedInputFile(attachment.data, filename=attachment.file_name or "file")
