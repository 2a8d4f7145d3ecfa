"""Plain records that repositories hand back: services never see ORM rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.core.messages import Attachment, AttachmentKind, Platform, ResidentKey
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
    consent_version: str | None = None
    consent_declined: bool = False

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
    attachments: tuple[Attachment, ...] = ()


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


class AppealStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    CLOSED = "closed"
    CANCELLED = "cancelled"


ACTIVE_STATUSES = (AppealStatus.OPEN, AppealStatus.IN_PROGRESS, AppealStatus.ANSWERED)
AWAITING_STAFF = (AppealStatus.OPEN, AppealStatus.IN_PROGRESS)


@dataclass(frozen=True)
class Appeal:
    id: int
    year: int
    sequence: int
    resident_id: int
    status: AppealStatus
    category: str | None
    urgent: bool
    staff_chat_id: str | None
    taken_by: str | None
    opened_at: datetime
    deadline_at: datetime
    first_response_at: datetime | None
    answered_at: datetime | None
    closed_at: datetime | None
    last_activity_at: datetime
    rating: int | None

    @property
    def number(self) -> str:
        """Human-readable number, e.g. `2026-0042`."""
        return f"{self.year}-{self.sequence:04d}"

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


@dataclass(frozen=True)
class MessageLink:
    appeal_id: int
    resident_id: int
    staff_chat_id: str
    staff_message_id: str
    resident_chat_id: str | None
    resident_message_id: str | None
    direction: str


def attachment_to_json(attachment: Attachment) -> dict[str, Any]:
    """What is kept of an attachment: its handle, never its bytes."""
    return {
        "kind": attachment.kind.value,
        "ref": attachment.ref,
        "platform": attachment.platform.value if attachment.platform else None,
        "file_name": attachment.file_name,
        "latitude": attachment.latitude,
        "longitude": attachment.longitude,
        "origin": attachment.origin,
    }


def attachment_from_json(data: dict[str, Any]) -> Attachment:
    return Attachment(
        kind=AttachmentKind(data["kind"]),
        ref=data.get("ref") or "",
        platform=Platform(data["platform"]) if data.get("platform") else None,
        file_name=data.get("file_name"),
        latitude=data.get("latitude"),
        longitude=data.get("longitude"),
        origin=data.get("origin"),
    )


class PollStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    CLOSED = "closed"


# Residents may vote in these once the poll's opening time has come: a scheduled poll is
# live even before the broadcaster has reached everybody.
LIVE_POLL_STATUSES = (PollStatus.SCHEDULED, PollStatus.PUBLISHED)


class Audience(StrEnum):
    ALL = "all"
    TELEGRAM = "telegram"
    VK = "vk"


@dataclass(frozen=True)
class PollOption:
    id: int
    position: int
    text: str


@dataclass(frozen=True)
class Poll:
    id: int
    question: str
    options: tuple[PollOption, ...]
    multiple: bool
    other: bool
    anonymous: bool
    revote: bool
    audience: Audience
    status: PollStatus
    opens_at: datetime
    closes_at: datetime
    created_at: datetime
    publish_requested_at: datetime | None
    published_at: datetime | None
    closed_at: datetime | None

    def option(self, position: int) -> PollOption | None:
        return next((option for option in self.options if option.position == position), None)

    def reaches(self, platform: Platform) -> bool:
        return self.audience == Audience.ALL or self.audience.value == platform.value

    def accepts_votes(self, now: datetime) -> bool:
        return self.status in LIVE_POLL_STATUSES and self.opens_at <= now < self.closes_at


@dataclass(frozen=True)
class Ballot:
    """A resident's current answer; `positions` are the chosen options, in poll order."""

    id: int
    poll_id: int
    resident_id: int
    positions: tuple[int, ...]
    other_text: str | None
    cast_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class PollTally:
    """Counts only: who voted is not part of it."""

    voters: int
    votes: dict[int, int]
    other_answers: tuple[str, ...]


@dataclass(frozen=True)
class PublicVote:
    """One voter's answer, for polls announced as public only."""

    display_name: str | None
    key: ResidentKey
    positions: tuple[int, ...]
    other_text: str | None
