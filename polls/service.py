"""Polls for staff commands, the bot's scheduler and broadcaster, and residents' votes on
every platform."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from bot.core.messages import Platform, ResidentKey
from bot.storage.database import Database, UnitOfWork
from bot.storage.records import Ballot, Poll, PollStatus, PublicVote
from polls import texts
from polls.model import (
    MAX_OTHER_LENGTH,
    Choice,
    OptionResult,
    PollError,
    PollResults,
    PollSpec,
    Refusal,
    VoteOutcome,
    VoteStatus,
)

logger = logging.getLogger(__name__)

VOTE_ATTEMPTS = 5

REFUSAL_TEXTS = {
    Refusal.UNKNOWN_POLL: texts.REFUSED_UNKNOWN_POLL,
    Refusal.NOT_OPEN: texts.REFUSED_NOT_OPEN,
    Refusal.CLOSED: texts.REFUSED_CLOSED,
    Refusal.NO_SUCH_OPTION: texts.REFUSED_NO_SUCH_OPTION,
    Refusal.REVOTE_FORBIDDEN: texts.REFUSED_REVOTE,
    Refusal.WRONG_AUDIENCE: texts.REFUSED_AUDIENCE,
    Refusal.NO_OTHER: texts.REFUSED_NO_OTHER,
    Refusal.EMPTY_OTHER: texts.REFUSED_EMPTY_OTHER,
    Refusal.LONG_OTHER: texts.REFUSED_LONG_OTHER.format(limit=MAX_OTHER_LENGTH),
}
COUNTED_TEXTS = {
    VoteStatus.ACCEPTED: texts.VOTE_ACCEPTED,
    VoteStatus.CHANGED: texts.VOTE_CHANGED,
    VoteStatus.UNCHANGED: texts.VOTE_UNCHANGED,
}


class PollService:
    """Each method without `_in` is one transaction of its own; the `_in` variants work in the
    caller's unit of work and never commit, for callers that already hold one (on SQLite a
    second transaction would wait for the caller's write lock forever)."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def create(self, spec: PollSpec, now: datetime) -> int:
        async with self._database.unit_of_work() as uow:
            poll_id = await self.create_in(uow, spec, now)
            await uow.commit()
        return poll_id

    async def create_in(self, uow: UnitOfWork, spec: PollSpec, now: datetime) -> int:
        if spec.closes_at <= now:
            raise PollError("closes_at is in the past")
        poll = await uow.polls.create(
            question=spec.question,
            options=spec.options,
            multiple=spec.multiple,
            other=spec.other,
            anonymous=spec.anonymous,
            revote=spec.revote,
            audience=spec.audience,
            opens_at=spec.opens_at,
            closes_at=spec.closes_at,
            now=now,
        )
        logger.info("poll %s created: %s", poll.id, poll.question)
        return poll.id

    async def get(self, poll_id: int) -> Poll | None:
        async with self._database.unit_of_work() as uow:
            return await uow.polls.get(poll_id)

    async def request_publish(self, poll_id: int, now: datetime) -> Poll:
        """Hand a draft to the running bot, which sends it once it opens; asking again for a
        poll already on its way changes nothing."""
        async with self._database.unit_of_work() as uow:
            poll = await self.request_publish_in(uow, poll_id, now)
            await uow.commit()
        return poll

    async def request_publish_in(self, uow: UnitOfWork, poll_id: int, now: datetime) -> Poll:
        poll = await _existing(uow, poll_id)
        if poll.status is PollStatus.CLOSED:
            raise PollError(f"poll {poll_id} is closed")
        if poll.closes_at <= now:
            raise PollError(f"poll {poll_id} closing time has passed")
        if await uow.polls.request_publish(poll_id, now):
            logger.info("poll %s: publishing requested", poll_id)
        return await _existing(uow, poll_id)

    async def pending_publication(self, now: datetime) -> list[Poll]:
        """Polls the broadcaster should send now (requested, open, not sent yet)."""
        async with self._database.unit_of_work() as uow:
            return await uow.polls.pending_publication(now)

    async def mark_published(self, poll_id: int, now: datetime) -> bool:
        async with self._database.unit_of_work() as uow:
            done = await uow.polls.mark_published(poll_id, now)
            await uow.commit()
            return done

    async def close(self, poll_id: int, now: datetime) -> bool:
        """True when this call closed the poll; a closed poll is never closed again."""
        async with self._database.unit_of_work() as uow:
            closed = await self.close_in(uow, poll_id, now)
            await uow.commit()
        return closed

    async def close_in(self, uow: UnitOfWork, poll_id: int, now: datetime) -> bool:
        await _existing(uow, poll_id)
        closed = await uow.polls.close(poll_id, now)
        if closed:
            logger.info("poll %s closed", poll_id)
        return closed

    async def due_to_close(self, now: datetime) -> list[Poll]:
        """Live polls whose closing time has passed; the scheduler closes each with `close`."""
        async with self._database.unit_of_work() as uow:
            return await uow.polls.due_to_close(now)

    async def open_polls(self, platform: Platform, now: datetime) -> list[Poll]:
        """Polls a resident of `platform` can vote in now."""
        async with self._database.unit_of_work() as uow:
            return await uow.polls.open_for(platform, now)

    async def choice(self, poll_id: int, resident: ResidentKey) -> Choice | None:
        """The resident's current answer, None when they have not answered."""
        async with self._database.unit_of_work() as uow:
            return await self.choice_in(uow, poll_id, resident)

    async def choice_in(
        self, uow: UnitOfWork, poll_id: int, resident: ResidentKey
    ) -> Choice | None:
        known = await uow.residents.find(resident)
        if known is None:
            return None
        choice = _choice(await uow.polls.ballot(poll_id, known.id))
        return None if choice.empty else choice

    async def results(self, poll_id: int) -> PollResults:
        async with self._database.unit_of_work() as uow:
            return await self.results_in(uow, poll_id)

    async def results_in(self, uow: UnitOfWork, poll_id: int) -> PollResults:
        poll = await _existing(uow, poll_id)
        tally = await uow.polls.tally(poll_id)
        return PollResults(
            poll=poll,
            total_voters=tally.voters,
            options=tuple(
                OptionResult(option.position, option.text, tally.votes.get(option.position, 0))
                for option in poll.options
            ),
            other_answers=tally.other_answers,
        )

    async def public_votes(self, poll_id: int) -> list[PublicVote]:
        """Who answered what, for public polls; an anonymous poll gives nothing."""
        async with self._database.unit_of_work() as uow:
            poll = await _existing(uow, poll_id)
            if poll.anonymous:
                return []
            return await uow.polls.public_votes(poll_id)

    async def vote(
        self,
        resident: ResidentKey,
        display_name: str | None,
        poll_id: int,
        option_position: int | None,
        other_text: str | None,
        now: datetime,
    ) -> VoteOutcome:
        """`vote_in` in a transaction of its own, run again when it loses a race for a unique
        key (a resident's first contact or first ballot on PostgreSQL): by then the winner's
        row is visible."""
        arguments = (resident, display_name, poll_id, option_position, other_text, now)
        for _ in range(VOTE_ATTEMPTS - 1):
            try:
                return await self._vote_once(*arguments)
            except IntegrityError:
                logger.debug("vote of %s in poll %s raced, retrying", resident, poll_id)
        return await self._vote_once(*arguments)

    async def _vote_once(
        self,
        resident: ResidentKey,
        display_name: str | None,
        poll_id: int,
        option_position: int | None,
        other_text: str | None,
        now: datetime,
    ) -> VoteOutcome:
        async with self._database.unit_of_work() as uow:
            outcome = await self.vote_in(
                uow, resident, display_name, poll_id, option_position, other_text, now
            )
            if outcome.status in (VoteStatus.ACCEPTED, VoteStatus.CHANGED):
                await uow.commit()
        return outcome

    async def vote_in(
        self,
        uow: UnitOfWork,
        resident: ResidentKey,
        display_name: str | None,
        poll_id: int,
        option_position: int | None,
        other_text: str | None,
        now: datetime,
    ) -> VoteOutcome:
        """A button press (`option_position`) or a «свой вариант» text (`other_text`).

        Single choice replaces the answer; multiple choice toggles the option. Without
        revote a resident may still add to a multiple-choice answer but never take back.
        Safe to repeat and to run concurrently: one resident has one ballot per poll, and
        the ballot row is locked while it changes. A refusal changes no ballot."""
        poll = await uow.polls.get(poll_id)
        if poll is None:
            return _refused(Refusal.UNKNOWN_POLL)
        refusal = _check(poll, resident, option_position, other_text, now)
        if refusal is not None:
            known = await uow.residents.find(resident)
            current = await uow.polls.ballot(poll.id, known.id) if known else None
            return _refused(refusal, poll, _choice(current))
        voter = await uow.residents.touch(resident, display_name, None, now)
        ballot_id = await uow.polls.claim_ballot(poll.id, voter.id, now)
        before = Choice()
        if ballot_id is None:
            ballot = await uow.polls.ballot(poll.id, voter.id, lock=True)
            assert ballot is not None
            ballot_id, before = ballot.id, _choice(ballot)
        after = _apply(poll, before, option_position, other_text)
        if after == before:
            return _counted(VoteStatus.UNCHANGED, poll, before)
        if not before.empty and not poll.revote and not _only_adds(before, after):
            return _refused(Refusal.REVOTE_FORBIDDEN, poll, before)
        await uow.polls.set_choice(
            ballot_id, poll, before.positions, after.positions, after.other_text, now
        )
        return _counted(VoteStatus.ACCEPTED if before.empty else VoteStatus.CHANGED, poll, after)

    async def voters_in(self, uow: UnitOfWork, poll_id: int) -> frozenset[int]:
        """Ids of the residents who have an answer in the poll, to send them the results."""
        return frozenset(await uow.polls.voters(poll_id))

    async def mark_results_published_in(self, uow: UnitOfWork, poll_id: int, now: datetime) -> bool:
        """True only for the first call: the results of a poll go out once."""
        return await uow.polls.mark_results_published(poll_id, now)


