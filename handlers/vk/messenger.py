"""Sending neutral replies through the VK API as the community."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
from collections.abc import Sequence
from html.parser import HTMLParser
from typing import Any

import aiohttp
from vkbottle import (
    API,
    Callback,
    DocMessagesUploader,
    Keyboard,
    PhotoMessageUploader,
    Text,
    VKAPIError,
    VoiceMessageUploader,
)

from bot.core.messages import Attachment, AttachmentKind, Button, Platform, Reply
from bot.core.ports import DeliveryError, RateLimited, rate_limits_raised
from bot.core.text_split import split_text
from handlers.vk.api import CHAT_PEER_START

logger = logging.getLogger(__name__)

MESSAGE_LIMIT = 4096
ATTACHMENTS_PER_MESSAGE = 10
# Keyboard limits from VK's bot documentation: 5 buttons a row; inline 6 rows and 10 buttons,
# the menu 10 rows and 40 buttons; labels longer than 40 characters are rejected.
ROW_LIMIT = 5
INLINE_ROWS, INLINE_BUTTONS = 6, 10
MENU_ROWS, MENU_BUTTONS = 10, 40
LABEL_LIMIT = 40

# Too many requests per second, flood control, internal server error, rate limit reached.
RETRY_CODES = frozenset({6, 9, 10, 29})
# Too many requests per second, flood control: VK names no wait, a second is enough.
FLOOD_CODES = frozenset({6, 9})
# Access denied, blacklisted, no permission to write, privacy settings.
UNREACHABLE_CODES = frozenset({7, 900, 901, 902})
RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0)

READY_REF = re.compile(r"^(photo|doc|audio_message|video|audio|wall|market|poll|graffiti)-?\d+_\d+")
RANDOM_ID_LIMIT = 2**31 - 1


def payload_of(button: Button) -> dict[str, str]:
    """A callback button's payload; VK hands it back in the `message_event` of a press."""
    return {"a": button.action.encode()}


def render_keyboard(reply: Reply) -> str | None:
    """Inline callback buttons win over the persistent menu, as on Telegram."""
    if reply.buttons:
        inline = [
            [Callback(_label(button.text), payload=payload_of(button)) for button in row]
            for row in reply.buttons
        ]
        return _keyboard(inline, inline=True, max_rows=INLINE_ROWS, max_buttons=INLINE_BUTTONS)
    if reply.menu:
        menu = [[Text(_label(label)) for label in row] for row in reply.menu]
        return _keyboard(menu, inline=False, max_rows=MENU_ROWS, max_buttons=MENU_BUTTONS)
    return None


def compose(reply: Reply, media: Sequence[str]) -> list[dict[str, Any]]:
    """The `messages.send` parameters of each message `reply` becomes: text parts, contacts
    as text, then uploaded media (`media`), a location and the keyboard on the last ones."""
    bodies: list[dict[str, Any]] = []
    text = plain_text(reply.text) if reply.html else reply.text
    if text:
        bodies += [{"message": part} for part in split_text(text, MESSAGE_LIMIT)]
    bodies += [
        {"message": item.ref}
        for item in reply.attachments
        if item.kind is AttachmentKind.CONTACT and item.ref
    ]
    groups = [
        media[start : start + ATTACHMENTS_PER_MESSAGE]
        for start in range(0, len(media), ATTACHMENTS_PER_MESSAGE)
    ]
    for index, group in enumerate(groups):
        if index or not bodies:
            bodies.append({})
        bodies[-1]["attachment"] = ",".join(group)
    location = next((a for a in reply.attachments if a.kind is AttachmentKind.LOCATION), None)
    if location is not None:
        if not bodies:
            bodies.append({})
        bodies[-1] |= {"lat": location.latitude or 0.0, "long": location.longitude or 0.0}
    keyboard = render_keyboard(reply)
    if keyboard is not None and bodies:
        bodies[-1]["keyboard"] = keyboard
    if reply.quotes_resident:
        # A resident's `@all` or [id1|...] must not ping a staff conversation.
        bodies = [body | {"disable_mentions": 1, "dont_parse_links": 1} for body in bodies]
    return bodies


