"""Saved replies: `/save NAME` keeps the text of a staff message, `/r NAME` sends it to the
resident of an appeal the way a normal staff reply goes, `/replies` lists them."""

from __future__ import annotations

import html
import re

from bot.core import staff_texts
from bot.core.messages import Reply
from bot.core.ports import Clock, utc_now
from bot.core.staff import StaffMessage, StaffResult, StaffService
from bot.storage.database import UnitOfWork

NAME = re.compile(r"^[\w-]{1,32}$")
PREVIEW_LIMIT = 60


class SavedReplies:
    def __init__(self, staff: StaffService, clock: Clock = utc_now) -> None:
        self._staff = staff
        self._clock = clock

    async def save(self, uow: UnitOfWork, message: StaffMessage, argument: str) -> StaffResult:
        """`/save NAME` as a reply to a message: its text is kept under NAME (overwriting)."""
        name = argument.split(maxsplit=1)[0].lower() if argument else ""
        text = (message.reply_to_text or "").strip()
        if message.reply_to_message_id is None or not text or not name:
            return StaffResult(Reply(staff_texts.SAVE_USAGE))
        if not NAME.match(name):
            return StaffResult(Reply(staff_texts.SAVE_BAD_NAME))
        author = f"{message.platform}:{message.user_id}"
        created = await uow.saved_replies.save(name, text, author, self._clock())
        template = staff_texts.SAVED_REPLY_CREATED if created else staff_texts.SAVED_REPLY_UPDATED
        return StaffResult(Reply(template.format(name=name)))

    async def send(self, uow: UnitOfWork, message: StaffMessage, argument: str) -> StaffResult:
        """`/r NAME [number]`: to the appeal replied to, named, or of the topic."""
        name, _, rest = argument.partition(" ")
        if not name:
            return StaffResult(Reply(staff_texts.SAVED_REPLY_USAGE))
        saved = await uow.saved_replies.get(name.lower())
        if saved is None:
            return StaffResult(Reply(staff_texts.SAVED_REPLY_UNKNOWN.format(name=name)))
        target = await self._staff.target(uow, message, rest)
        if isinstance(target, Reply):
            return StaffResult(target)
        appeal, resident = target
        if resident.banned:
            return StaffResult(Reply(staff_texts.BANNED_RESIDENT))
        return await self._staff.deliver(uow, message, appeal, resident, saved.text)

    async def list(self, uow: UnitOfWork, message: StaffMessage, argument: str) -> StaffResult:
        saved = await uow.saved_replies.all()
        if not saved:
            return StaffResult(Reply(staff_texts.SAVED_REPLIES_EMPTY))
        lines = [staff_texts.SAVED_REPLIES_HEADER]
        for reply in saved:
            text = " ".join(reply.text.split())
            preview = text if len(text) <= PREVIEW_LIMIT else text[: PREVIEW_LIMIT - 1] + "…"
            lines.append(f"• <b>{html.escape(reply.name)}</b> — {html.escape(preview)}")
        return StaffResult(Reply("\n".join(lines), html=True))
