"""`python -m bot doctor`, Telegram's part: the token, and the bot's place in each staff chat."""

from __future__ import annotations

from aiogram import Bot
from aiogram.enums import ChatMemberStatus
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramUnauthorizedError
from aiogram.types import ChatMemberAdministrator, User

from bot.app import staff_chat, staff_routes
from bot.core.messages import Platform
from bot.doctor import Check, fail, ok
from bot.settings import Settings
from handlers.telegram.app import create_bot

ADMIN_STATUSES = frozenset({ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.CREATOR})
GROUP_TYPES = frozenset({"group", "supergroup"})


async def telegram_checks(settings: Settings) -> list[Check]:
    if not settings.telegram_enabled or settings.telegram_bot_token is None:
        return []
    bot = create_bot(settings.telegram_api_url, settings.telegram_bot_token.get_secret_value())
    try:
        try:
            me = await bot.get_me()
        except TelegramUnauthorizedError:
            return [fail("Telegram: токен отклонён — проверьте TELEGRAM_BOT_TOKEN у @BotFather")]
        except TelegramNetworkError as error:
            return [fail(f"Telegram: API недоступен (TELEGRAM_API_URL): {error.message}")]
        except TelegramAPIError as error:
            return [fail(f"Telegram: getMe не удался: {error.message}")]
        checks = [ok(f"Telegram: токен действителен, бот @{me.username}")]
        for chat_id, role in _telegram_staff_chats(settings):
            checks += await _staff_chat_checks(bot, me, chat_id, role)
        return checks
    finally:
        await bot.session.close()


def _telegram_staff_chats(settings: Settings) -> list[tuple[int, str]]:
    default = staff_chat(settings)
    chats: list[tuple[int, str]] = []
    if default is not None and default.platform is Platform.TELEGRAM:
        chats.append((int(default.chat_id), "Чат сотрудников"))
    for category, chat in staff_routes(settings, default).items():
        if chat.platform is Platform.TELEGRAM:
            chats.append((int(chat.chat_id), f"Чат сотрудников «{category}» (STAFF_ROUTES)"))
    return chats


async def _staff_chat_checks(bot: Bot, me: User, chat_id: int, role: str) -> list[Check]:
    try:
        chat = await bot.get_chat(chat_id)
    except TelegramAPIError as error:
        return [
            fail(
                f"{role} {chat_id} недоступен: {error.message} — добавьте бота в группу и "
                "проверьте id"
            )
        ]
    if chat.type not in GROUP_TYPES:
        return [fail(f"{role} {chat_id} — не группа ({chat.type}): нужна супергруппа")]
    checks = [ok(f"{role} «{chat.title}» доступен")]
    try:
        member = await bot.get_chat_member(chat_id, me.id)
    except TelegramAPIError as error:
        return [*checks, fail(f"{role}: не удалось узнать права бота: {error.message}")]
    if member.status not in ADMIN_STATUSES:
        return [
            *checks,
            fail(
                f"{role}: бот не администратор — назначьте его администратором, чтобы он "
                "видел сообщения сотрудников"
            ),
        ]
    checks.append(ok(f"{role}: бот — администратор"))
    if not chat.is_forum:
        checks.append(ok(f"{role}: режим тем выключен — обращения идут в общую ленту"))
    elif isinstance(member, ChatMemberAdministrator) and not member.can_manage_topics:
        checks.append(fail(f"{role}: режим тем включён, но у бота нет права «Управление темами»"))
    else:
        checks.append(ok(f"{role}: режим тем включён — у каждого жителя своя тема"))
    return checks
