"""Residents' announcement subscriptions: /subscribe, /unsubscribe and the one-time question
whether a new resident wants notifications."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core import broadcast_texts as texts
from bot.core.actions import NotifyAction, SubscribeAction
from bot.core.broadcast import Audience, BroadcastService
from bot.core.messages import Button, Platform, Reply
from bot.core.ports import Clock, utc_now
from bot.core.texts import STALE_BUTTON
from bot.storage.database import UnitOfWork
from bot.storage.records import Resident

COMMANDS = frozenset({"subscribe", "unsubscribe"})
# The messengers' residents: what an announcement for everyone reaches.
BROADCAST_PLATFORMS = frozenset({Platform.TELEGRAM, Platform.VK})
TOPICS_PER_ROW = 2


class SubscriptionService:
    def __init__(
        self, topics: Sequence[str], broadcasts: BroadcastService, clock: Clock = utc_now
    ) -> None:
        self.topics = tuple(topics)
        self._broadcasts = broadcasts
        self._clock = clock

    async def ask_once(self, uow: UnitOfWork, resident: Resident) -> None:
        """Queue the question for a resident never asked. It goes through the broadcaster, so
        it arrives right after the greeting without changing the greeting itself."""
        if not await uow.subscriptions.mark_asked(resident.id, self._clock()):
            return
        question = Reply(
            texts.NOTIFY_QUESTION,
            buttons=(
                (
                    Button(texts.YES_BUTTON, NotifyAction(accept=True)),
                    Button(texts.NO_BUTTON, NotifyAction(accept=False)),
                ),
            ),
        )
        await self._broadcasts.enqueue(
            uow,
            kind="notify_question",
            subject_id=resident.id,
            reply=question,
            audience=Audience(
                frozenset({resident.platform}), resident_ids=frozenset({resident.id})
            ),
            staff_chat_id=None,
        )

    async def command(self, uow: UnitOfWork, resident: Resident, name: str) -> Reply:
        if name == "unsubscribe":
            await uow.subscriptions.opt_out(resident.id, self._clock())
            return Reply(texts.UNSUBSCRIBED)
        return await self._topics_menu(uow, resident)

    async def on_action(
        self, uow: UnitOfWork, resident: Resident, action: NotifyAction | SubscribeAction
    ) -> Reply:
        now = self._clock()
        if isinstance(action, NotifyAction):
            await uow.subscriptions.record_answer(
                resident.id, "yes" if action.accept else "no", now
            )
            if not action.accept:
                return Reply(texts.NOTIFY_NO)
            await uow.subscriptions.set_topics(resident.id, self.topics, on=True, now=now)
            return Reply(texts.NOTIFY_YES.format(topics=", ".join(self.topics)))
        if action.topic > len(self.topics):
            return Reply(STALE_BUTTON)
        topic = self.topics[action.topic - 1]
        await uow.subscriptions.set_topics(resident.id, [topic], on=action.on, now=now)
        return await self._topics_menu(uow, resident)

    async def _topics_menu(self, uow: UnitOfWork, resident: Resident) -> Reply:
        subscribed = await uow.subscriptions.topics(resident.id)
        current = [topic for topic in self.topics if topic in subscribed]
        if current:
            state = texts.SUBSCRIBED_TO.format(topics=", ".join(current))
        else:
            settings = await uow.subscriptions.settings(resident.id)
            opted_out = settings is not None and settings.opted_out
            state = texts.OPTED_OUT_NOTE if opted_out else texts.SUBSCRIBED_TO_NOTHING
        buttons = [
            Button(
                (texts.TOPIC_ON if topic in subscribed else texts.TOPIC_OFF).format(topic=topic),
                SubscribeAction(position, on=topic not in subscribed),
            )
            for position, topic in enumerate(self.topics, start=1)
        ]
        rows = tuple(
            tuple(buttons[start : start + TOPICS_PER_ROW])
            for start in range(0, len(buttons), TOPICS_PER_ROW)
        )
        return Reply(f"{texts.SUBSCRIBE_HEADER}\n{state}", buttons=rows)
