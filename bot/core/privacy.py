"""Personal data under 152-ФЗ: consent before an appeal is kept, erasure on request, and
anonymisation after the retention period. Counts always stay: rows are kept, texts and names
go."""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, Protocol, runtime_checkable

from bot.core import staff_texts, texts
from bot.core.actions import ConsentAction, ForgetAction
from bot.core.messages import Button, Platform, Reply, ResidentKey
from bot.core.ports import Clock, DeliveryError, Messengers, utc_now
from bot.core.staff import NUMBER, StaffMessage, StaffResult, handled_here
from bot.core.staffdesk import StaffDesk
from bot.core.topics import topic_name
from bot.storage.database import Database, UnitOfWork
from bot.storage.records import ACTIVE_STATUSES, Appeal, AppealStatus, MessageLink, Resident

logger = logging.getLogger(__name__)

CONSENT_STATE = "consent"


@runtime_checkable
class MessageEditor(Protocol):
    """A messenger that can rewrite the bot's own staff-chat posts."""

    async def replace_text(self, chat_id: str, message_id: str, text: str) -> bool:
        """Replace the text (or caption) of one of the bot's messages and drop its buttons;
        False when the platform no longer allows it (VK: after 24 hours)."""
        ...


@dataclass(frozen=True)
class PrivacyPolicy:
    url: str
    version: str
    retention_days: int


