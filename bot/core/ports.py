"""What the core needs from the outside world, implemented by each platform adapter."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from bot.core.messages import Attachment, Platform, Reply

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class DeliveryError(Exception):
    """A message could not be delivered; `unreachable` means the recipient blocked the bot or
    the platform forbids writing to them, so retrying is pointless."""

    def __init__(self, reason: str, *, unreachable: bool = False) -> None:
        super().__init__(reason)
        self.unreachable = unreachable


class Messenger(Protocol):
    """Sends neutral replies on one platform."""

    platform: Platform

    async def send(self, chat_id: str, reply: Reply) -> list[str]:
        """Send `reply` (split as the platform requires); returns the message ids, in order.
        Raises DeliveryError when it cannot be delivered. Attachments carry either a `ref`
        valid on this platform or `data` bytes to upload."""
        ...

    async def download(self, attachment: Attachment) -> bytes:
        """The bytes of an attachment whose `ref` belongs to this platform."""
        ...


class Messengers:
    """The messengers configured in this process, by platform."""

    def __init__(self) -> None:
        self._by_platform: dict[Platform, Messenger] = {}

    def register(self, messenger: Messenger) -> None:
        self._by_platform[messenger.platform] = messenger

    def __getitem__(self, platform: Platform) -> Messenger:
        return self._by_platform[platform]

    def __contains__(self, platform: object) -> bool:
        return platform in self._by_platform
