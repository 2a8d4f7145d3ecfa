"""`python -m bot doctor`, VK's part: the token's rights, the community's event settings and
the staff conversation."""

from __future__ import annotations

from typing import Any

import aiohttp
from vkbottle import API, AiohttpClient, VKAPIError

from bot.app import staff_chat
from bot.core.messages import Platform
from bot.doctor import Check, fail, ok, unknown
from bot.settings import Settings
from handlers.vk.api import create_api

# The rights README asks for: messages to talk, photos and documents to pass media on.
NEEDED_RIGHTS = {
    "messages": "сообщения сообщества",
    "photos": "фотографии",
    "docs": "документы",
}
# The events the channel handles: residents' messages and callback button presses.
NEEDED_EVENTS = {
    "message_new": "входящее сообщение",
    "message_event": "действие с сообщением",
}
# The version vkbottle speaks: events in another version's format would not parse.
API_VERSION = API.API_VERSION
# VK: access denied, or the method needs the «manage» right the token lacks.
NO_ACCESS_CODES = frozenset({7, 15, 27})
NO_CHAT_ACCESS = 917
AUTH_FAILED = 5
# A handful of calls: a few a second keeps well under VK's limit.
DOCTOR_RATE = 3.0


async def vk_checks(settings: Settings) -> list[Check]:
    if not settings.vk_enabled or settings.vk_group_token is None:
        return []
    if settings.vk_group_id is None:
        return [fail("VK: не задан VK_GROUP_ID (числовой id сообщества)")]
    http = AiohttpClient()
    api = create_api(
        settings.vk_api_url, settings.vk_group_token.get_secret_value(), DOCTOR_RATE, http
    )
    try:
        return await _checks(api, settings, settings.vk_group_id)
    finally:
        await http.close()


async def _checks(api: API, settings: Settings, group_id: int) -> list[Check]:
    try:
        permissions = await _call(api, "groups.getTokenPermissions")
        groups = await _call(api, "groups.getById")
    except VKAPIError as error:
        if error.code == AUTH_FAILED:
            return [fail("VK: ключ отклонён — проверьте VK_GROUP_TOKEN")]
        return [fail(f"VK: проверка ключа не удалась: {error.error_msg}")]
    except (aiohttp.ClientError, TimeoutError) as error:
        return [fail(f"VK: API недоступен (VK_API_URL): {error or type(error).__name__}")]
    own = [group.get("id") for group in groups.get("groups", [])]
    if group_id not in own:
        return [fail(f"VK: ключ выдан другому сообществу ({own}), а VK_GROUP_ID={group_id}")]
    rights = {item.get("name") for item in permissions.get("permissions", [])}
    missing = [label for name, label in NEEDED_RIGHTS.items() if name not in rights]
    if missing:
        checks = [fail(f"VK: у ключа нет прав: {', '.join(missing)} — создайте новый ключ")]
    else:
        checks = [ok(f"VK: ключ действителен, права: {', '.join(NEEDED_RIGHTS.values())}")]
    if settings.vk_transport == "callback":
        checks += await _callback_checks(api, settings, group_id)
    else:
        checks += await _long_poll_checks(api, group_id)
    chat = staff_chat(settings)
    if chat is not None and chat.platform is Platform.VK:
        checks.append(await _staff_peer_check(api, int(chat.chat_id)))
    return checks


async def _long_poll_checks(api: API, group_id: int) -> list[Check]:
    try:
        found = await _call(api, "groups.getLongPollSettings", group_id=group_id)
    except VKAPIError as error:
        return [_unreadable("Long Poll API", error)]
    except (aiohttp.ClientError, TimeoutError) as error:
        return [fail(f"VK: настройки Long Poll не прочитаны: {error}")]
    if not found.get("is_enabled"):
        return [fail("VK: Long Poll API выключен — «Работа с API» → «Long Poll API»")]
    return _event_checks("Long Poll API", found)


async def _callback_checks(api: API, settings: Settings, group_id: int) -> list[Check]:
    try:
        servers = await _call(api, "groups.getCallbackServers", group_id=group_id)
        items = servers.get("items", [])
        mine = [s for s in items if str(s.get("url", "")).endswith(settings.vk_callback_path)]
        if not mine:
            return [
                fail(
                    "VK: в «Callback API» нет сервера с адресом, оканчивающимся на "
                    f"{settings.vk_callback_path} (VK_CALLBACK_PATH)"
                )
            ]
        server = mine[0]
        if server.get("status") != "ok":
            return [
                fail(
                    f"VK: сервер Callback API {server.get('url')} не подтверждён "
                    f"(статус {server.get('status')}) — проверьте VK_CONFIRMATION_CODE"
                )
            ]
        found = await _call(
            api, "groups.getCallbackSettings", group_id=group_id, server_id=server.get("id")
        )
    except VKAPIError as error:
        return [_unreadable("Callback API", error)]
    except (aiohttp.ClientError, TimeoutError) as error:
        return [fail(f"VK: настройки Callback API не прочитаны: {error}")]
    return [
        ok(f"VK: сервер Callback API {server.get('url')} подтверждён"),
        *_event_checks("Callback API", found),
    ]


def _event_checks(where: str, found: dict[str, Any]) -> list[Check]:
    checks: list[Check] = []
    version = found.get("api_version")
    if version != API_VERSION:
        checks.append(fail(f"VK: {where} на версии API {version}, нужна {API_VERSION}"))
    events = found.get("events") or {}
    missing = [f"{label} ({name})" for name, label in NEEDED_EVENTS.items() if not events.get(name)]
    if missing:
        checks.append(fail(f"VK: {where}: в «Типах событий» не отмечены: {', '.join(missing)}"))
    if not checks:
        checks.append(
            ok(f"VK: {where} включён, версия {API_VERSION}, события: {', '.join(NEEDED_EVENTS)}")
        )
    return checks


def _unreadable(where: str, error: VKAPIError) -> Check:
    if error.code in NO_ACCESS_CODES:
        return unknown(
            f"VK: настройки {where} не прочитаны — у ключа нет права «управление сообществом»; "
            f"проверьте вручную: версия {API_VERSION}, события {', '.join(NEEDED_EVENTS)}"
        )
    return fail(f"VK: настройки {where} не прочитаны: {error.error_msg}")


async def _staff_peer_check(api: API, peer_id: int) -> Check:
    try:
        members = await _call(api, "messages.getConversationMembers", peer_id=peer_id)
    except VKAPIError as error:
        if error.code == NO_CHAT_ACCESS:
            return fail(
                f"VK: беседа сотрудников {peer_id} недоступна — добавьте туда сообщество и "
                "назначьте его администратором беседы"
            )
        return fail(f"VK: беседа сотрудников {peer_id}: {error.error_msg}")
    except (aiohttp.ClientError, TimeoutError) as error:
        return fail(f"VK: беседа сотрудников {peer_id} не проверена: {error}")
    return ok(f"VK: беседа сотрудников доступна, участников: {members.get('count', 0)}")


async def _call(api: API, method: str, **params: Any) -> dict[str, Any]:
    """The raw response: the typed models insist on every field of VK's full answer."""
    answer = await api.request(method, params)
    response = answer.get("response")
    return response if isinstance(response, dict) else {"items": response}
