"""Plain records that repositories hand back: services never see ORM rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.messages import Platform, ResidentKey
from faq.decision import Candidate


@dataclass(frozen=True)
class Resident:
    id: int
    key: ResidentKey
    display_name: str | None
    username: str | None
    first_seen: datetime
    last_seen: datetime
    banned: bool
    reachable: bool

    @property
    def platform(self) -> Platform:
        return self.key.platform


@dataclass(frozen=True)
class Exchange:
    id: int
    resident_id: int
    platform: Platform
    direction: str
    kind: str
    text: str | None
    chat_id: str
    platform_message_id: str | None
    outcome: str | None
    faq_entry_id: str | None
    faq_score: float | None
    candidates: tuple[Candidate, ...]
    feedback: str | None
    appeal_id: int | None
    created_at: datetime


@dataclass(frozen=True)
class InboxItem:
    """An update as fetched, before it has an inbox id."""

    update_key: str
    ordering_key: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class InboxRecord:
    id: int
    transport: str
    update_key: str
    ordering_key: str
    payload: dict[str, Any]
    attempts: int
    received_at: datetime


@dataclass(frozen=True)
class ConversationState:
    state: str
    data: dict[str, Any]
    updated_at: datetime
