"""Announcements: news, outage notices and emergency alerts for residents.

Administrators prepare them in the staff chat (`/announce`: topic, text with an optional photo,
a preview exactly as residents see it, then «Отправить сейчас» or «Запланировать») or in a YAML
file (`python -m bot announce FILE.yaml`). Either way they become a broadcast.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.core import broadcast_texts as texts
from bot.core.actions import Action, AnnounceAction, AnnounceTopicAction, AnnounceVerb
from bot.core.broadcast import Audience, BroadcastService
from bot.core.dates import parse_moment
from bot.core.messages import Attachment, AttachmentKind, Button, Platform, Reply
from bot.core.ports import Clock, DeliveryError, Messengers, utc_now
from bot.core.staff import Role, StaffMessage, StaffResult, StaffService, staff_key
from bot.core.staffdesk import format_moment
from bot.core.subscriptions import BROADCAST_PLATFORMS
from bot.core.yaml_file import read_yaml
from bot.storage.database import UnitOfWork
from bot.storage.records import ConversationState, attachment_from_json, attachment_to_json

logger = logging.getLogger(__name__)

KIND = "announcement"
STATE_TOPIC = "announce:topic"
STATE_TEXT = "announce:text"
STATE_PREVIEW = "announce:preview"
STATE_WHEN = "announce:when"
STATE_CONFIRM = "announce:confirm"
STATES = (STATE_TOPIC, STATE_TEXT, STATE_PREVIEW, STATE_WHEN, STATE_CONFIRM)
TEXT_LIMIT = 4000
PHOTO_LIMIT = 10 * 1024 * 1024
TOPICS_PER_ROW = 2
TIME_EXAMPLE = "15.12.2026 09:00"
FILE_TIME_EXAMPLE = "2026-12-01T09:00 or 1 декабря 2026 09:00"
FILE_KEYS = {"topic", "emergency", "text", "photo", "at", "audience"}
FILE_AUDIENCES = {
    "all": BROADCAST_PLATFORMS,
    "telegram": frozenset({Platform.TELEGRAM}),
    "vk": frozenset({Platform.VK}),
}


@dataclass(frozen=True)
class AnnouncementSpec:
    """What to announce: a topic's news, or an emergency alert (`topic` None)."""

    text: str
    topic: str | None
    photo: Attachment | None = None
    at: datetime | None = None
    platforms: frozenset[Platform] = field(default=BROADCAST_PLATFORMS)

    @property
    def emergency(self) -> bool:
        return self.topic is None

    @property
    def audience(self) -> Audience:
        return Audience(self.platforms, topic=self.topic, emergency=self.emergency)

    @property
    def reply(self) -> Reply:
        """The announcement as residents see it: a header naming the topic, the text, and
        where to change subscriptions (an alert goes to everyone, so it has no footer)."""
        if self.topic is None:
            body = f"{texts.EMERGENCY_HEADER}\n\n{self.text}"
        else:
            header = texts.TOPIC_HEADER.format(topic=self.topic)
            body = f"{header}\n\n{self.text}\n\n{texts.FOOTER}"
        return Reply(body, attachments=(self.photo,) if self.photo else ())


class AnnouncementFileError(ValueError):
    """An announcement file cannot be used; the message is one line: the file and every
    reason."""


