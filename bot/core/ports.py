"""What the core needs from the outside world, implemented by each platform adapter."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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


class RateLimited(DeliveryError):
    """The platform asked to wait `retry_after` seconds (Telegram 429, VK flood errors) and
    nothing of the reply was sent yet. Messengers raise it only inside `raising_rate_limits()`;
    elsewhere they wait and retry on their own."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited: retry after {retry_after} s")
        self.retry_after = retry_after


_RAISE_RATE_LIMITS: ContextVar[bool] = ContextVar("raise_rate_limits", default=False)


@contextmanager
def raising_rate_limits() -> Iterator[None]:
    """The broadcaster sends in here: one pause of its rate limiter then holds every send on
    the platform, instead of each send in flight sleeping and retrying on its own."""
    token = _RAISE_RATE_LIMITS.set(True)
    try:
        yield
    finally:
        _RAISE_RATE_LIMITS.reset(token)


def rate_limits_raised() -> bool:
    return _RAISE_RATE_LIMITS.get()


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
