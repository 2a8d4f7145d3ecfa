"""The staff side: replies to appeals, messages in residents' topics, buttons and commands
from the staff chats."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import Protocol

from bot.core import staff_texts, texts
from bot.core.actions import Action, StaffAction, StaffVerb, parse_action
from bot.core.appeals import AppealService
from bot.core.messages import Attachment, Platform, Reply, ResidentKey
from bot.core.ports import Clock, DeliveryError, utc_now
from bot.core.staffdesk import StaffChat, StaffDesk
from bot.core.text_split import storable
from bot.storage.database import Database, UnitOfWork
from bot.storage.records import (
    ACTIVE_STATUSES,
    Appeal,
    AppealStatus,
    ConversationState,
    Resident,
)

logger = logging.getLogger(__name__)

NUMBER = re.compile(r"(?:№\s*)?(\d{4})-(\d{1,6})")


class Role(IntEnum):
    NONE = 0
    STAFF = 1
    ADMIN = 2


class StaffDirectory(Protocol):
    """Who a user is in a staff chat, as the platform says (membership, administrator)."""

    async def chat_role(self, chat_id: str, user_id: str) -> Role: ...


@dataclass(frozen=True)
class StaffMessage:
    """Something a person did in a staff chat. `topic_id` is the forum topic it was written
    in, `reply_to_text` the text of the message it answers, `forum` whether the platform
    says the chat is a forum (None: not known)."""

    platform: Platform
    chat_id: str
    user_id: str
    user_name: str
    message_id: str | None = None
    text: str = ""
    attachments: tuple[Attachment, ...] = ()
    reply_to_message_id: str | None = None
    callback_data: str | None = None
    topic_id: str | None = None
    reply_to_text: str | None = None
    forum: bool | None = None

    @property
    def command(self) -> tuple[str, str] | None:
        stripped = self.text.strip()
        if not stripped.startswith("/"):
            return None
        word, _, rest = stripped.partition(" ")
        return word[1:].split("@", 1)[0].lower(), rest.strip()


@dataclass(frozen=True)
class StaffResult:
    """What the adapter shows: a reply in the chat and/or a short button notice."""

    reply: Reply | None = None
    notice: str | None = None


class StaffPolicy:
    """Chat membership decides who is staff; optional id lists narrow or extend it."""

    def __init__(
        self, directory: StaffDirectory, staff_ids: list[int], admin_ids: list[int]
    ) -> None:
        self._directory = directory
        self._staff_ids = {str(user) for user in staff_ids}
        self._admin_ids = {str(user) for user in admin_ids}

    async def role(self, chat_id: str, user_id: str) -> Role:
        in_chat = await self._directory.chat_role(chat_id, user_id)
        if in_chat is Role.NONE:
            return Role.NONE
        if user_id in self._admin_ids or in_chat is Role.ADMIN:
            return Role.ADMIN
        if self._staff_ids and user_id not in self._staff_ids:
            return Role.NONE
        return Role.STAFF


Handler = Callable[[UnitOfWork, StaffMessage, Appeal, Resident], Awaitable[StaffResult]]
CommandHandler = Callable[[UnitOfWork, StaffMessage, str], Awaitable[StaffResult]]
FlowHandler = Callable[[UnitOfWork, StaffMessage, ConversationState], Awaitable[StaffResult]]
ButtonHandler = Callable[[UnitOfWork, StaffMessage, Action], Awaitable[StaffResult]]


def handled_here(desk: StaffDesk, chat_id: str, appeal_chat_id: str | None) -> bool:
    """The one rule of where an appeal is acted on, for buttons, commands and `/forget`: in
    the staff chat it was routed to (`appeal_chat_id`). An appeal whose chat is no longer
    configured, or that never had one, falls to the default chat. Administrators of the
    default chat get nothing more: a routed chat's members are the ones who handle its
    appeals, and whoever supervises them joins that chat."""
    if appeal_chat_id == chat_id:
        return True
    configured = {chat.chat_id for chat in desk.chats}
    default = desk.chat.chat_id if desk.chat is not None else None
    return appeal_chat_id not in configured and chat_id == default


def staff_key(message: StaffMessage) -> ResidentKey:
    """Where a staff member's multi-step flow (a guided poll, an FAQ entry) keeps its state;
    apart from any private chat the same person has with the bot as a resident."""
    return ResidentKey(message.platform, f"staff:{message.user_id}")


class StaffService:
    def __init__(
        self,
        database: Database,
        appeals: AppealService,
        policy: StaffPolicy,
        clock: Clock = utc_now,
        *,
        note_mark: str = "!",
    ) -> None:
        self._database = database
        self._appeals = appeals
        self._policy = policy
        self._clock = clock
        self._note_mark = note_mark
        self._appeal_commands: dict[str, tuple[Role, Handler]] = {
            "close": (Role.STAFF, self._close),
            "reopen": (Role.STAFF, self._reopen),
            "ban": (Role.ADMIN, self._ban),
            "unban": (Role.ADMIN, self._unban),
        }
        self._commands: dict[str, tuple[Role, CommandHandler]] = {
            "appeals": (Role.STAFF, self._list),
        }
        self._flows: dict[str, FlowHandler] = {}
        self._buttons: dict[type, tuple[Role, ButtonHandler]] = {}

    def add_command(self, name: str, role: Role, handler: CommandHandler) -> None:
        """A staff command of another feature (`/stats`, `/poll_new`, ...); the role is checked
        before the handler runs."""
        self._commands[name] = (role, handler)

    def add_flow(self, state: str, handler: FlowHandler) -> None:
        """Plain messages of a staff member whose state (under `staff_key`) is `state`."""
        self._flows[state] = handler

    def add_button(self, action: type, role: Role, handler: ButtonHandler) -> None:
        """Staff-chat buttons carrying `action` payloads of another feature."""
        self._buttons[action] = (role, handler)

    async def handle(self, message: StaffMessage, inbox_id: int | None = None) -> StaffResult:
        """One staff-chat event in one transaction, which also finishes its inbox update."""
        message = replace(
            message, text=storable(message.text), user_name=storable(message.user_name)
        )
        async with self._database.unit_of_work() as uow:
            result = await self._handle(uow, message)
            if inbox_id is not None:
                await uow.inbox.mark_done(inbox_id, self._clock())
            await uow.commit()
        return result

    async def post_in_topic(self, message: StaffMessage, reply: Reply) -> list[str]:
        """Show `reply` in the topic `message` came from; a topic deleted meanwhile is
        recreated for it, so the answer is not lost."""
        assert message.topic_id is not None
        chat = StaffChat(message.platform, message.chat_id)
        async with self._database.unit_of_work() as uow:
            message_ids = await self._appeals.desk.post_in_topic(uow, chat, message.topic_id, reply)
            await uow.commit()
        return message_ids

    async def _handle(self, uow: UnitOfWork, message: StaffMessage) -> StaffResult:
        if message.forum is not None:
            self._appeals.desk.topics.seen(message.platform, message.chat_id, message.forum)
        if message.callback_data is not None:
            return await self._on_button(uow, message)
        command = message.command
        if command is None:
            if self._is_note(message):
                return StaffResult()
            if message.reply_to_message_id is not None:
                result = await self._on_reply(uow, message)
                if result != StaffResult():
                    return result
            result = await self._on_flow(uow, message)
            if result != StaffResult() or message.topic_id is None:
                return result
            return await self._on_topic(uow, message)
        name, argument = command
        if name in self._commands:
            needed, command_handler = self._commands[name]
            refusal = await self._refusal(message, needed)
            if refusal is not None:
                return StaffResult(Reply(refusal))
            return await command_handler(uow, message, argument)
        if name not in self._appeal_commands:
            return StaffResult()
        needed, handler = self._appeal_commands[name]
        refusal = await self._refusal(message, needed)
        if refusal is not None:
            return StaffResult(Reply(refusal))
        target = await self.target(uow, message, argument)
        if isinstance(target, Reply):
            return StaffResult(target)
        appeal, resident = target
        return await handler(uow, message, appeal, resident)

    def _is_note(self, message: StaffMessage) -> bool:
        """An internal note: stays in the staff chat, never reaches the resident."""
        return message.text.lstrip().startswith(self._note_mark)

    async def _role(self, message: StaffMessage) -> Role:
        return await self._policy.role(message.chat_id, message.user_id)

    async def _refusal(self, message: StaffMessage, needed: Role) -> str | None:
        role = await self._role(message)
        if role >= needed:
            return None
        return staff_texts.NOT_ALLOWED if role < Role.STAFF else staff_texts.ADMINS_ONLY

    async def _on_flow(self, uow: UnitOfWork, message: StaffMessage) -> StaffResult:
        state = await uow.states.get(staff_key(message))
        if state is None or state.state not in self._flows:
            return StaffResult()
        if await self._role(message) < Role.STAFF:
            return StaffResult()
        return await self._flows[state.state](uow, message, state)

    async def target(
        self, uow: UnitOfWork, message: StaffMessage, argument: str
    ) -> tuple[Appeal, Resident] | Reply:
        """The appeal a command is about: its number, the message it replies to, or the
        resident's topic it was written in. Only appeals routed to this chat count."""
        appeal: Appeal | None = None
        match = NUMBER.search(argument)
        if match:
            appeal = await uow.appeals.by_number(int(match.group(1)), int(match.group(2)))
            if appeal is None:
                return Reply(staff_texts.UNKNOWN_APPEAL.format(number=html.escape(argument)))
            if not handled_here(self._appeals.desk, message.chat_id, appeal.staff_chat_id):
                return Reply(staff_texts.OTHER_CHAT_APPEAL.format(number=appeal.number))
        elif message.reply_to_message_id is not None:
            link = await uow.appeals.find_link(message.chat_id, message.reply_to_message_id)
            appeal = await uow.appeals.get(link.appeal_id) if link else None
        if appeal is None and message.topic_id is not None:
            appeal = await self._topic_appeal(uow, message)
        if appeal is None:
            return Reply(staff_texts.NEED_TARGET)
        resident = await uow.residents.get(appeal.resident_id)
        assert resident is not None
        return appeal, resident

    async def _topic_appeal(self, uow: UnitOfWork, message: StaffMessage) -> Appeal | None:
        assert message.topic_id is not None
        topic = await uow.topics.by_topic(message.chat_id, message.topic_id)
        if topic is None:
            return None
        return await self._appeals.desk.latest_appeal(uow, message.chat_id, topic.resident_id)

    async def _on_topic(self, uow: UnitOfWork, message: StaffMessage) -> StaffResult:
        """In forum mode staff answer by simply writing in the resident's topic."""
        assert message.topic_id is not None
        topic = await uow.topics.by_topic(message.chat_id, message.topic_id)
        if topic is None or await self._role(message) < Role.STAFF:
            return StaffResult()
        appeal = await self._topic_appeal(uow, message)
        if appeal is None:
            return StaffResult(Reply(staff_texts.NO_APPEAL_IN_TOPIC))
        resident = await uow.residents.get(appeal.resident_id)
        assert resident is not None
        if resident.banned:
            return StaffResult(Reply(staff_texts.BANNED_RESIDENT))
        return await self.deliver(uow, message, appeal, resident, message.text)

    async def _on_reply(self, uow: UnitOfWork, message: StaffMessage) -> StaffResult:
        """A staff member's reply to any bot message of an appeal goes to the resident."""
        assert message.reply_to_message_id is not None
        link = await uow.appeals.find_link(message.chat_id, message.reply_to_message_id)
        if link is None:
            return StaffResult()
        if await self._role(message) < Role.STAFF:
            return StaffResult()
        appeal = await uow.appeals.get(link.appeal_id)
        resident = await uow.residents.get(link.resident_id)
        assert appeal is not None and resident is not None
        if resident.banned:
            return StaffResult(Reply(staff_texts.BANNED_RESIDENT))
        return await self.deliver(uow, message, appeal, resident, message.text)

    async def deliver(
        self,
        uow: UnitOfWork,
        message: StaffMessage,
        appeal: Appeal,
        resident: Resident,
        text: str,
    ) -> StaffResult:
        now = self._clock()
        attachments = tuple(
            [
                await self._appeals.desk.portable(attachment, resident.platform)
                for attachment in message.attachments
            ]
        )
        reply = Reply(texts.staff_answer(appeal.number, text), attachments=attachments)
        try:
            message_ids = await self._appeals.send_to_resident(uow, resident, reply, appeal)
        except DeliveryError as error:
            await uow.appeals.log(
                appeal.id,
                "undelivered",
                now,
                actor=self._actor(message),
                details={"reason": str(error)},
            )
            text_ = (
                staff_texts.UNREACHABLE
                if error.unreachable
                else staff_texts.NOT_DELIVERED.format(reason=html.escape(str(error)))
            )
            return StaffResult(Reply(text_))
        if message.message_id is not None:
            await uow.appeals.link(
                appeal_id=appeal.id,
                resident_id=resident.id,
                staff_chat_id=message.chat_id,
                staff_message_id=message.message_id,
                resident_chat_id=resident.key.external_id,
                resident_message_id=",".join(message_ids),
                direction="out",
                at=now,
            )
        values: dict[str, object] = {
            "status": AppealStatus.ANSWERED,
            "answered_at": now,
            "last_activity_at": now,
        }
        if appeal.first_response_at is None:
            values["first_response_at"] = now
        if not appeal.active:
            values["closed_at"] = None
        await uow.appeals.update(appeal.id, **values)
        await uow.appeals.log(
            appeal.id,
            "answered",
            now,
            actor=self._actor(message),
            details={"first": appeal.first_response_at is None},
        )
        return StaffResult(Reply(staff_texts.DELIVERED))

    async def _on_button(self, uow: UnitOfWork, message: StaffMessage) -> StaffResult:
        action = parse_action(message.callback_data or "")
        if action is not None and type(action) in self._buttons:
            needed_role, button_handler = self._buttons[type(action)]
            refusal = await self._refusal(message, needed_role)
            if refusal is not None:
                return StaffResult(notice=refusal)
            return await button_handler(uow, message, action)
        if not isinstance(action, StaffAction):
            return StaffResult(notice=texts.STALE_BUTTON)
        role = await self._role(message)
        needed = Role.ADMIN if action.verb is StaffVerb.SPAM else Role.STAFF
        if role < needed:
            return StaffResult(
                notice=staff_texts.NOT_ALLOWED if role < Role.STAFF else staff_texts.ADMINS_ONLY
            )
        appeal = await uow.appeals.get(action.appeal_id)
        if appeal is None:
            return StaffResult(notice=texts.STALE_BUTTON)
        if not handled_here(self._appeals.desk, message.chat_id, appeal.staff_chat_id):
            return StaffResult(notice=staff_texts.OTHER_CHAT_APPEAL.format(number=appeal.number))
        resident = await uow.residents.get(appeal.resident_id)
        assert resident is not None
        if action.verb is StaffVerb.TAKE:
            return await self._take(uow, message, appeal)
        if action.verb is StaffVerb.CLOSE:
            return await self._close(uow, message, appeal, resident)
        banned = await self._ban(uow, message, appeal, resident)
        if appeal.active:
            await self._appeals.close(uow, appeal, resident, self._actor(message), kind="spam")
            assert banned.reply is not None
            return await self._closing_topic(uow, message, appeal, resident, banned.reply)
        return banned

    async def _take(self, uow: UnitOfWork, message: StaffMessage, appeal: Appeal) -> StaffResult:
        now = self._clock()
        values: dict[str, object] = {"taken_by": message.user_id}
        if appeal.status is AppealStatus.OPEN:
            values["status"] = AppealStatus.IN_PROGRESS
        await uow.appeals.update(appeal.id, **values)
        await uow.appeals.log(appeal.id, "taken", now, actor=self._actor(message))
        text = staff_texts.TAKEN.format(number=appeal.number, staff=html.escape(message.user_name))
        return StaffResult(Reply(text, html=True), notice=text)

    async def _close(
        self, uow: UnitOfWork, message: StaffMessage, appeal: Appeal, resident: Resident
    ) -> StaffResult:
        if not appeal.active:
            text = staff_texts.ALREADY_CLOSED.format(number=appeal.number)
            return StaffResult(Reply(text), notice=text)
        try:
            await self._appeals.close(uow, appeal, resident, self._actor(message))
        except DeliveryError as error:
            logger.info("Rating request for %s not delivered: %s", appeal.number, error)
        text = staff_texts.CLOSED.format(number=appeal.number, staff=html.escape(message.user_name))
        return await self._closing_topic(uow, message, appeal, resident, Reply(text, html=True))

    async def _closing_topic(
        self,
        uow: UnitOfWork,
        message: StaffMessage,
        appeal: Appeal,
        resident: Resident,
        reply: Reply,
    ) -> StaffResult:
        """In forum mode the closing word goes into the resident's topic, which then closes;
        the chat it came from gets it too unless that is the topic itself."""
        try:
            topic_id = await self._appeals.desk.close_topic(uow, appeal, resident, reply)
        except DeliveryError as error:
            logger.warning("Topic of %s not closed: %s", appeal.number, error)
            topic_id = None
        if topic_id is not None and topic_id == message.topic_id:
            return StaffResult(notice=reply.text)
        return StaffResult(reply, notice=reply.text)

    async def _reopen(
        self, uow: UnitOfWork, message: StaffMessage, appeal: Appeal, resident: Resident
    ) -> StaffResult:
        if appeal.active:
            return StaffResult(Reply(staff_texts.NOT_CLOSED.format(number=appeal.number)))
        now = self._clock()
        status = AppealStatus.IN_PROGRESS if appeal.taken_by else AppealStatus.OPEN
        await uow.appeals.update(appeal.id, status=status, closed_at=None, last_activity_at=now)
        await uow.appeals.log(appeal.id, "reopened", now, actor=self._actor(message))
        text = staff_texts.REOPENED.format(
            number=appeal.number, staff=html.escape(message.user_name)
        )
        return StaffResult(Reply(text, html=True))

    async def _ban(
        self, uow: UnitOfWork, message: StaffMessage, appeal: Appeal, resident: Resident
    ) -> StaffResult:
        await uow.appeals.set_banned(resident.id, True)
        await uow.appeals.log(appeal.id, "banned", self._clock(), actor=self._actor(message))
        text = staff_texts.BANNED.format(staff=html.escape(message.user_name))
        return StaffResult(Reply(text, html=True), notice=text)

    async def _unban(
        self, uow: UnitOfWork, message: StaffMessage, appeal: Appeal, resident: Resident
    ) -> StaffResult:
        await uow.appeals.set_banned(resident.id, False)
        await uow.appeals.log(appeal.id, "unbanned", self._clock(), actor=self._actor(message))
        text = staff_texts.UNBANNED.format(staff=html.escape(message.user_name))
        return StaffResult(Reply(text, html=True))

    async def _list(self, uow: UnitOfWork, message: StaffMessage, argument: str) -> StaffResult:
        appeals = await uow.appeals.with_status(ACTIVE_STATUSES, staff_chat_id=message.chat_id)
        if not appeals:
            return StaffResult(Reply(staff_texts.NO_OPEN_APPEALS))
        now = self._clock()
        lines = [staff_texts.APPEALS_HEADER]
        for appeal in appeals:
            overdue = appeal.status is not AppealStatus.ANSWERED and appeal.deadline_at <= now
            mark = "🔥 " if overdue else ""
            lines.append(
                f"{mark}№ {appeal.number} — {staff_texts.STATUS_NAMES[appeal.status.value]}, "
                f"срок {self._appeals.moment(appeal.deadline_at)}"
            )
        return StaffResult(Reply("\n".join(lines), html=True))

    @staticmethod
    def _actor(message: StaffMessage) -> str:
        return f"{message.platform}:{message.user_id}"