def plain_text(html: str) -> str:
    """VK shows no markup: Telegram-style HTML becomes its text, web links kept after it."""
    parser = _PlainText()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


class _PlainText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._links: list[tuple[str, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._links.append((dict(attrs).get("href") or "", len(self.parts)))

    def handle_endtag(self, tag: str) -> None:
        if tag != "a" or not self._links:
            return
        href, start = self._links.pop()
        label = "".join(self.parts[start:])
        if href.startswith(("http://", "https://")) and href != label:
            self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


class VkMessenger:
    platform = Platform.VK

    def __init__(self, api: API) -> None:
        self._api = api

    async def send(self, chat_id: str, reply: Reply) -> list[str]:
        """Media are uploaded before anything is sent, so a failed upload sends nothing.
        The ids are message ids in a private dialog and conversation_message_ids in a
        conversation, where community bots get no message ids; `reply.reply_to` takes the
        same kind of id."""
        peer_id = int(chat_id)
        media = [
            await self._upload(peer_id, attachment)
            for attachment in reply.attachments
            if attachment.kind not in (AttachmentKind.LOCATION, AttachmentKind.CONTACT)
        ]
        bodies = compose(reply, media)
        editable = reply.edit_message_id is not None and len(bodies) == 1 and not media
        if editable and await self._edit(peer_id, int(str(reply.edit_message_id)), bodies[0]):
            return [str(reply.edit_message_id)]
        if reply.reply_to is not None and bodies:
            bodies[0] |= reply_params(peer_id, int(reply.reply_to))
        return [
            str(await self._deliver(peer_id, body, first=not n)) for n, body in enumerate(bodies)
        ]

    async def replace_text(self, chat_id: str, message_id: str, text: str) -> bool:
        """An erased resident's post in a staff conversation; False when VK refuses (a
        community may edit its messages for 24 hours only)."""
        return await self._edit(int(chat_id), int(message_id), {"message": plain_text(text)})

    async def _edit(self, peer_id: int, conversation_message_id: int, body: dict[str, Any]) -> bool:
        """Replace an earlier message; False (a new message is sent instead) when VK refuses,
        e.g. for a message older than VK lets a community edit."""
        try:
            await self._api.messages.edit(
                peer_id=peer_id, conversation_message_id=conversation_message_id, **body
            )
        except (VKAPIError, aiohttp.ClientError, TimeoutError) as error:
            logger.info(
                "VK message %s not edited (%r); sending anew", conversation_message_id, error
            )
            return False
        return True

    async def download(self, attachment: Attachment) -> bytes:
        if not attachment.ref.startswith(("http://", "https://")):
            raise DeliveryError(f"VK attachment {attachment.ref!r} has no URL to download")
        async with self._api.http_client.request(attachment.ref) as response:
            if response.status != 200:
                raise DeliveryError(f"VK file download failed: HTTP {response.status}")
            return bytes(await response.read())

    async def _upload(self, peer_id: int, attachment: Attachment) -> str:
        """A VK attachment string for `attachment`, uploading its bytes when needed."""
        if attachment.platform is Platform.VK and READY_REF.match(attachment.ref):
            return attachment.ref
        data = attachment.data
        if data is None and attachment.platform is Platform.VK and attachment.ref:
            data = await self.download(attachment)
        if data is None:
            raise DeliveryError(
                f"{attachment.kind} from {attachment.platform} has no data to upload"
            )
        try:
            if attachment.kind is AttachmentKind.PHOTO:
                uploaded = await PhotoMessageUploader(self._api).upload(data, peer_id=peer_id)
            elif attachment.kind is AttachmentKind.VOICE:
                uploaded = await VoiceMessageUploader(self._api).upload(
                    data, peer_id=peer_id, title=attachment.file_name or "voice.ogg"
                )
            else:
                uploaded = await DocMessagesUploader(self._api).upload(
                    data, peer_id=peer_id, title=attachment.file_name or "file"
                )
        except VKAPIError as error:
            raise _refusal(error) from error
        return str(uploaded)

    async def _deliver(self, peer_id: int, body: dict[str, Any], *, first: bool) -> int:
        # One random_id for every attempt: VK keeps a single copy if an earlier one got through.
        random_id = secrets.randbelow(RANDOM_ID_LIMIT) + 1
        delays = iter(RETRY_DELAYS)
        while True:
            failure: Exception
            try:
                return await self._send_once(peer_id, random_id, body)
            except (VKAPIError, RecipientRefused) as error:
                if error.code not in RETRY_CODES:
                    raise _refusal(error) from error
                # Only before any part went out: a retry of the whole reply must not repeat it.
                if first and error.code in FLOOD_CODES and rate_limits_raised():
                    raise RateLimited(RETRY_DELAYS[0]) from error
                failure = error
            except (aiohttp.ClientError, TimeoutError) as error:
                failure = error
            delay = next(delays, None)
            if delay is None:
                if isinstance(failure, VKAPIError | RecipientRefused):
                    raise _refusal(failure) from failure
                raise failure
            logger.warning("VK send to %s failed (%r); retrying in %.0f s", peer_id, failure, delay)
            await asyncio.sleep(delay)

    async def _send_once(self, peer_id: int, random_id: int, body: dict[str, Any]) -> int:
        if peer_id < CHAT_PEER_START:
            return int(await self._api.messages.send(peer_id=peer_id, random_id=random_id, **body))
        # In a conversation only `peer_ids` returns the conversation_message_id, the id that
        # staff replies carry in `reply_message`; VK reports a refusal there per recipient.
        items = await self._api.messages.send(peer_ids=[peer_id], random_id=random_id, **body)
        item = next((item for item in items if item.peer_id == peer_id), None)
        if item is not None and item.error is not None:
            raise RecipientRefused(item.error.code or 0, item.error.description or "")
        if item is None or not item.conversation_message_id:
            raise DeliveryError(f"VK gave no conversation_message_id for {peer_id}")
        return int(item.conversation_message_id)


class RecipientRefused(Exception):
    """An error VK reports for one recipient inside a successful `peer_ids` response."""

    def __init__(self, code: int, error_msg: str) -> None:
        super().__init__(f"VK error {code}: {error_msg}")
        self.code = code
        self.error_msg = error_msg


def reply_params(peer_id: int, message_id: int) -> dict[str, Any]:
    """`messages.send` parameters answering `message_id`: in a conversation the message is
    named by conversation_message_id through `forward`, in a dialog by `reply_to`."""
    if peer_id < CHAT_PEER_START:
        return {"reply_to": message_id}
    forward = {"peer_id": peer_id, "conversation_message_ids": [message_id], "is_reply": True}
    return {"forward": json.dumps(forward)}


def _refusal(error: Any) -> DeliveryError:
    return DeliveryError(
        f"VK error {error.code}: {error.error_msg}", unreachable=error.code in UNREACHABLE_CODES
    )


def _label(text: str) -> str:
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 1].rstrip() + "…"


def _keyboard(
    rows: Sequence[Sequence[Any]], *, inline: bool, max_rows: int, max_buttons: int
) -> str:
    """Long rows wrap at VK's row width; what still does not fit is dropped with a warning
    (the core's replies fit, so this only guards against a future reply that does not)."""
    wrapped = [
        row[start : start + ROW_LIMIT] for row in rows for start in range(0, len(row), ROW_LIMIT)
    ]
    keyboard = Keyboard(inline=inline)
    room = max_buttons
    for row in wrapped[:max_rows]:
        fitting = row[:room]
        if not fitting:
            break
        keyboard.row()
        for action in fitting:
            keyboard.add(action)
        room -= len(fitting)
    dropped = sum(len(row) for row in wrapped) - (max_buttons - room)
    if dropped:
        logger.warning("VK keyboard limits: %d button(s) dropped", dropped)
    return str(keyboard.get_json())
