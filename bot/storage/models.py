"""Database schema.

Texts residents wrote live in nullable columns so they can be anonymised later while every
row (and so every count) stays. Identity is always `(platform, external_id)`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER primary keys; PostgreSQL gets BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (which keeps no zone) too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime, dict[str, Any]: JSON}


class ResidentRow(Base):
    __tablename__ = "residents"
    __table_args__ = (UniqueConstraint("platform", "external_id", name="uq_residents_identity"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str | None] = mapped_column(String(256))
    username: Mapped[str | None] = mapped_column(String(128))
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    banned: Mapped[bool] = mapped_column(Boolean, default=False)
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    consent_version: Mapped[str | None] = mapped_column(String(32))
    consent_at: Mapped[datetime | None]
    consent_declined: Mapped[bool] = mapped_column(Boolean, default=False)
    anonymised_at: Mapped[datetime | None]


class ExchangeRow(Base):
    """One message the bot heard or said, with what it decided."""

    __tablename__ = "exchanges"
    __table_args__ = (Index("ix_exchanges_resident_created", "resident_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    text_length: Mapped[int] = mapped_column(Integer, default=0)
    chat_id: Mapped[str] = mapped_column(String(64))
    platform_message_id: Mapped[str | None] = mapped_column(String(64))
    in_reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("exchanges.id"))
    outcome: Mapped[str | None] = mapped_column(String(24), index=True)
    faq_entry_id: Mapped[str | None] = mapped_column(String(128), index=True)
    faq_score: Mapped[float | None] = mapped_column(Float)
    candidates: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    attachments: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    feedback: Mapped[str | None] = mapped_column(String(16))
    feedback_at: Mapped[datetime | None]
    appeal_id: Mapped[int | None] = mapped_column(ForeignKey("appeals.id"), index=True)
    inbox_id: Mapped[int | None] = mapped_column(ForeignKey("inbox.id"))
    created_at: Mapped[datetime] = mapped_column(index=True)


class InboxRow(Base):
    """Every fetched platform update, stored before it is confirmed to the platform."""

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("transport", "update_key", name="uq_inbox_update"),
        Index("ix_inbox_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    transport: Mapped[str] = mapped_column(String(16))
    update_key: Mapped[str] = mapped_column(String(128))
    ordering_key: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(8))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


class TransportStateRow(Base):
    """Cursor-like state of a transport (e.g. VK long-poll `ts`), kept with the inbox."""

    __tablename__ = "transport_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class ConversationStateRow(Base):
    """Where a multi-step flow stands for one resident or staff member; survives restarts."""

    __tablename__ = "conversation_state"
    __table_args__ = (UniqueConstraint("platform", "external_id", name="uq_conversation_state"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime]


class AppealRow(Base):
    __tablename__ = "appeals"
    __table_args__ = (UniqueConstraint("year", "sequence", name="uq_appeals_number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    category: Mapped[str | None] = mapped_column(String(128))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    staff_chat_id: Mapped[str | None] = mapped_column(String(64))
    taken_by: Mapped[str | None] = mapped_column(String(64))
    opened_at: Mapped[datetime]
    deadline_at: Mapped[datetime]
    first_response_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    last_activity_at: Mapped[datetime]
    rating: Mapped[int | None] = mapped_column(Integer)


class AppealEventRow(Base):
    __tablename__ = "appeal_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24), index=True)
    actor: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(index=True)


class MessageLinkRow(Base):
    """A resident-side message and its staff-chat counterpart, so replies route back."""

    __tablename__ = "message_links"
    __table_args__ = (
        UniqueConstraint("staff_chat_id", "staff_message_id", name="uq_message_links_staff"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    staff_chat_id: Mapped[str] = mapped_column(String(64))
    staff_message_id: Mapped[str] = mapped_column(String(64))
    resident_chat_id: Mapped[str | None] = mapped_column(String(64))
    resident_message_id: Mapped[str | None] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime]


class PollRow(Base):
    """A poll goes draft → scheduled (publishing requested; the bot sends it once it opens) →
    published → closed; the status column is what keeps the scheduler from acting twice."""

    __tablename__ = "polls"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    multiple: Mapped[bool] = mapped_column(Boolean, default=False)
    other: Mapped[bool] = mapped_column(Boolean, default=False)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    revote: Mapped[bool] = mapped_column(Boolean, default=True)
    audience: Mapped[str] = mapped_column(String(16), default="all")
    status: Mapped[str] = mapped_column(String(16), index=True)
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    created_at: Mapped[datetime]
    publish_requested_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    results_published_at: Mapped[datetime | None]


class PollOptionRow(Base):
    __tablename__ = "poll_options"
    __table_args__ = (UniqueConstraint("poll_id", "position", name="uq_poll_options_position"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)


class BallotRow(Base):
    """One resident's participation in one poll: the unique key is what counts them once."""

    __tablename__ = "ballots"
    __table_args__ = (UniqueConstraint("poll_id", "resident_id", name="uq_ballots_voter"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    other_text: Mapped[str | None] = mapped_column(Text)
    cast_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class BallotChoiceRow(Base):
    __tablename__ = "ballot_choices"
    __table_args__ = (UniqueConstraint("ballot_id", "option_id", name="uq_ballot_choices"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id", ondelete="CASCADE"))
    option_id: Mapped[int] = mapped_column(ForeignKey("poll_options.id"), index=True)


class CounterRow(Base):
    """Named counters (appeal numbers per year); incremented under a row lock."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class ForumTopicRow(Base):
    """A resident's own topic in a forum staff chat. A topic staff deleted is recreated and
    this row points at the new one, so there is one row per resident and chat."""

    __tablename__ = "forum_topics"
    __table_args__ = (
        UniqueConstraint("staff_chat_id", "resident_id", name="uq_forum_topics_resident"),
        UniqueConstraint("staff_chat_id", "topic_id", name="uq_forum_topics_topic"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    staff_chat_id: Mapped[str] = mapped_column(String(64))
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    topic_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128))
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SavedReplyRow(Base):
    """A staff answer kept under a short name for `/r NAME`."""

    __tablename__ = "saved_replies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime]


class NotificationSettingsRow(Base):
    """A resident's answer to the one-time question about announcements, and whether they
    opted out of everything (emergency alerts included) with /unsubscribe or by blocking the
    bot."""

    __tablename__ = "notification_settings"

    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), primary_key=True)
    asked_at: Mapped[datetime | None]
    answer: Mapped[str | None] = mapped_column(String(8))
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime]


class SubscriptionRow(Base):
    """A resident subscribed to one announcement topic."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("resident_id", "topic", name="uq_subscriptions_topic"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    topic: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime]


class BroadcastRow(Base):
    """One message to many residents (an announcement, a poll, its results). The audience is
    resolved into deliveries when it starts, so later subscribers of a scheduled one count."""

    __tablename__ = "broadcasts"
    __table_args__ = (Index("ix_broadcasts_status_scheduled", "status", "scheduled_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), index=True)
    subject_id: Mapped[int | None] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[bool] = mapped_column(Boolean, default=False)
    buttons: Mapped[list[Any] | None] = mapped_column(JSON)
    topic: Mapped[str | None] = mapped_column(String(64))
    emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    platforms: Mapped[list[Any]] = mapped_column(JSON)
    resident_ids: Mapped[list[Any] | None] = mapped_column(JSON)
    staff_chat_id: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    scheduled_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    total: Mapped[int] = mapped_column(Integer, default=0)
    progress_step: Mapped[int] = mapped_column(Integer, default=0)
    reported_at: Mapped[datetime | None]


class BroadcastAttachmentRow(Base):
    """Media of a broadcast: a platform handle, or the bytes when there is none (a file)."""

    __tablename__ = "broadcast_attachments"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "position", name="uq_broadcast_attachments_position"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(Text)
    platform: Mapped[str | None] = mapped_column(String(16))
    file_name: Mapped[str | None] = mapped_column(String(256))
    data: Mapped[bytes | None] = mapped_column(LargeBinary)


class DeliveryRow(Base):
    """One resident's copy of a broadcast. The unique key makes one row per resident; the row
    is marked in its own transaction right after the send, so a restart sends only the rest."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "resident_id", name="uq_deliveries_recipient"),
        Index("ix_deliveries_queue", "status", "platform", "priority", "id"),
        Index("ix_deliveries_broadcast_status", "broadcast_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(8))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    message_ids: Mapped[str | None] = mapped_column(String(256))
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
