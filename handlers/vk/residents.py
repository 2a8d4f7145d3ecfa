"""Residents in private dialogs with the community: every message and button press goes to the
dialog service. Events are read from the raw JSON VK sent, which the inbox keeps as is."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from vkbottle import API

from bot.core.dialog import DialogService
from bot.core.file_names import portable_file_name
from bot.core.messages import Attachment, AttachmentKind, Incoming, Platform, ResidentKey
from bot.storage.records import InboxRecord
from handlers.vk.api import CHAT_PEER_START
from handlers.vk.users import VkNames

logger = logging.getLogger(__name__)

VK = Platform.VK


class VkResidents:
    """Processes stored VK events of residents' private dialogs."""

    def __init__(self, dialog: DialogService, api: API, names: VkNames) -> None:
        self._dialog = dialog
        self._api = api
        self._names = names

    async def process(self, record: InboxRecord) -> None:
        """Other event types and other peers are left alone; the intake marks them done."""
        event = record.payload
        body = event.get("object")
        if not isinstance(body, dict):
            return
        if event.get("type") == "message_new" and isinstance(body.get("message"), dict):
            await self._on_message(body["message"], record.id)
        elif event.get("type") == "message_event":
            await self._on_button(body, record.id)

    async def _on_message(self, message: dict[str, Any], inbox_id: int) -> None:
        peer_id, from_id = int_field(message.get("peer_id")), int_field(message.get("from_id"))
        if not _private(from_id, peer_id) or message.get("out"):
            return
        cmid = message.get("conversation_message_id") or message.get("id")
        await self._dialog.handle(
            Incoming(
                resident=ResidentKey(VK, str(from_id)),
                chat_id=str(peer_id),
                received_at=_sent_at(message.get("date")),
                text=_text_of(message),
                display_name=await self._names.get(from_id),
                message_id=str(cmid) if cmid else None,
                attachments=attachments_of(message),
                inbox_id=inbox_id,
            )
        )

    async def _on_button(self, press: dict[str, Any], inbox_id: int) -> None:
        user_id, peer_id = int_field(press.get("user_id")), int_field(press.get("peer_id"))
        if not _private(user_id, peer_id):
            return
        payload = press.get("payload")
        action = payload.get("a") if isinstance(payload, dict) else None
        await self._dialog.handle(
            Incoming(
                resident=ResidentKey(VK, str(user_id)),
                chat_id=str(peer_id),
                received_at=datetime.now(UTC),
                display_name=await self._names.get(user_id),
                # A payload that is not ours becomes "", which the core answers as stale.
                callback_data=action if isinstance(action, str) else "",
                message_id=_pressed_message(press),
                inbox_id=inbox_id,
            )
        )
        try:
            await self._api.messages.send_message_event_answer(
                event_id=str(press.get("event_id", "")), user_id=user_id, peer_id=peer_id
            )
        except Exception as error:
            # The press is already handled and recorded; failing here would handle it again.
            logger.warning("VK button press of %s not acknowledged: %r", user_id, error)


def attachments_of(message: dict[str, Any]) -> tuple[Attachment, ...]:
    """The media of a message as neutral attachments: URLs as refs where VK gives them,
    attachment strings (`video-1_2_key`) otherwise."""
    found = [
        _attachment(item) for item in message.get("attachments") or () if isinstance(item, dict)
    ]
    geo = message.get("geo")
    coordinates = geo.get("coordinates") if isinstance(geo, dict) else None
    if isinstance(coordinates, dict):
        found.append(
            Attachment(
                AttachmentKind.LOCATION,
                platform=VK,
                latitude=float(coordinates.get("latitude", 0.0)),
                longitude=float(coordinates.get("longitude", 0.0)),
            )
        )
    return tuple(found)


def _attachment(item: dict[str, Any]) -> Attachment:
    kind = str(item.get("type", ""))
    media = item.get(kind)
    if not isinstance(media, dict):
        return Attachment(AttachmentKind.OTHER, platform=VK)
    if kind == "photo":
        return Attachment(AttachmentKind.PHOTO, _largest(media.get("sizes")), VK)
    if kind == "doc":
        return Attachment(
            AttachmentKind.DOCUMENT,
            str(media.get("url", "")),
            VK,
            file_name=portable_file_name(media.get("title")),
        )
    if kind == "audio_message":
        url = media.get("link_ogg") or media.get("link_mp3") or ""
        return Attachment(AttachmentKind.VOICE, str(url), VK)
    if kind == "sticker":
        return Attachment(AttachmentKind.STICKER, _largest(media.get("images")), VK)
    return Attachment(AttachmentKind.OTHER, _reference(kind, media), VK)


def _largest(sizes: Any) -> str:
    """The URL of the biggest image among VK's size variants."""
    images = [size for size in sizes or () if isinstance(size, dict) and size.get("url")]
    if not images:
        return ""
    best = max(
        images, key=lambda size: int_field(size.get("width")) * int_field(size.get("height"))
    )
    return str(best["url"])


def _reference(kind: str, media: dict[str, Any]) -> str:
    owner, item = media.get("owner_id"), media.get("id")
    if not isinstance(owner, int) or not isinstance(item, int):
        return ""
    key = media.get("access_key")
    return f"{kind}{owner}_{item}" + (f"_{key}" if key else "")


def _private(user_id: int, peer_id: int) -> bool:
    """A user's own dialog with the community (not a conversation, not the community)."""
    return 0 < user_id < CHAT_PEER_START and peer_id == user_id


def int_field(value: Any) -> int:
    """An integer field of VK's JSON; anything else (missing, bool, text) counts as 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _sent_at(timestamp: Any) -> datetime:
    if isinstance(timestamp, int) and timestamp > 0:
        return datetime.fromtimestamp(timestamp, UTC)
    return datetime.now(UTC)


def _pressed_message(press: dict[str, Any]) -> str | None:
    """The conversation_message_id of the message whose button was pressed."""
    pressed = int_field(press.get("conversation_message_id"))
    return str(pressed) if pressed else None


def _text_of(message: dict[str, Any]) -> str:
    """The message's text; a message that only forwards others stands for their texts."""
    text = str(message.get("text") or "")
    if text:
        return text
    forwarded = message.get("fwd_messages") or []
    return "\n".join(
        str(item.get("text")) for item in forwarded if isinstance(item, dict) and item.get("text")
    )
