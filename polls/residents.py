"""What residents do with polls in the dialog: vote with a button, offer their own answer,
list open polls. Everything runs in the dialog's unit of work, so a vote is recorded together
with the inbox update that carried it and a re-delivered update changes nothing."""

from __future__ import annotations

from datetime import datetime, tzinfo

from bot.core.actions import PollOtherAction, VoteAction
from bot.core.messages import Reply
from bot.storage.database import UnitOfWork
from bot.storage.records import Poll, Resident
from polls import texts
from polls.model import Choice, Refusal, VoteOutcome
from polls.render import poll_message
from polls.service import REFUSAL_TEXTS, PollService, other_refusal

AWAITING_POLL_OTHER = "awaiting_poll_other"
# A resident who got one of these may simply try again with another text.
RETRY_OTHER = (Refusal.EMPTY_OTHER, Refusal.LONG_OTHER)


class PollDialog:
    def __init__(self, service: PollService, tz: tzinfo) -> None:
        self._service = service
        self._tz = tz

    async def on_action(
        self,
        uow: UnitOfWork,
        resident: Resident,
        action: VoteAction | PollOtherAction,
        now: datetime,
        pressed: str | None = None,
    ) -> Reply:
        """`pressed` is the poll message whose button was tapped: it is updated in place to
        show the resident's choice."""
        if isinstance(action, VoteAction):
            outcome = await self._service.vote_in(
                uow,
                resident.key,
                resident.display_name,
                action.poll_id,
                action.option_position,
                None,
                now,
            )
            return await self._answer(uow, outcome, now, pressed)
        poll = await uow.polls.get(action.poll_id)
        if poll is None:
            return Reply(REFUSAL_TEXTS[Refusal.UNKNOWN_POLL])
        refusal = other_refusal(poll, resident.key, now)
        if refusal is not None:
            return Reply(REFUSAL_TEXTS[refusal])
        await uow.states.set(resident.key, AWAITING_POLL_OTHER, {"poll_id": poll.id}, now)
        return Reply(texts.ASK_OTHER)

    async def other_answer(
        self, uow: UnitOfWork, resident: Resident, text: str, now: datetime
    ) -> Reply | None:
        """The resident's own answer when they pressed «Свой вариант» last; None otherwise."""
        state = await uow.states.get(resident.key)
        if state is None or state.state != AWAITING_POLL_OTHER:
            return None
        await uow.states.clear(resident.key)
        poll_id = int(state.data["poll_id"])
        outcome = await self._service.vote_in(
            uow, resident.key, resident.display_name, poll_id, None, text, now
        )
        if outcome.refusal in RETRY_OTHER:
            await uow.states.set(resident.key, AWAITING_POLL_OTHER, state.data, now)
        return await self._answer(uow, outcome, now)

    async def open_polls(
        self, uow: UnitOfWork, resident: Resident, now: datetime
    ) -> tuple[Reply, ...]:
        """Each poll the resident can vote in now, with their answer so far."""
        polls = await uow.polls.open_for(resident.platform, now)
        if not polls:
            return (Reply(texts.NO_OPEN_POLLS),)
        replies = []
        for poll in polls:
            choice = await self._service.choice_in(uow, poll.id, resident.key)
            replies.append(await self._poll(uow, poll, choice, now))
        return tuple(replies)

    async def _answer(
        self, uow: UnitOfWork, outcome: VoteOutcome, now: datetime, pressed: str | None = None
    ) -> Reply:
        """The outcome above the poll as it now stands, in place of the poll message that was
        tapped; a refusal alone, except that a closed poll shows how it ended."""
        poll = outcome.poll
        if poll is None or (outcome.refusal is not None and outcome.refusal is not Refusal.CLOSED):
            return Reply(outcome.message)
        current = await self._poll(uow, poll, outcome.choice, now)
        text = f"{outcome.message}\n\n{current.text}"
        return Reply(text, buttons=current.buttons, edit_message_id=pressed)

    async def _poll(
        self, uow: UnitOfWork, poll: Poll, choice: Choice | None, now: datetime
    ) -> Reply:
        results = await self._service.results_in(uow, poll.id)
        return poll_message(results.poll, results, choice, tz=self._tz, now=now)
