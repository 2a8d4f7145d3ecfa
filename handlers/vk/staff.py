"""A VK conversation as the staff chat: replies, commands and appeal buttons go to the staff
service. Messages there are named by conversation_message_id, the only id community bots get
in conversations: the messenger returns those for the staff desk's posts, and staff replies
carry them in `reply_message`."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Collection
from dataclasses import replace
from typing import Any

import aiohttp
from vkbottle import API

from bot.core.messages import Platform, Reply
from bot.core.ports import DeliveryError
from bot.core.staff import Role, StaffMessage, StaffService
from bot.storage.records import InboxRecord
from handlers.vk.api import CHAT_PEER_START
from handlers.vk.messenger import VkMessenger, plain_text
from handlers.vk.residents import attachments_of, int_field
from handlers.vk.users import VkNames

logger = logging.getLogger(__name__)

VK = Platform.VK
# Every staff action checks the role, and VK lists the whole conversation at once: one
# answer serves a burst of actions, and a removed member loses access within this time.
ROLES_TTL = 30.0
MEMBERS_PAGE = 200
# VK shows at most 90 characters in a snackbar (the notice on a button press).
SNACKBAR_LIMIT = 90


class VkStaffDirectory:
    """Roles from messages.getConversationMembers: the owner and administrators are ADMIN,
    other members STAFF. The bot must be an administrator of the conversation to list it."""

    def __init__(self, api: API, *, ttl: float = ROLES_TTL) -> None:
        self._api = api
        self._ttl = ttl
        self._roles: dict[int, tuple[float, dict[int, Role]]] = {}

    async def chat_role(self, chat_id: str, user_id: str) -> Role:
        try:
            peer_id, member_id = int(chat_id), int(user_id)
        except ValueError:
            return Role.NONE
        if peer_id < CHAT_PEER_START:
            return Role.NONE
        return (await self._members(peer_id)).get(member_id, Role.NONE)

    async def _members(self, peer_id: int) -> dict[int, Role]:
        now = time.monotonic()
        cached = self._roles.get(peer_id)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        roles: dict[int, Role] = {}
        seen = 0
        try:
            while True:
                page = await self._api.messages.get_conversation_members(
                    peer_id=peer_id, offset=seen, count=MEMBERS_PAGE
                )
                items = page.items or []
                seen += len(items)
                for member in items:
                    # Negative ids are communities (this bot among them), never staff.
                    if member.member_id > 0:
                        admin = bool(member.is_admin or member.is_owner)
                        roles[member.member_id] = Role.ADMIN if admin else Role.STAFF
                if not items or seen >= (page.count or 0):
                    break
        except Exception as error:
            # Not cached: the next action asks VK again.
            logger.warning("Could not list members of VK conversation %s: %r", peer_id, error)
            return {}
        self._roles[peer_id] = (now, roles)
        return roles


class VkStaff:
    """Processes stored events of the staff conversations; other conversations are not its."""

    def __init__(
        self,
        staff: StaffService,
        messenger: VkMessenger,
        api: API,
        names: VkNames,
        *,
        peer_ids: Collection[int],
        group_id: int,
    ) -> None:
        self._staff = staff
        self._messenger = messenger
        self._api = api
        self._names = names
        self._peer_ids = frozenset(peer_ids)
        # Staff may address the bot by its mention, which VK puts before the text.
        self._mention = re.compile(rf"^\s*\[(?:club|public){group_id}\|[^\]]*\][\s,:]*")

    def accepts(self, event: dict[str, Any]) -> bool:
        body = event.get("object")
        if not isinstance(body, dict):
            return False
        if event.get("type") == "message_new" and isinstance(body.get("message"), dict):
            return int_field(body["message"].get("peer_id")) in self._peer_ids
        return event.get("type") == "message_event" and (
            int_field(body.get("peer_id")) in self._peer_ids
        )

    async def process(self, record: InboxRecord) -> None:
        event = record.payload
        if event["type"] == "message_new":
            await self._on_message(event["object"]["message"], record.id)
        else:
            await self._on_button(event["object"], record.id)

    async def _on_message(self, message: dict[str, Any], inbox_id: int) -> None:
        peer_id, from_id = int_field(message.get("peer_id")), int_field(message.get("from_id"))
        # The community's own posts (and other bots) come back as events too; service
        # messages (members joining, a new title) carry an `action` and nothing to handle.
        if from_id <= 0 or message.get("out") or message.get("action"):
            return
        replied = message.get("reply_message")
        replied_id = (
            int_field(replied.get("conversation_message_id")) if isinstance(replied, dict) else 0
        )
        message_id = int_field(message.get("conversation_message_id"))
        result = await self._staff.handle(
            StaffMessage(
                platform=VK,
                chat_id=str(peer_id),
                user_id=str(from_id),
                user_name=await self._name(from_id),
                message_id=str(message_id) if message_id else None,
                text=self._mention.sub("", str(message.get("text") or ""), count=1),
                attachments=attachments_of(message),
                reply_to_message_id=str(replied_id) if replied_id else None,
            ),
            inbox_id,
        )
        if result.reply is not None:
            await self._answer(peer_id, result.reply, message_id)

    async def _on_button(self, press: dict[str, Any], inbox_id: int) -> None:
        user_id, peer_id = int_field(press.get("user_id")), int_field(press.get("peer_id"))
        payload = press.get("payload")
        action = payload.get("a") if isinstance(payload, dict) else None
        result = await self._staff.handle(
            StaffMessage(
                platform=VK,
                chat_id=str(peer_id),
                user_id=str(user_id),
                user_name=await self._name(user_id),
                # A payload that is not ours becomes "", which the core answers as stale.
                callback_data=action if isinstance(action, str) else "",
            ),
            inbox_id,
        )
        await self._acknowledge(press, user_id, peer_id, result.notice)
        if result.reply is not None:
            message_id = int_field(press.get("conversation_message_id"))
            await self._answer(peer_id, result.reply, message_id)

    async def _acknowledge(
        self, press: dict[str, Any], user_id: int, peer_id: int, notice: str | None
    ) -> None:
        """Stop the button's spinner, showing the notice as a snackbar."""
        event_data = None
        if notice:
            text = plain_text(notice)
            if len(text) > SNACKBAR_LIMIT:
                text = text[: SNACKBAR_LIMIT - 1].rstrip() + "…"
            event_data = json.dumps({"type": "show_snackbar", "text": text}, ensure_ascii=False)
        try:
            await self._api.messages.send_message_event_answer(
                event_id=str(press.get("event_id", "")),
                user_id=user_id,
                peer_id=peer_id,
                event_data=event_data,
            )
        except Exception as error:
            # The press is already handled and recorded; failing here would handle it again.
            logger.warning("VK staff button press of %s not acknowledged: %r", user_id, error)

    async def _answer(self, peer_id: int, reply: Reply, reply_to: int) -> None:
        """The result in the conversation, as a reply to what caused it. Not delivering it
        must not fail the event: its effects are committed, and a retry would repeat them."""
        if reply_to:
            reply = replace(reply, reply_to=str(reply_to))
        try:
            await self._messenger.send(str(peer_id), reply)
        except (DeliveryError, aiohttp.ClientError, TimeoutError) as error:
            logger.warning("VK staff chat answer not delivered: %r", error)

    async def _name(self, user_id: int) -> str:
        # VK's own handle of a profile stands in when the name cannot be had.
        return await self._names.get(user_id) or f"id{user_id}"
