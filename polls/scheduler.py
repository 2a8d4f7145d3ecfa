"""The running bot's side of polls: sending requested polls once they open, closing them at
their closing time with the results for staff, and sending results to the voters.

All state is in the polls table, so a restart neither misses nor repeats a step: a poll is
marked published in the same transaction that queues its broadcast, and only the call that
closes a poll posts its results."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.actions import PollAdminAction, PollVerb
from bot.core.broadcast import Audience as BroadcastAudience
from bot.core.broadcast import BroadcastService
from bot.core.messages import Attachment, AttachmentKind, Button, Platform, Reply
from bot.core.ports import Clock, DeliveryError, Messengers
from bot.core.sanitize import inert
from bot.core.staffdesk import StaffChat
from bot.storage.database import Database, UnitOfWork
from bot.storage.records import Audience, Poll
from polls import texts
from polls.chart import render_chart
from polls.model import PollResults
from polls.render import format_moment, poll_message, result_lines
from polls.service import PollService

logger = logging.getLogger(__name__)

POLL_KIND = "poll"
RESULTS_KIND = "poll_results"
# The staff card lists residents' own answers up to this many; the export has them all.
CARD_OTHER_ANSWERS = 20
PLATFORMS = {
    Audience.ALL: frozenset({Platform.TELEGRAM, Platform.VK}),
    Audience.TELEGRAM: frozenset({Platform.TELEGRAM}),
    Audience.VK: frozenset({Platform.VK}),
}


class PollPublisher:
    def __init__(
        self,
        database: Database,
        service: PollService,
        broadcasts: BroadcastService,
        messengers: Messengers,
        staff_chat: StaffChat | None,
        tz: ZoneInfo,
        clock: Clock,
        *,
        topic: str | None,
    ) -> None:
        """`topic`: the subscription topic polls go to; None sends them to every resident who
        has not opted out of everything."""
        self._database = database
        self._service = service
        self._broadcasts = broadcasts
        self._messengers = messengers
        self._staff_chat = staff_chat
        self._tz = tz
        self._clock = clock
        self._topic = topic

    async def tick(self) -> None:
        """One scheduler pass: publish what is due, then close what is due."""
        now = self._clock()
        async with self._database.unit_of_work() as uow:
            for poll in await uow.polls.pending_publication(now):
                await self.publish_in(uow, poll, now)
            await uow.commit()
        for poll in await self._service.due_to_close(now):
            await self._close(poll.id, now)

    async def publish_in(self, uow: UnitOfWork, poll: Poll, now: datetime) -> bool:
        """Queue the poll for its audience; False when it was published already."""
        if not await uow.polls.mark_published(poll.id, now):
            return False
        await self._broadcasts.enqueue(
            uow,
            kind=POLL_KIND,
            subject_id=poll.id,
            reply=poll_message(poll, None, None, tz=self._tz, now=now),
            audience=BroadcastAudience(platforms=PLATFORMS[poll.audience], topic=self._topic),
            staff_chat_id=self._staff_chat_id,
        )
        logger.info("poll %s queued for %s", poll.id, poll.audience.value)
        return True

    async def results_card(self, uow: UnitOfWork, poll_id: int, now: datetime) -> Reply:
        """The results for staff: numbers, residents' own answers, the chart, and a button
        to send the results to the voters."""
        results = await self._service.results_in(uow, poll_id)
        poll = results.poll
        when = format_moment(poll.closed_at or now, self._tz)
        lines = [
            texts.RESULTS_CARD.format(poll_id=poll.id, when=when),
            poll.question,
            "",
            *result_lines(results),
        ]
        if results.other_answers:
            shown = results.other_answers[:CARD_OTHER_ANSWERS]
            lines += ["", texts.OTHER_ANSWERS]
            lines += [texts.OTHER_ANSWER_LINE.format(text=inert(text)) for text in shown]
            hidden = len(results.other_answers) - len(shown)
            if hidden:
                lines.append(texts.MORE_OTHER_ANSWERS.format(count=hidden))
        button = Button(texts.PUBLISH_RESULTS_BUTTON, PollAdminAction(PollVerb.RESULTS, poll.id))
        return Reply(
            "\n".join(lines),
            buttons=((button,),),
            attachments=(await self._chart(results),),
            quotes_resident=True,
        )

    async def send_results_in(self, uow: UnitOfWork, poll_id: int, now: datetime) -> int | None:
        """Queue the results of a closed poll for the residents who answered, once: the
        number of them (0 when nobody answered), None when they were sent already."""
        voters = await self._service.voters_in(uow, poll_id)
        if not voters:
            return 0
        if not await self._service.mark_results_published_in(uow, poll_id, now):
            return None
        results = await self._service.results_in(uow, poll_id)
        poll = results.poll
        shown = poll_message(poll, results, None, tz=self._tz, now=now)
        await self._broadcasts.enqueue(
            uow,
            kind=RESULTS_KIND,
            subject_id=poll.id,
            reply=Reply(
                f"{texts.RESULTS_FOR_VOTERS}\n\n{shown.text}",
                attachments=(await self._chart(results),),
            ),
            audience=BroadcastAudience(platforms=PLATFORMS[poll.audience], resident_ids=voters),
            staff_chat_id=self._staff_chat_id,
        )
        logger.info("poll %s: results queued for %d voters", poll.id, len(voters))
        return len(voters)

    async def _close(self, poll_id: int, now: datetime) -> None:
        """Close and post the results in one transaction: if the staff chat cannot be
        reached the poll stays as it was (votes are refused anyway after the closing time)
        and the next pass tries again."""
        async with self._database.unit_of_work() as uow:
            if not await self._service.close_in(uow, poll_id, now):
                return
            chat = self._staff_chat
            if chat is None or chat.platform not in self._messengers:
                logger.warning("poll %s closed; no staff chat to post its results", poll_id)
            else:
                card = await self.results_card(uow, poll_id, now)
                try:
                    await self._messengers[chat.platform].send(chat.chat_id, card)
                except DeliveryError as error:
                    logger.error("results of poll %s not posted, retrying: %s", poll_id, error)
                    return
            await uow.commit()

    async def _chart(self, results: PollResults) -> Attachment:
        # Drawing takes a noticeable fraction of a second; the event loop keeps serving.
        png = await asyncio.to_thread(render_chart, results)
        return Attachment(
            AttachmentKind.PHOTO, data=png, file_name=f"poll-{results.poll.id}-results.png"
        )

    @property
    def _staff_chat_id(self) -> str | None:
        return self._staff_chat.chat_id if self._staff_chat else None
