"""The staff chats as the core sees them: posting about appeals and remembering which
staff-chat message belongs to which appeal, so replies route back without `forward_from`.

An appeal goes to the chat of its category (`STAFF_ROUTES`) or to the default chat; in a chat
that is a forum everything about a resident goes into the resident's own topic."""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core import sanitize, staff_texts
from bot.core.actions import StaffAction, StaffVerb
from bot.core.messages import Attachment, AttachmentKind, Button, Platform, Reply
from bot.core.ports import Clock, DeliveryError, Messengers, utc_now
from bot.core.topics import ForumTopics, OnRecreated, TopicGone, topic_name
from bot.storage.database import UnitOfWork
from bot.storage.records import ACTIVE_STATUSES, Appeal, Resident
from faq import Candidate

logger = logging.getLogger(__name__)

SUMMARY_QUESTION_LIMIT = 500


@dataclass(frozen=True)
class StaffChat:
    platform: Platform
    chat_id: str


def format_moment(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%d.%m.%Y %H:%M")


def resident_label(resident: Resident) -> str:
    """The resident's name as HTML, linked to their profile where the platform allows."""
    name = sanitize.name_html(resident.display_name or "") or staff_texts.NAMELESS
    external = resident.key.external_id
    if resident.platform is Platform.TELEGRAM:
        label = f'<a href="tg://user?id={external}">{name}</a>'
        if resident.username:
            label += f" (@{html.escape(resident.username)})"
        return label
    if resident.platform is Platform.VK:
        return f'<a href="https://vk.com/id{external}">{name}</a>'
    return name


class StaffDesk:
    def __init__(
        self,
        chat: StaffChat | None,
        messengers: Messengers,
        tz: ZoneInfo,
        *,
        routes: dict[str, StaffChat] | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.chat = chat
        self._routes = {category.casefold(): target for category, target in (routes or {}).items()}
        self._messengers = messengers
        self._tz = tz
        self._clock = clock
        self.topics = ForumTopics(messengers, clock)

    @property
    def configured(self) -> bool:
        return self.chat is not None or bool(self._routes)

    @property
    def chats(self) -> tuple[StaffChat, ...]:
        """Every staff chat: the default one first, then the routed ones."""
        found = [self.chat] if self.chat is not None else []
        found += [target for target in self._routes.values() if target not in found]
        return tuple(found)

    def route(self, category: str | None) -> StaffChat | None:
        """Where a new appeal of `category` goes."""
        return self._routes.get((category or "").casefold(), self.chat)

    def chat_for(self, appeal: Appeal) -> StaffChat | None:
        """The chat an appeal was routed to (or the default one for an appeal from before)."""
        for known in self.chats:
            if known.chat_id == appeal.staff_chat_id:
                return known
        return self.chat

    async def detect_forums(self, platform: Platform) -> None:
        """Ask the platform once, at start, which staff chats are forums."""
        for known in self.chats:
            if known.platform is platform:
                await self.topics.is_forum(known.platform, known.chat_id)

    async def in_forum(self, chat: StaffChat) -> bool:
        return await self.topics.is_forum(chat.platform, chat.chat_id)

    async def post_appeal(
        self,
        uow: UnitOfWork,
        appeal: Appeal,
        resident: Resident,
        text: str,
        attachments: tuple[Attachment, ...],
        candidates: tuple[Candidate, ...],
        at: datetime,
    ) -> None:
        """The appeal card with its buttons, then copies of the media, all linked."""
        target = self.route(appeal.category)
        if target is not None and target.chat_id != appeal.staff_chat_id:
            appeal = await uow.appeals.update(appeal.id, staff_chat_id=target.chat_id)
        lines = [
            f"<b>Обращение № {appeal.number}</b> · "
            f"{staff_texts.PLATFORM_NAMES.get(resident.platform.value, resident.platform.value)}",
            f"От: {resident_label(resident)}",
        ]
        if appeal.category:
            lines.append(f"Категория: {html.escape(appeal.category)}")
        lines.append(f"Срок ответа: {format_moment(appeal.deadline_at, self._tz)}")
        if candidates:
            guesses = ", ".join(f"{c.entry_id} ({c.score:.0f})" for c in candidates)
            lines.append(f"Похожие вопросы FAQ: {html.escape(guesses)}")
        body = "\n".join(lines) + "\n\n" + (sanitize.quote_html(text) or staff_texts.NO_TEXT)
        buttons = (
            (
                Button(staff_texts.TAKE_BUTTON, StaffAction(StaffVerb.TAKE, appeal.id)),
                Button(staff_texts.CLOSE_BUTTON, StaffAction(StaffVerb.CLOSE, appeal.id)),
            ),
            (Button(staff_texts.SPAM_BUTTON, StaffAction(StaffVerb.SPAM, appeal.id)),),
        )
        card = Reply(body, buttons=buttons, html=True, quotes_resident=True)
        await self._post_linked(uow, appeal, resident, card, at)
        await self.post_media(uow, appeal, resident, attachments, at)

    async def post_follow_up(
        self,
        uow: UnitOfWork,
        appeal: Appeal,
        resident: Resident,
        text: str,
        attachments: tuple[Attachment, ...],
        at: datetime,
    ) -> None:
        if text or not attachments:
            body = f"<b>№ {appeal.number}</b> · {resident_label(resident)} пишет:\n\n" + (
                sanitize.quote_html(text) or staff_texts.NO_TEXT
            )
            reply = Reply(body, html=True, quotes_resident=True)
            await self._post_linked(uow, appeal, resident, reply, at)
        await self.post_media(uow, appeal, resident, attachments, at)

    async def post_media(
        self,
        uow: UnitOfWork,
        appeal: Appeal,
        resident: Resident,
        attachments: tuple[Attachment, ...],
        at: datetime,
    ) -> None:
        chat = self.chat_for(appeal)
        if chat is None:
            return
        for attachment in attachments:
            try:
                portable = await self.portable(attachment, chat.platform)
            except DeliveryError as error:
                # A medium that cannot cross platforms (a VK video, link or gift) must not
                # lose the appeal: the card and the other media are posted without it.
                logger.warning("Appeal %s: attachment not copied: %s", appeal.number, error)
                continue
            name = sanitize.plain_name(resident.display_name or "")
            caption = f"№ {appeal.number} · {name}".strip(" ·")
            reply = Reply(caption, attachments=(portable,), quotes_resident=True)
            await self._post_linked(uow, appeal, resident, reply, at)

    async def notify(self, text: str, *, chat_id: str | None = None) -> list[str]:
        """A service message (reminders, receipts, resident events) in a staff chat: the
        default one unless `chat_id` names another."""
        target = next((c for c in self.chats if c.chat_id == chat_id), self.chat)
        if target is None:
            return []
        messenger = self._messengers[target.platform]
        return await messenger.send(chat_id or target.chat_id, Reply(text, html=True))

    async def portable(self, attachment: Attachment, target: Platform) -> Attachment:
        """The attachment in a form `target` can send: its own handle, or downloaded bytes."""
        if attachment.platform in (target, None) or attachment.kind in (
            AttachmentKind.LOCATION,
            AttachmentKind.CONTACT,
        ):
            return attachment
        data = await self._messengers[attachment.platform].download(attachment)
        return replace(attachment, data=data, ref="", platform=None)

    async def close_topic(
        self, uow: UnitOfWork, appeal: Appeal, resident: Resident, reply: Reply
    ) -> str | None:
        """In forum mode, post `reply` into the resident's topic and close the topic, as the
        appeal is closed; returns the topic id, or None when there is no topic to close."""
        chat = self.chat_for(appeal)
        if chat is None or not await self.in_forum(chat):
            return None
        topic = await uow.topics.for_resident(chat.chat_id, resident.id)
        if topic is None or topic.closed:
            return None
        others = await uow.appeals.active_for_resident(resident.id)
        if any(a.id != appeal.id and a.staff_chat_id == chat.chat_id for a in others):
            return None
        await self._post_linked(uow, appeal, resident, reply, self._clock())
        topic = await uow.topics.for_resident(chat.chat_id, resident.id)
        if topic is None:
            return None
        await self.topics.close(uow, chat.platform, topic)
        return topic.topic_id

    async def sync_topics(self, uow: UnitOfWork) -> None:
        """Close the topics of residents left without an open appeal in that chat (closed
        automatically, withdrawn, erased), so the list of open topics is the work to do. The
        name is brought up to date too: an erased resident's name leaves the topic list."""
        for topic in await uow.topics.open_topics():
            chat = next((c for c in self.chats if c.chat_id == topic.staff_chat_id), None)
            messenger = self.topics.messenger(chat.platform) if chat else None
            if chat is None or messenger is None or not await self.in_forum(chat):
                continue
            appeal = await self.latest_appeal(uow, chat.chat_id, topic.resident_id)
            resident = await uow.residents.get(topic.resident_id)
            if appeal is None or resident is None or appeal.active:
                continue
            try:
                await messenger.send_in_topic(
                    chat.chat_id, topic.topic_id, Reply(staff_texts.TOPIC_IDLE)
                )
                name = topic_name(resident, appeal)
                if name != topic.name:
                    await messenger.rename_topic(chat.chat_id, topic.topic_id, name)
                    await uow.topics.update(chat.chat_id, resident.id, self._clock(), name=name)
            except DeliveryError as error:
                logger.info("Topic %s not tidied before closing: %s", topic.topic_id, error)
            await self.topics.close(uow, chat.platform, topic)

    async def post_in_topic(
        self, uow: UnitOfWork, chat: StaffChat, topic_id: str, reply: Reply
    ) -> list[str]:
        """An answer to something staff did in a topic. If the topic is gone meanwhile, the
        resident's topic is recreated for it; failing that, it goes to the chat itself."""
        topic = await uow.topics.by_topic(chat.chat_id, topic_id)
        if topic is not None:
            resident = await uow.residents.get(topic.resident_id)
            appeal = await self.latest_appeal(uow, chat.chat_id, topic.resident_id)
            if resident is not None and appeal is not None:
                return await self._send_to_topic(uow, chat, appeal, resident, reply)
        messenger = self.topics.messenger(chat.platform)
        assert messenger is not None
        try:
            return await messenger.send_in_topic(chat.chat_id, topic_id, reply)
        except TopicGone:
            return await messenger.send(chat.chat_id, reply)

    @staticmethod
    async def latest_appeal(uow: UnitOfWork, chat_id: str, resident_id: int) -> Appeal | None:
        """The appeal a resident's topic is about: the newest open one routed to this chat,
        else the newest one at all."""
        here = [
            a for a in await uow.appeals.for_resident(resident_id) if a.staff_chat_id == chat_id
        ]
        active = [a for a in here if a.status in ACTIVE_STATUSES]
        chosen = active or here
        return chosen[-1] if chosen else None

    async def post_about(
        self, uow: UnitOfWork, appeal: Appeal, resident: Resident, text: str, at: datetime
    ) -> None:
        """A notice about an appeal (a reminder, a withdrawal, a rating) where staff follow it:
        the appeal's chat, and its resident's topic in forum mode; linked, so a reply to it
        answers the resident."""
        await self._post_linked(uow, appeal, resident, Reply(text, html=True), at)

    async def _post_linked(
        self, uow: UnitOfWork, appeal: Appeal, resident: Resident, reply: Reply, at: datetime
    ) -> None:
        chat = self.chat_for(appeal)
        if chat is None:
            logger.warning(
                "No staff chat configured: appeal %s stays in the database", appeal.number
            )
            return
        try:
            if await self.in_forum(chat):
                message_ids = await self._send_to_topic(uow, chat, appeal, resident, reply)
            else:
                message_ids = await self._messengers[chat.platform].send(chat.chat_id, reply)
        except DeliveryError as error:
            logger.error("Staff chat refused a post about %s: %s", appeal.number, error)
            raise
        await self._link(uow, chat, appeal, resident, message_ids, at)

    async def _link(
        self,
        uow: UnitOfWork,
        chat: StaffChat,
        appeal: Appeal,
        resident: Resident,
        message_ids: list[str],
        at: datetime,
    ) -> None:
        for message_id in message_ids:
            await uow.appeals.link(
                appeal_id=appeal.id,
                resident_id=resident.id,
                staff_chat_id=chat.chat_id,
                staff_message_id=message_id,
                direction="in",
                at=at,
            )

    async def _send_to_topic(
        self, uow: UnitOfWork, chat: StaffChat, appeal: Appeal, resident: Resident, reply: Reply
    ) -> list[str]:
        """Into the resident's topic about `appeal`, recreating it (with a summary) if gone."""
        return await self.topics.send(
            uow,
            chat.platform,
            chat.chat_id,
            resident,
            topic_name(resident, appeal),
            reply,
            self._summary(uow, chat, appeal, resident),
        )

    def _summary(
        self, uow: UnitOfWork, chat: StaffChat, appeal: Appeal, resident: Resident
    ) -> OnRecreated:
        """What a recreated topic starts with: the open appeal in short, linked to it."""

        async def post(topic_id: str) -> None:
            exchanges = await uow.exchanges.for_resident(resident.id)
            asked = [
                e.text
                for e in exchanges
                if e.appeal_id == appeal.id and e.direction == "in" and e.text
            ]
            question = _shorten(asked[0], SUMMARY_QUESTION_LIMIT) if asked else ""
            text = staff_texts.TOPIC_RECREATED.format(
                number=appeal.number,
                resident=resident_label(resident),
                status=staff_texts.STATUS_NAMES.get(appeal.status.value, appeal.status.value),
                deadline=format_moment(appeal.deadline_at, self._tz),
                question=sanitize.quote_html(question) or staff_texts.NO_TEXT,
            )
            messenger = self.topics.messenger(chat.platform)
            assert messenger is not None
            message_ids = await messenger.send_in_topic(
                chat.chat_id, topic_id, Reply(text, html=True, quotes_resident=True)
            )
            await self._link(uow, chat, appeal, resident, message_ids, self._clock())

        return post


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
