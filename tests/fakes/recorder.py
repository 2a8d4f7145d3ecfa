"""A messenger for core tests that records what it was asked to send."""

from __future__ import annotations

from bot.core.messages import Attachment, Platform, Reply
from bot.core.ports import DeliveryError


class RecordingMessenger:
    platform = Platform.TELEGRAM

    def __init__(self) -> None:
        self.sent: list[tuple[str, Reply]] = []
        self.fail_with: DeliveryError | None = None

    @property
    def replies(self) -> list[Reply]:
        return [reply for _, reply in self.sent]

    async def send(self, chat_id: str, reply: Reply) -> list[str]:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append((chat_id, reply))
        return [str(len(self.sent))]

    async def download(self, attachment: Attachment) -> bytes:
        return b"x"
