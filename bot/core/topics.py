"""Forum mode: in a staff chat that is a forum, each resident has a topic of their own.

The resident ↔ topic link is stored; a topic staff closed is reopened and one they deleted is
recreated the next time something has to go there, and the post that failed is sent again into
the new topic. When no topic can be had at all the post goes to the chat's general thread, so
nothing is ever dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Protocol, runtime_checkable

from bot.core import staff_texts
from bot.core.messages import Platform, Reply
from bot.core.ports import Clock, DeliveryError, Messengers, utc_now
from bot.core.sanitize import clean_name
from bot.storage.database import UnitOfWork
from bot.storage.records import Appeal, Resident
from bot.storage.topics import ForumTopic

logger = logging.getLogger(__name__)

TOPIC_NAME_LIMIT = 128
SEND_ATTEMPTS = 3

# Posts into a freshly recreated topic what staff lost with the old one; gets the topic id.
OnRecreated = Callable[[str], Awaitable[None]]


class TopicGone(DeliveryError):
    """The topic is closed or deleted, so nothing can be posted into it as it is."""

    def __init__(self, reason: str, *, closed: bool) -> None:
        super().__init__(reason)
        self.closed = closed


@runtime_checkable
class ForumMessenger(Protocol):
    """What a platform with forum chats offers on top of `Messenger`. Topic operations raise
    `TopicGone` when the topic no longer takes posts, DeliveryError for anything else."""

    async def send(self, chat_id: str, reply: Reply) -> list[str]: ...

    async def is_forum(self, chat_id: str) -> bool: ...

    async def create_topic(self, chat_id: str, name: str) -> str:
        """Create an open topic; returns its id. Paced and retried as the platform needs."""
        ...

    async def rename_topic(self, chat_id: str, topic_id: str, name: str) -> None: ...

    async def set_topic_closed(self, chat_id: str, topic_id: str, closed: bool) -> None: ...

    async def send_in_topic(self, chat_id: str, topic_id: str, reply: Reply) -> list[str]: ...


def topic_name(resident: Resident, appeal: Appeal) -> str:
    platform = staff_texts.PLATFORM_NAMES.get(resident.platform.value, resident.platform.value)
    suffix = f" · {platform} · № {appeal.number}"
    person = clean_name(resident.display_name or "") or staff_texts.NAMELESS
    return person[: TOPIC_NAME_LIMIT - len(suffix)].rstrip() + suffix


class ForumTopics:
    def __init__(self, messengers: Messengers, clock: Clock = utc_now) -> None:
        self._messengers = messengers
        self._clock = clock
        self._forums: dict[tuple[Platform, str], bool] = {}

    def messenger(self, platform: Platform) -> ForumMessenger | None:
        if platform not in self._messengers:
            return None
        messenger = self._messengers[platform]
        return messenger if isinstance(messenger, ForumMessenger) else None

    async def is_forum(self, platform: Platform, chat_id: str) -> bool:
        """Asked once per chat and cached; a failed check is not cached, so it is asked again."""
        known = self._forums.get((platform, chat_id))
        if known is not None:
            return known
        messenger = self.messenger(platform)
        if messenger is None:
            return False
        try:
            forum = await messenger.is_forum(chat_id)
        except DeliveryError as error:
            logger.warning("Could not tell whether staff chat %s is a forum: %s", chat_id, error)
            return False
        self._forums[(platform, chat_id)] = forum
        logger.info("Staff chat %s: %s mode", chat_id, "forum" if forum else "reply")
        return forum

    def seen(self, platform: Platform, chat_id: str, forum: bool) -> None:
        """Every staff message says whether its chat is a forum: topics switched on or off
        while the bot runs take effect at once."""
        self._forums[(platform, chat_id)] = forum

    async def send(
        self,
        uow: UnitOfWork,
        platform: Platform,
        chat_id: str,
        resident: Resident,
        name: str,
        reply: Reply,
        on_recreated: OnRecreated,
    ) -> list[str]:
        """Post into the resident's topic, making it usable first (create, reopen, rename)."""
        messenger = self.messenger(platform)
        assert messenger is not None
        topic = await self._ready(uow, messenger, chat_id, resident, name, on_recreated)
        for _ in range(SEND_ATTEMPTS):
            if topic is None:
                break
            try:
                return await messenger.send_in_topic(chat_id, topic.topic_id, reply)
            except TopicGone as gone:
                logger.info("Topic %s in %s is gone (%s)", topic.topic_id, chat_id, gone)
                topic = await self._recover(uow, messenger, topic, gone.closed, name, on_recreated)
        logger.warning("No topic for resident %s in %s: posting to the chat", resident.id, chat_id)
        return await messenger.send(chat_id, reply)

    async def close(self, uow: UnitOfWork, platform: Platform, topic: ForumTopic) -> None:
        """Close the topic; one that is already closed or deleted counts as closed."""
        messenger = self.messenger(platform)
        if messenger is not None:
            try:
                await messenger.set_topic_closed(topic.staff_chat_id, topic.topic_id, True)
            except TopicGone:
                pass
            except DeliveryError as error:
                logger.warning("Could not close topic %s: %s", topic.topic_id, error)
                return
        await uow.topics.update(topic.staff_chat_id, topic.resident_id, self._clock(), closed=True)

    async def _ready(
        self,
        uow: UnitOfWork,
        messenger: ForumMessenger,
        chat_id: str,
        resident: Resident,
        name: str,
        on_recreated: OnRecreated,
    ) -> ForumTopic | None:
        topic = await uow.topics.for_resident(chat_id, resident.id)
        if topic is None:
            return await self._create(uow, messenger, chat_id, resident.id, name)
        if topic.closed:
            topic = await self._recover(uow, messenger, topic, True, name, on_recreated)
        if topic is not None and topic.name != name:
            try:
                await messenger.rename_topic(chat_id, topic.topic_id, name)
            except TopicGone:
                return await self._recreate(uow, messenger, topic, name, on_recreated)
            except DeliveryError as error:
                logger.warning("Could not rename topic %s: %s", topic.topic_id, error)
            else:
                await uow.topics.update(chat_id, resident.id, self._clock(), name=name)
        return topic

    async def _recover(
        self,
        uow: UnitOfWork,
        messenger: ForumMessenger,
        topic: ForumTopic,
        closed: bool,
        name: str,
        on_recreated: OnRecreated,
    ) -> ForumTopic | None:
        """Reopen a closed topic; recreate a deleted one (or one that cannot be reopened)."""
        if closed:
            try:
                await messenger.set_topic_closed(topic.staff_chat_id, topic.topic_id, False)
            except DeliveryError as error:
                logger.info("Topic %s cannot be reopened: %s", topic.topic_id, error)
            else:
                await uow.topics.update(
                    topic.staff_chat_id, topic.resident_id, self._clock(), closed=False
                )
                return topic
        return await self._recreate(uow, messenger, topic, name, on_recreated)

    async def _recreate(
        self,
        uow: UnitOfWork,
        messenger: ForumMessenger,
        topic: ForumTopic,
        name: str,
        on_recreated: OnRecreated,
    ) -> ForumTopic | None:
        created = await self._create(uow, messenger, topic.staff_chat_id, topic.resident_id, name)
        if created is not None:
            try:
                await on_recreated(created.topic_id)
            except DeliveryError as error:
                logger.warning("Summary for recreated topic %s failed: %s", created.topic_id, error)
        return created

    async def _create(
        self,
        uow: UnitOfWork,
        messenger: ForumMessenger,
        chat_id: str,
        resident_id: int,
        name: str,
    ) -> ForumTopic | None:
        try:
            topic_id = await messenger.create_topic(chat_id, name)
        except DeliveryError as error:
            logger.error("Could not create a topic in %s: %s", chat_id, error)
            return None
        return await uow.topics.save(chat_id, resident_id, topic_id, name, self._clock())
