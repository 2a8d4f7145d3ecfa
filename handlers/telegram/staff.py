"""The staff chats in Telegram: replies, topic messages, commands and appeal buttons go to
the staff service."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import replace

from aiogram import Bot, F, Router
from aiogram.enums import ChatMemberStatus
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, MaybeInaccessibleMessage, Message

from bot.core.messages import Platform, Reply
from bot.core.ports import DeliveryError
from bot.core.staff import Role, StaffMessage, StaffService
from handlers.telegram.messenger import TelegramMessenger
from handlers.telegram.residents import attachments_of

logger = logging.getLogger(__name__)

ROLES = {
    ChatMemberStatus.CREATOR: Role.ADMIN,
    ChatMemberStatus.ADMINISTRATOR: Role.ADMIN,
    ChatMemberStatus.MEMBER: Role.STAFF,
    ChatMemberStatus.RESTRICTED: Role.STAFF,
}


class TelegramStaffDirectory:
    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def chat_role(self, chat_id: str, user_id: str) -> Role:
        try:
            member = await self._bot.get_chat_member(chat_id=int(chat_id), user_id=int(user_id))
        except TelegramAPIError as error:
            logger.warning("Could not check staff membership of %s: %s", user_id, error)
            return Role.NONE
        return ROLES.get(ChatMemberStatus(member.status), Role.NONE)


def build_router(staff_chat_ids: Collection[int]) -> Router:
    router = Router(name="staff")
    router.message.filter(F.chat.id.in_(set(staff_chat_ids)))
    router.callback_query.filter(F.message.chat.id.in_(set(staff_chat_ids)))
    router.message.register(on_message)
    router.callback_query.register(on_callback)
    return router


async def on_message(
    message: Message,
    staff: StaffService,
    telegram: TelegramMessenger,
    inbox_id: int | None = None,
) -> None:
    if message.from_user is None or message.from_user.is_bot:
        return
    text = message.text or message.caption or ""
    attachments = attachments_of(message)
    if not text and not attachments:
        return  # service messages: a topic created, closed or renamed, members joining
    reply_to = message.reply_to_message
    if reply_to is not None and reply_to.forum_topic_created is not None:
        # In a topic every plain message "replies" to the topic's creation message.
        reply_to = None
    staff_message = StaffMessage(
        platform=Platform.TELEGRAM,
        chat_id=str(message.chat.id),
        user_id=str(message.from_user.id),
        user_name=message.from_user.full_name,
        message_id=str(message.message_id),
        text=text,
        attachments=attachments,
        reply_to_message_id=str(reply_to.message_id) if reply_to else None,
        topic_id=_topic_of(message),
        reply_to_text=(reply_to.text or reply_to.caption) if reply_to else None,
        forum=bool(message.chat.is_forum),
    )
    result = await staff.handle(staff_message, inbox_id)
    if result.reply is not None:
        await _answer(staff, telegram, staff_message, result.reply, message.message_id)


async def on_callback(
    callback: CallbackQuery,
    staff: StaffService,
    telegram: TelegramMessenger,
    inbox_id: int | None = None,
) -> None:
    if callback.message is None:
        await callback.answer()
        return
    staff_message = StaffMessage(
        platform=Platform.TELEGRAM,
        chat_id=str(callback.message.chat.id),
        user_id=str(callback.from_user.id),
        user_name=callback.from_user.full_name,
        callback_data=callback.data or "",
        topic_id=_topic_of(callback.message),
    )
    result = await staff.handle(staff_message, inbox_id)
    await callback.answer(result.notice)
    if result.reply is not None:
        await _answer(staff, telegram, staff_message, result.reply, callback.message.message_id)


def _topic_of(message: MaybeInaccessibleMessage) -> str | None:
    if isinstance(message, Message) and message.is_topic_message and message.message_thread_id:
        return str(message.message_thread_id)
    return None


async def _answer(
    staff: StaffService,
    telegram: TelegramMessenger,
    message: StaffMessage,
    reply: Reply,
    reply_to: int,
) -> None:
    """The answer goes where the staff member acted: under their message, in their topic."""
    reply = replace(reply, reply_to=str(reply_to))
    try:
        if message.topic_id is not None:
            await staff.post_in_topic(message, reply)
        else:
            await telegram.send(message.chat_id, reply)
    except DeliveryError as error:
        logger.warning("Staff chat answer not delivered: %s", error)
