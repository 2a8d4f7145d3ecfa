"""The staff chat as the core sees it: posting about appeals and remembering which staff-chat
message belongs to which appeal, so replies route back without `forward_from`."""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core import staff_texts
from bot.core.actions import StaffAction, StaffVerb
from bot.core.messages import Attachment, AttachmentKind, Button, Platform, Reply
from bot.core.ports import DeliveryError, Messengers
from bot.storage.database import UnitOfWork
from bot.storage.records import Appeal, Resident
from faq import Candidate

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StaffChat:
    platform: Platform
    chat_id: str


def format_moment(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%d.%m.%Y %H:%M")


def resident_label(resident: Resident) -> str:
    """The resident's name as HTML, linked to their profile where the platform allows."""
    name = html.escape(resident.display_name or "Без имени")
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
    def __init__(self, chat: StaffChat | None, messengers: Messengers, tz: ZoneInfo) -> None:
        self.chat = chat
        self._messengers = messengers
        self._tz = tz

    @property
    def configured(self) -> bool:
        return self.chat is not None

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
        body = "\n".join(lines) + "\n\n" + (html.escape(text) if text else "<i>(без текста)</i>")
        buttons = (
            (
                Button(staff_texts.TAKE_BUTTON, StaffAction(StaffVerb.TAKE, appeal.id)),
                Button(staff_texts.CLOSE_BUTTON, StaffAction(StaffVerb.CLOSE, appeal.id)),
            ),
            (Button(staff_texts.SPAM_BUTTON, StaffAction(StaffVerb.SPAM, appeal.id)),),
        )
        await self._post_linked(uow, appeal, resident, Reply(body, buttons=buttons, html=True), at)
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
                html.escape(text) if text else "<i>(без текста)</i>"
            )
            await self._post_linked(uow, appeal, resident, Reply(body, html=True), at)
        await self.post_media(uow, appeal, resident, attachments, at)

    async def post_media(
        self,
        uow: UnitOfWork,
        appeal: Appeal,
        resident: Resident,
        attachments: tuple[Attachment, ...],
        at: datetime,
    ) -> None:
        if self.chat is None:
            return
        for attachment in attachments:
            portable = await self.portable(attachment, self.chat.platform)
            caption = f"№ {appeal.number} · {resident.display_name or ''}".strip(" ·")
            reply = Reply(caption, attachments=(portable,))
            await self._post_linked(uow, appeal, resident, reply, at)

    async def notify(self, text: str, *, chat_id: str | None = None) -> list[str]:
        """A service message (reminders, receipts, resident events) in the staff chat."""
        if self.chat is None:
            return []
        messenger = self._messengers[self.chat.platform]
        return await messenger.send(chat_id or self.chat.chat_id, Reply(text, html=True))

    async def portable(self, attachment: Attachment, target: Platform) -> Attachment:
        """The attachment in a form `target` can send: its own handle, or downloaded bytes."""
        if attachment.platform in (target, None) or attachment.kind in (
            AttachmentKind.LOCATION,
            AttachmentKind.CONTACT,
        ):
            return attachment
        data = await self._messengers[attachment.platform].download(attachment)
        return replace(attachment, data=data, ref="", platform=None)

    async def _post_linked(
        self, uow: UnitOfWork, appeal: Appeal, resident: Resident, reply: Reply, at: datetime
    ) -> None:
        if self.chat is None:
            logger.warning(
                "No staff chat configured: appeal %s stays in the database", appeal.number
            )
            return
        try:
            message_ids = await self._messengers[self.chat.platform].send(self.chat.chat_id, reply)
        except DeliveryError as error:
            logger.error("Staff chat refused a post about %s: %s", appeal.number, error)
            raise
        for message_id in message_ids:
            await uow.appeals.link(
                appeal_id=appeal.id,
                resident_id=resident.id,
                staff_chat_id=self.chat.chat_id,
                staff_message_id=message_id,
                direction="in",
                at=at,
            )