async def _existing(uow: UnitOfWork, poll_id: int) -> Poll:
    poll = await uow.polls.get(poll_id)
    if poll is None:
        raise PollError(f"no poll {poll_id}")
    return poll


def other_refusal(poll: Poll, resident: ResidentKey, now: datetime) -> Refusal | None:
    """Why the resident cannot offer their own answer in `poll` now; None when they can."""
    return _availability(poll, resident, now) or (None if poll.other else Refusal.NO_OTHER)


def _availability(poll: Poll, resident: ResidentKey, now: datetime) -> Refusal | None:
    if poll.status is PollStatus.CLOSED or now >= poll.closes_at:
        return Refusal.CLOSED
    if not poll.accepts_votes(now):
        return Refusal.NOT_OPEN
    if not poll.reaches(resident.platform):
        return Refusal.WRONG_AUDIENCE
    return None


def _check(
    poll: Poll,
    resident: ResidentKey,
    option_position: int | None,
    other_text: str | None,
    now: datetime,
) -> Refusal | None:
    unavailable = _availability(poll, resident, now)
    if unavailable is not None:
        return unavailable
    if option_position is not None:
        if other_text is not None or poll.option(option_position) is None:
            return Refusal.NO_SUCH_OPTION
        return None
    if not poll.other:
        return Refusal.NO_OTHER
    if other_text is None or not other_text.strip():
        return Refusal.EMPTY_OTHER
    if len(other_text.strip()) > MAX_OTHER_LENGTH:
        return Refusal.LONG_OTHER
    return None


