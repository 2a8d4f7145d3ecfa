"""Platform-neutral messages: what adapters hand to the core and what the core sends back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.core.actions import Action


class Platform(StrEnum):
    TELEGRAM = "telegram"
    VK = "vk"
    CONSOLE = "console"


@dataclass(frozen=True)
class ResidentKey:
    """A resident is a platform account: the same person on two platforms is two residents."""

    platform: Platform
    external_id: str

    def __str__(self) -> str:
        return f"{self.platform}:{self.external_id}"


class AttachmentKind(StrEnum):
    PHOTO = "photo"
    DOCUMENT = "document"
    VOICE = "voice"
    VIDEO = "video"
    VIDEO_NOTE = "video_note"
    AUDIO = "audio"
    ANIMATION = "animation"
    STICKER = "sticker"
    LOCATION = "location"
    CONTACT = "contact"
    OTHER = "other"


@dataclass(frozen=True)
class Attachment:
    """A piece of media. `ref` is a handle valid on `platform` (a Telegram file id, a VK URL or
    attachment string); media crossing platforms travels as `data` bytes instead. `origin`
    (`chat:message` on `platform`) is the message the media can be copied from as it is."""

    kind: AttachmentKind
    ref: str = ""
    platform: Platform | None = None
    file_name: str | None = None
    data: bytes | None = field(default=None, repr=False)
    latitude: float | None = None
    longitude: float | None = None
    origin: str | None = None


@dataclass(frozen=True)
class Incoming:
    """One thing a resident did: wrote, sent media or pressed a button (`callback_data` is the
    button's raw payload, parsed by the core so that forged payloads get one clear answer)."""

    resident: ResidentKey
    chat_id: str
    received_at: datetime
    text: str = ""
    display_name: str | None = None
    username: str | None = None
    message_id: str | None = None
    attachments: tuple[Attachment, ...] = ()
    callback_data: str | None = None
    inbox_id: int | None = None

    @property
    def command(self) -> str | None:
        """`/start@bot args` → `start`; None when the text is not a command."""
        stripped = self.text.strip()
        if not stripped.startswith("/") or len(stripped) < 2:
            return None
        word = stripped.split(maxsplit=1)[0][1:]
        return word.split("@", 1)[0].lower() or None


@dataclass(frozen=True)
class Button:
    text: str
    action: Action


@dataclass(frozen=True)
class Reply:
    """Something to send: text with optional inline buttons (rows) and a persistent menu.
    With `html`, the text is Telegram-style HTML whose resident-supplied parts were escaped;
    `reply_to` is a message id in the same chat the first message answers; `pin` asks to pin
    the first message where the platform allows (urgent notices in the staff chat);
    `edit_message_id` replaces that earlier message of the bot instead (a poll after a vote),
    falling back to a new message where the platform refuses the edit; `quotes_resident`
    marks a staff-chat post carrying what a resident wrote: no link previews, no mentions."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    menu: tuple[tuple[str, ...], ...] | None = None
    attachments: tuple[Attachment, ...] = field(default=())
    html: bool = False
    reply_to: str | None = None
    pin: bool = False
    edit_message_id: str | None = None
    quotes_resident: bool = False