class AnnouncementService:
    def __init__(
        self,
        topics: Sequence[str],
        broadcasts: BroadcastService,
        messengers: Messengers,
        tz: ZoneInfo,
        clock: Clock = utc_now,
    ) -> None:
        self.topics = tuple(topics)
        self._broadcasts = broadcasts
        self._messengers = messengers
        self._tz = tz
        self._clock = clock

    def register(self, staff: StaffService) -> None:
        staff.add_command("announce", Role.ADMIN, self.command)
        for state in (STATE_TOPIC, STATE_TEXT, STATE_WHEN):
            staff.add_flow(state, self.on_flow)
        staff.add_button(AnnounceTopicAction, Role.ADMIN, self.on_button)
        staff.add_button(AnnounceAction, Role.ADMIN, self.on_button)

    async def queue(
        self,
        uow: UnitOfWork,
        spec: AnnouncementSpec,
        *,
        staff_chat_id: str | None,
        author: str | None,
    ) -> int:
        return await self._broadcasts.enqueue(
            uow,
            kind=KIND,
            subject_id=None,
            reply=spec.reply,
            audience=spec.audience,
            staff_chat_id=staff_chat_id,
            at=spec.at,
            author=author,
        )

    async def audience_size(self, uow: UnitOfWork, spec: AnnouncementSpec) -> int:
        return await self._broadcasts.audience_size(uow, spec.audience)

    # --- the staff chat

    async def command(self, uow: UnitOfWork, message: StaffMessage, argument: str) -> StaffResult:
        await uow.states.set(staff_key(message), STATE_TOPIC, {}, self._clock())
        buttons = [
            Button(topic, AnnounceTopicAction(position))
            for position, topic in enumerate(self.topics, start=1)
        ]
        rows = [
            tuple(buttons[start : start + TOPICS_PER_ROW])
            for start in range(0, len(buttons), TOPICS_PER_ROW)
        ]
        rows.append((Button(texts.EMERGENCY_BUTTON, AnnounceTopicAction(0)),))
        rows.append((Button(texts.CANCEL_BUTTON, AnnounceAction(AnnounceVerb.CANCEL)),))
        return StaffResult(Reply(texts.CHOOSE_TOPIC, buttons=tuple(rows)))

    async def on_button(
        self, uow: UnitOfWork, message: StaffMessage, action: Action
    ) -> StaffResult:
        key = staff_key(message)
        state = await uow.states.get(key)
        if state is None or state.state not in STATES:
            return _said(texts.STALE_DRAFT)
        if isinstance(action, AnnounceTopicAction):
            if state.state != STATE_TOPIC or action.topic > len(self.topics):
                return _said(texts.STALE_DRAFT)
            topic = self.topics[action.topic - 1] if action.topic else None
            await uow.states.set(key, STATE_TEXT, {"topic": topic}, self._clock())
            return _said(texts.ASK_TEXT.format(topic=html.escape(_topic_name(topic))))
        if not isinstance(action, AnnounceAction):
            return _said(texts.STALE_DRAFT)
        if action.verb is AnnounceVerb.CANCEL:
            await uow.states.clear(key)
            return _said(texts.CANCELLED)
        if action.verb is AnnounceVerb.LATER and state.state == STATE_PREVIEW:
            await uow.states.set(key, STATE_WHEN, state.data, self._clock())
            return _said(texts.ASK_WHEN.format(example=TIME_EXAMPLE))
        if action.verb is AnnounceVerb.SEND and state.state in (STATE_PREVIEW, STATE_CONFIRM):
            spec = _spec_from_state(state)
            broadcast_id = await self.queue(
                uow, spec, staff_chat_id=message.chat_id, author=_actor(message)
            )
            await uow.states.clear(key)
            if spec.at is None:
                return _said(texts.QUEUED.format(id=broadcast_id))
            when = format_moment(spec.at, self._tz)
            return _said(texts.SCHEDULED.format(when=when, id=broadcast_id))
        return _said(texts.STALE_DRAFT)

    async def on_flow(
        self, uow: UnitOfWork, message: StaffMessage, state: ConversationState
    ) -> StaffResult:
        if state.state == STATE_TOPIC:
            return StaffResult(Reply(texts.PICK_TOPIC_FIRST))
        if state.state == STATE_TEXT:
            return await self._on_text(uow, message, state)
        moment = parse_moment(message.text, self._tz)
        if moment is None:
            return StaffResult(Reply(texts.BAD_WHEN.format(example=TIME_EXAMPLE)))
        if moment <= self._clock():
            return StaffResult(Reply(texts.PAST_WHEN))
        data = {**state.data, "at": moment.isoformat()}
        await uow.states.set(staff_key(message), STATE_CONFIRM, data, self._clock())
        spec = _spec_from_state(ConversationState(STATE_CONFIRM, data, state.updated_at))
        count = await self.audience_size(uow, spec)
        text = texts.CONFIRM_LATER.format(
            when=format_moment(moment, self._tz), count=texts.number(count)
        )
        buttons = (
            (
                Button(texts.CONFIRM_BUTTON, AnnounceAction(AnnounceVerb.SEND)),
                Button(texts.CANCEL_BUTTON, AnnounceAction(AnnounceVerb.CANCEL)),
            ),
        )
        return StaffResult(Reply(text, buttons=buttons))

    async def _on_text(
        self, uow: UnitOfWork, message: StaffMessage, state: ConversationState
    ) -> StaffResult:
        text = message.text.strip()
        photos = [a for a in message.attachments if a.kind is AttachmentKind.PHOTO]
        if len(photos) != len(message.attachments) or len(photos) > 1:
            return StaffResult(Reply(texts.ONLY_ONE_PHOTO))
        if not text:
            return StaffResult(Reply(texts.NEED_TEXT))
        if len(text) > TEXT_LIMIT:
            return StaffResult(Reply(texts.TEXT_TOO_LONG.format(limit=TEXT_LIMIT)))
        data: dict[str, Any] = {
            "topic": state.data.get("topic"),
            "text": text,
            "photo": attachment_to_json(photos[0]) if photos else None,
        }
        await uow.states.set(staff_key(message), STATE_PREVIEW, data, self._clock())
        spec = _spec_from_state(ConversationState(STATE_PREVIEW, data, state.updated_at))
        try:
            await self._messengers[message.platform].send(message.chat_id, spec.reply)
        except DeliveryError as error:
            logger.warning("Announcement preview not shown: %s", error)
        count = await self.audience_size(uow, spec)
        summary = texts.PREVIEW.format(
            topic=html.escape(_topic_name(spec.topic)), count=texts.number(count)
        )
        buttons = (
            (
                Button(texts.SEND_BUTTON, AnnounceAction(AnnounceVerb.SEND)),
                Button(texts.LATER_BUTTON, AnnounceAction(AnnounceVerb.LATER)),
            ),
            (Button(texts.CANCEL_BUTTON, AnnounceAction(AnnounceVerb.CANCEL)),),
        )
        return StaffResult(Reply(summary, buttons=buttons))