class PrivacyService:
    def __init__(
        self,
        database: Database,
        desk: StaffDesk,
        policy: PrivacyPolicy,
        clock: Clock = utc_now,
        *,
        messengers: Messengers,
    ) -> None:
        self._database = database
        self._desk = desk
        self._policy = policy
        self._clock = clock
        self._messengers = messengers

    def consented(self, resident: Resident) -> bool:
        return resident.consent_version == self._policy.version and not resident.consent_declined

    def may_reach_staff(self, resident: Resident) -> bool:
        """Whether a message may go to staff (join an open appeal): only with consent to the
        current policy. Emergencies are decided before this and pass regardless."""
        return self.consented(resident)

    def declined(self, resident: Resident) -> bool:
        """Declined the current policy: texts are not kept and nothing goes to staff."""
        return resident.consent_version == self._policy.version and resident.consent_declined

    async def ask(self, uow: UnitOfWork, resident: Resident, pending: dict[str, Any]) -> Reply:
        """Show the notice; what was about to become an appeal waits in the resident's state."""
        await uow.states.set(resident.key, CONSENT_STATE, pending, self._clock())
        buttons = (
            (
                Button(texts.CONSENT_ACCEPT, ConsentAction(accept=True)),
                Button(texts.CONSENT_DECLINE, ConsentAction(accept=False)),
            ),
        )
        return Reply(
            texts.consent_notice(self._policy.url, self._policy.retention_days), buttons=buttons
        )

    async def answer(
        self, uow: UnitOfWork, resident: Resident, action: ConsentAction
    ) -> dict[str, Any] | None:
        """Record the choice; returns what was waiting for consent, if it was accepted."""
        state = await uow.states.get(resident.key)
        pending = state.data if state is not None and state.state == CONSENT_STATE else None
        await uow.states.clear(resident.key)
        await uow.residents.set_consent(
            resident.id, self._policy.version, accepted=action.accept, at=self._clock()
        )
        if action.accept:
            return pending or {}
        exchange_ids = [int(i) for i in (pending or {}).get("exchange_ids", [])]
        await uow.exchanges.erase_texts(exchange_ids=exchange_ids)
        await uow.exchanges.empty_updates_of(resident.id)
        return None

    def forget_prompt(self) -> Reply:
        buttons = (
            (
                Button(texts.FORGET_YES, ForgetAction(confirm=True)),
                Button(texts.FORGET_NO, ForgetAction(confirm=False)),
            ),
        )
        return Reply(texts.FORGET_CONFIRM, buttons=buttons)

    async def forget(self, uow: UnitOfWork, resident: Resident, actor: str) -> int:
        """Erase the resident's personal data and texts from every table and from the bot's
        own posts in the staff chats; open appeals are closed with a note there. Returns how
        many appeals were touched."""
        now = self._clock()
        # Locked first: a message of the resident being handled now is erased too, and one
        # arriving meanwhile waits and then starts a new contact.
        locked = await uow.residents.lock(resident.id)
        if locked is None:
            return 0
        resident = locked
        appeals = await uow.appeals.for_resident(resident.id)
        for appeal in appeals:
            if appeal.status in ACTIVE_STATUSES:
                await uow.appeals.update(appeal.id, status=AppealStatus.CLOSED, closed_at=now)
                await uow.appeals.log(appeal.id, "closed", now, actor=actor)
                await self._notify(
                    staff_texts.FORGOTTEN_BY_RESIDENT.format(number=appeal.number),
                    appeal.staff_chat_id,
                )
            await uow.appeals.log(appeal.id, "anonymised", now, actor=actor)
        await self._tidy_staff_chats(uow, resident, appeals)
        subject = await uow.privacy.subject(resident.id, now)
        assert subject is not None
        await uow.privacy.erase(subject)

        async def trailing() -> None:
            await uow.privacy.erase_trailing(subject)

        uow.before_commit(trailing)
        uow.after_commit(self._database.flush_erased)
        return len(appeals)

    async def _tidy_staff_chats(
        self, uow: UnitOfWork, resident: Resident, appeals: list[Appeal]
    ) -> None:
        """The bot's posts lose the name and the texts, the resident's topics their name.
        Where the platform refuses an edit, staff are told to delete the posts themselves."""
        anonymous = replace(resident, display_name=None, username=None)
        by_id = {appeal.id: appeal for appeal in appeals}
        stale: dict[str, set[str]] = {}
        for link in await uow.privacy.staff_posts(resident.id):
            appeal = by_id[link.appeal_id]
            chat = next((c for c in self._desk.chats if c.chat_id == link.staff_chat_id), None)
            editor = self._editor(chat.platform) if chat else None
            text = staff_texts.ERASED_POST.format(number=appeal.number)
            if editor is None or not await self._replace(editor, link, text):
                stale.setdefault(link.staff_chat_id, set()).add(appeal.number)
        for chat_id, numbers in stale.items():
            await self._notify(
                staff_texts.ERASED_POSTS_LEFT.format(numbers=", ".join(sorted(numbers))), chat_id
            )
        for chat in self._desk.chats:
            topic = await uow.topics.for_resident(chat.chat_id, resident.id)
            latest = await self._desk.latest_appeal(uow, chat.chat_id, resident.id)
            if topic is None or latest is None:
                continue
            name = topic_name(anonymous, latest)
            await uow.topics.update(chat.chat_id, resident.id, self._clock(), name=name)
            messenger = self._desk.topics.messenger(chat.platform)
            try:
                if messenger is not None:
                    await messenger.rename_topic(chat.chat_id, topic.topic_id, name)
            except DeliveryError as error:
                logger.warning("Topic %s not renamed after erasure: %s", topic.topic_id, error)

    def _editor(self, platform: Platform) -> MessageEditor | None:
        if platform not in self._messengers:
            return None
        messenger = self._messengers[platform]
        return messenger if isinstance(messenger, MessageEditor) else None

    @staticmethod
    async def _replace(editor: MessageEditor, link: MessageLink, text: str) -> bool:
        try:
            return await editor.replace_text(link.staff_chat_id, link.staff_message_id, text)
        except DeliveryError as error:
            logger.info("Staff post %s not edited: %s", link.staff_message_id, error)
            return False

    async def forget_command(
        self, uow: UnitOfWork, message: StaffMessage, argument: str
    ) -> StaffResult:
        """`/forget 2026-0042` or `/forget telegram:123` for a resident who asked through
        another channel."""
        target = await self._resident_for(uow, argument.strip())
        if target is None:
            return StaffResult(Reply(staff_texts.FORGET_TARGET))
        resident, named = target
        refusal = await self._refusal(uow, message, resident, named)
        if refusal is not None:
            return StaffResult(Reply(refusal))
        actor = f"{message.platform}:{message.user_id}"
        count = await self.forget(uow, resident, actor)
        text = staff_texts.FORGOTTEN_BY_STAFF.format(
            staff=html.escape(message.user_name), count=count
        )
        return StaffResult(Reply(text, html=True))

    async def _resident_for(
        self, uow: UnitOfWork, argument: str
    ) -> tuple[Resident, Appeal | None] | None:
        """The resident named by an appeal number (with that appeal) or a platform id."""
        match = NUMBER.fullmatch(argument)
        if match:
            appeal = await uow.appeals.by_number(int(match.group(1)), int(match.group(2)))
            resident = await uow.residents.get(appeal.resident_id) if appeal else None
            return (resident, appeal) if resident else None
        platform, _, external_id = argument.partition(":")
        if platform not in {p.value for p in Platform} or not external_id:
            return None
        resident = await uow.residents.find(ResidentKey(Platform(platform), external_id))
        return (resident, None) if resident else None

    async def _refusal(
        self, uow: UnitOfWork, message: StaffMessage, resident: Resident, named: Appeal | None
    ) -> str | None:
        """`/forget` obeys the staff chats' "handled here" rule: the appeal named must be
        handled in this chat; by a platform id, one of the resident's appeals must be (a
        resident without appeals is erased from the default chat)."""
        if named is not None:
            if handled_here(self._desk, message.chat_id, named.staff_chat_id):
                return None
            return staff_texts.OTHER_CHAT_APPEAL.format(number=named.number)
        chats = {appeal.staff_chat_id for appeal in await uow.appeals.for_resident(resident.id)}
        if any(handled_here(self._desk, message.chat_id, chat) for chat in chats or {None}):
            return None
        return staff_texts.FORGET_ELSEWHERE

    async def retention_tick(self) -> None:
        """Anonymise texts of appeals closed longer than the retention period ago, and names of
        residents not seen for as long."""
        before = self._clock() - timedelta(days=self._policy.retention_days)
        async with self._database.unit_of_work() as uow:
            appeal_ids = await uow.appeals.closed_before(before)
            erased = await uow.exchanges.erase_texts(appeal_ids=appeal_ids)
            idle = await uow.residents.idle_since(before)
            await uow.residents.clear_names(idle)
            await uow.commit()
        if erased or idle:
            logger.info(
                "Retention: %d message text(s) and %d resident name(s) anonymised",
                erased,
                len(idle),
            )

    async def _notify(self, text: str, chat_id: str | None) -> None:
        try:
            await self._desk.notify(text, chat_id=chat_id)
        except DeliveryError as error:
            logger.warning("Staff chat notice not delivered: %s", error)
