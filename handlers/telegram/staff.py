"""The staff chat in Telegram: replies, commands and appeal buttons go to the staff service."""

from __future__ import annotations

import logging
from dataclasses import replace

from aiogram import Bot, F, Router
from aiogram.enums import ChatMemberStatus
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Message

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


def build_router(staff_chat_id: int) -> Router:
    router = Router(name="staff")
    router.message.filter(F.chat.id == staff_chat_id)
    router.callback_query.filter(F.message.chat.id == staff_chat_id)
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
    reply_to = message.reply_to_message
    result = await staff.handle(
        StaffMessage(
            platform=Platform.TELEGRAM,
            chat_id=str(message.chat.id),
            user_id=str(message.from_user.id),
            user_name=message.from_user.full_name,
            message_id=str(message.message_id),
            text=message.text or message.caption or "",
            attachments=attachments_of(message),
            reply_to_message_id=str(reply_to.message_id) if reply_to else None,
        ),
        inbox_id,
    )
    if result.reply is not None:
        await _answer(telegram, message.chat.id, result.reply, message.message_id)


async def on_callback(
    callback: CallbackQuery,
    staff: StaffService,
    telegram: TelegramMessenger,
    inbox_id: int | None = None,
) -> None:
    if callback.message is None:
        await callback.answer()
        return
    result = await staff.handle(
        StaffMessage(
            platform=Platform.TELEGRAM,
            chat_id=str(callback.message.chat.id),
            user_id=str(callback.from_user.id),
            user_name=callback.from_user.full_name,
            callback_data=callback.data or "",
        ),
        inbox_id,
    )
    await callback.answer(result.notice)
    if result.reply is not None:
        reply_to = callback.message.message_id
        await _answer(telegram, callback.message.chat.id, result.reply, reply_to)


async def _answer(telegram: TelegramMessenger, chat_id: int, reply: Reply, reply_to: int) -> None:
    try:
        await telegram.send(str(chat_id), replace(reply, reply_to=str(reply_to)))
    except DeliveryError as error:
        logger.warning("Staff chat answer not delivered: %s", error)