def _apply(
    poll: Poll, before: Choice, option_position: int | None, other_text: str | None
) -> Choice:
    if option_position is None:
        text = " ".join((other_text or "").split())
        return Choice(before.positions if poll.multiple else (), text)
    if not poll.multiple:
        return Choice((option_position,))
    chosen = set(before.positions) ^ {option_position}
    return Choice(tuple(sorted(chosen)), before.other_text)


def _only_adds(before: Choice, after: Choice) -> bool:
    kept_other = before.other_text is None or before.other_text == after.other_text
    return set(before.positions) <= set(after.positions) and kept_other


def _choice(ballot: Ballot | None) -> Choice:
    return Choice(ballot.positions, ballot.other_text) if ballot else Choice()


def _refused(
    refusal: Refusal, poll: Poll | None = None, choice: Choice | None = None
) -> VoteOutcome:
    return VoteOutcome(
        VoteStatus.REFUSED,
        REFUSAL_TEXTS[refusal],
        poll=poll,
        choice=choice if choice and not choice.empty else None,
        refusal=refusal,
    )


def _counted(status: VoteStatus, poll: Poll, choice: Choice) -> VoteOutcome:
    return VoteOutcome(
        status, COUNTED_TEXTS[status], poll=poll, choice=None if choice.empty else choice
    )
