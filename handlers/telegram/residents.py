"""Residents in private chats: every message and button press goes to the dialog service."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, Message, User

from bot.core.dialog import DialogService
from bot.core.file_names import portable_file_name
from bot.core.messages import Attachment, AttachmentKind, Incoming, Platform, ResidentKey

TELEGRAM = Platform.TELEGRAM


def build_router() -> Router:
    router = Router(name="residents")
    router.message.filter(F.chat.type == ChatType.PRIVATE)
    router.callback_query.filter(F.message.chat.type == ChatType.PRIVATE)
    router.edited_message.filter(F.chat.type == ChatType.PRIVATE)
    router.message.register(on_message)
    router.edited_message.register(on_message)
    router.callback_query.register(on_callback)
    return router


async def on_message(message: Message, dialog: DialogService, inbox_id: int | None = None) -> None:
    if message.from_user is None or message.from_user.is_bot:
        return
    await dialog.handle(
        Incoming(
            resident=_resident(message.from_user),
            chat_id=str(message.chat.id),
            received_at=message.date.astimezone(UTC),
            text=message.text or message.caption or "",
            display_name=message.from_user.full_name,
            username=message.from_user.username,
            message_id=str(message.message_id),
            attachments=attachments_of(message),
            inbox_id=inbox_id,
        )
    )


async def on_callback(
    callback: CallbackQuery, dialog: DialogService, inbox_id: int | None = None
) -> None:
    if callback.message is None:
        await callback.answer()
        return
    await dialog.handle(
        Incoming(
            resident=_resident(callback.from_user),
            chat_id=str(callback.message.chat.id),
            received_at=datetime.now(UTC),
            display_name=callback.from_user.full_name,
            username=callback.from_user.username,
            callback_data=callback.data or "",
            message_id=str(callback.message.message_id),
            inbox_id=inbox_id,
        )
    )
    await callback.answer()


def _resident(user: User) -> ResidentKey:
    return ResidentKey(Platform.TELEGRAM, str(user.id))


def attachments_of(message: Message) -> tuple[Attachment, ...]:
    """The media of a message as neutral attachments: Telegram file ids as refs, and the
    message itself as the origin, so staff see a copy (`copyMessage`) of what was sent."""
    origin = f"{message.chat.id}:{message.message_id}"
    if message.photo:
        return (
            Attachment(AttachmentKind.PHOTO, message.photo[-1].file_id, TELEGRAM, origin=origin),
        )
    if message.location:
        location = message.location
        return (
            Attachment(
                AttachmentKind.LOCATION,
                platform=TELEGRAM,
                latitude=location.latitude,
                longitude=location.longitude,
                origin=origin,
            ),
        )
    simple = (
        (message.animation, AttachmentKind.ANIMATION),
        (message.document, AttachmentKind.DOCUMENT),
        (message.voice, AttachmentKind.VOICE),
        (message.video, AttachmentKind.VIDEO),
        (message.video_note, AttachmentKind.VIDEO_NOTE),
        (message.audio, AttachmentKind.AUDIO),
        (message.sticker, AttachmentKind.STICKER),
    )
    for media, kind in simple:
        if media is not None:
            name = portable_file_name(getattr(media, "file_name", None))
            return (Attachment(kind, media.file_id, TELEGRAM, file_name=name, origin=origin),)
    if message.contact:
        contact = message.contact.phone_number
        return (Attachment(AttachmentKind.CONTACT, contact, TELEGRAM, origin=origin),)
    return ()