def load_announcement_file(
    path: Path, *, topics: Sequence[str], tz: tzinfo, now: datetime
) -> AnnouncementSpec:
    data = read_yaml(path, AnnouncementFileError)
    if not isinstance(data, dict):
        raise AnnouncementFileError(f"{path}: expected a mapping of announcement settings")
    reasons: list[str] = []
    unknown = sorted(str(key) for key in data if key not in FILE_KEYS)
    if unknown:
        reasons.append(f"unknown key(s) {', '.join(repr(key) for key in unknown)}")
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        reasons.append("'text' is required")
        text = ""
    elif len(text.strip()) > TEXT_LIMIT:
        reasons.append(f"'text' is longer than {TEXT_LIMIT} characters")
    emergency = data.get("emergency", False)
    topic = data.get("topic")
    if not isinstance(emergency, bool):
        reasons.append("'emergency' must be true or false")
    elif emergency and topic is not None:
        reasons.append("an emergency alert goes to everyone: give no 'topic'")
    elif not emergency and topic not in topics:
        reasons.append(f"'topic' must be one of {', '.join(topics)}")
    audience = data.get("audience", "all")
    if audience not in FILE_AUDIENCES:
        reasons.append("'audience' must be all, telegram or vk")
        audience = "all"
    at = _file_moment(data.get("at"), tz, reasons)
    if at is not None and at <= now:
        reasons.append("'at' is in the past")
    photo = _file_photo(path, data.get("photo"), reasons)
    if reasons:
        raise AnnouncementFileError(f"{path}: {'; '.join(reasons)}")
    return AnnouncementSpec(
        text=text.strip(),
        topic=None if emergency else str(topic),
        photo=photo,
        at=at,
        platforms=FILE_AUDIENCES[audience],
    )


def _file_moment(value: Any, tz: tzinfo, reasons: list[str]) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=tz)
    moment = parse_moment(value, tz) if isinstance(value, str) else None
    if moment is None:
        kind = "a date without a time" if isinstance(value, date) else repr(value)
        reasons.append(f"'at' must be a date and time like {FILE_TIME_EXAMPLE}, got {kind}")
    return moment


def _file_photo(path: Path, value: Any, reasons: list[str]) -> Attachment | None:
    if value is None:
        return None
    if not isinstance(value, str):
        reasons.append("'photo' must be a file name")
        return None
    photo = path.parent / value
    try:
        data = photo.read_bytes()
    except OSError as error:
        reasons.append(f"photo {value!r} cannot be read ({error.strerror or error})")
        return None
    if len(data) > PHOTO_LIMIT:
        reasons.append(f"photo {value!r} is larger than 10 MB")
        return None
    return Attachment(AttachmentKind.PHOTO, data=data, file_name=photo.name)


def _spec_from_state(state: ConversationState) -> AnnouncementSpec:
    photo = state.data.get("photo")
    at = state.data.get("at")
    return AnnouncementSpec(
        text=str(state.data["text"]),
        topic=state.data.get("topic"),
        photo=attachment_from_json(photo) if photo else None,
        at=datetime.fromisoformat(at) if at else None,
    )


def _topic_name(topic: str | None) -> str:
    return topic if topic is not None else texts.EMERGENCY_NAME


def _said(text: str) -> StaffResult:
    return StaffResult(Reply(text), notice=text)


def _actor(message: StaffMessage) -> str:
    return f"{message.platform}:{message.user_id}"
