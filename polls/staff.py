"""Polls from the staff chat: the guided `/poll_new`, `/polls_admin`, `/poll_close ID` and the
«Опубликовать» / «Разослать итоги» buttons. Everything runs in the staff service's unit of
work, so the `_in` calls of the poll service are used throughout."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.actions import Action, PollAdminAction, PollVerb
from bot.core.dates import parse_moment
from bot.core.messages import Button, Reply
from bot.core.ports import Clock
from bot.core.staff import Role, StaffMessage, StaffResult, StaffService, staff_key
from bot.storage.database import UnitOfWork
from bot.storage.records import Audience, ConversationState, Poll, PollStatus
from polls import texts
from polls.model import (
    MAX_OPTION_LENGTH,
    MAX_OPTIONS,
    MAX_QUESTION_LENGTH,
    MIN_OPTIONS,
    PollSpec,
)
from polls.render import format_moment, poll_message
from polls.scheduler import PollPublisher
from polls.service import PollService

NEW_POLL_FLOW = "poll_new"
ADMIN_LIST_LIMIT = 10
FLAGS = ("multiple", "other", "anonymous", "revote")

# A step's parser gives the value to keep (JSON, it lives in the flow state) or an error text.
Parsed = tuple[Any, str | None]


class PollStaff:
    def __init__(
        self, service: PollService, publisher: PollPublisher, tz: ZoneInfo, clock: Clock
    ) -> None:
        self._service = service
        self._publisher = publisher
        self._tz = tz
        self._clock = clock
        flag = {name: self._yes_no for name in FLAGS}
        self._steps: dict[str, Callable[[str], Parsed]] = {
            "question": self._question,
            "options": self._options,
            **flag,
            "closes_at": self._closes_at,
            "audience": self._audience,
        }

    def register(self, staff: StaffService) -> None:
        staff.add_command("poll_new", Role.ADMIN, self.start)
        staff.add_command("polls_admin", Role.ADMIN, self.listing)
        staff.add_command("poll_close", Role.ADMIN, self.close)
        staff.add_flow(NEW_POLL_FLOW, self.step)
        staff.add_button(PollAdminAction, Role.ADMIN, self.button)

    async def start(self, uow: UnitOfWork, message: StaffMessage, argument: str) -> StaffResult:
        await uow.states.set(staff_key(message), NEW_POLL_FLOW, {"step": "question"}, self._now)
        return _say(texts.NEW_QUESTION.format(limit=MAX_QUESTION_LENGTH))

    async def step(
        self, uow: UnitOfWork, message: StaffMessage, state: ConversationState
    ) -> StaffResult:
        """One answer in the guided flow: kept when valid, asked again otherwise."""
        text = message.text.strip()
        if text.casefold() in texts.CANCEL_WORDS:
            await uow.states.clear(staff_key(message))
            return _say(texts.NEW_CANCELLED)
        data = dict(state.data)
        step = str(data["step"])
        value, error = self._steps[step](text)
        if error is not None:
            return _say(error)
        data[step] = value
        order = list(self._steps)
        if step != order[-1]:
            data["step"] = order[order.index(step) + 1]
            await uow.states.set(staff_key(message), NEW_POLL_FLOW, data, self._now)
            return _say(self._prompt(data["step"]))
        spec = self._spec(data)
        if spec is None:
            data["step"] = "closes_at"
            await uow.states.set(staff_key(message), NEW_POLL_FLOW, data, self._now)
            return _say(texts.BAD_TIME_PAST)
        await uow.states.clear(staff_key(message))
        return await self._preview(uow, spec)

    async def listing(self, uow: UnitOfWork, message: StaffMessage, argument: str) -> StaffResult:
        polls = await uow.polls.latest(ADMIN_LIST_LIMIT)
        if not polls:
            return _say(texts.NO_POLLS)
        blocks = [texts.ADMIN_HEADER]
        for poll in polls:
            results = await self._service.results_in(uow, poll.id)
            lines = [
                texts.ADMIN_POLL.format(
                    poll_id=poll.id,
                    status=texts.STATUS_NAMES[poll.status.value],
                    closes=format_moment(poll.closes_at, self._tz),
                    audience=texts.AUDIENCE_NAMES[poll.audience.value],
                    question=poll.question,
                    voters=results.total_voters,
                )
            ]
            lines += [
                texts.ADMIN_OPTION.format(position=o.position, text=o.text, votes=o.votes)
                for o in results.options
            ]
            if poll.other:
                lines.append(texts.ADMIN_OTHER.format(votes=len(results.other_answers)))
            blocks.append("\n".join(lines))
        return _say("\n\n".join(blocks))

    async def close(self, uow: UnitOfWork, message: StaffMessage, argument: str) -> StaffResult:
        if not argument.strip().isdigit():
            return _say(texts.CLOSE_USAGE)
        poll_id = int(argument.strip())
        if await uow.polls.get(poll_id) is None:
            return _say(texts.UNKNOWN_POLL.format(poll_id=poll_id))
        now = self._now
        if not await self._service.close_in(uow, poll_id, now):
            return _say(texts.ALREADY_CLOSED.format(poll_id=poll_id))
        return StaffResult(await self._publisher.results_card(uow, poll_id, now))

    async def button(self, uow: UnitOfWork, message: StaffMessage, action: Action) -> StaffResult:
        assert isinstance(action, PollAdminAction)
        poll = await uow.polls.get(action.poll_id)
        if poll is None:
            text = texts.UNKNOWN_POLL.format(poll_id=action.poll_id)
        elif action.verb is PollVerb.PUBLISH:
            text = await self._publish(uow, poll)
        else:
            text = await self._send_results(uow, poll)
        return StaffResult(Reply(text), notice=text)

    async def _publish(self, uow: UnitOfWork, poll: Poll) -> str:
        """Publish at once when the poll is open already, else leave it to the scheduler."""
        now, poll_id = self._now, poll.id
        if poll.status is not PollStatus.DRAFT:
            return texts.NOT_A_DRAFT.format(poll_id=poll_id)
        if poll.closes_at <= now:
            return texts.PUBLISH_EXPIRED.format(poll_id=poll_id)
        poll = await self._service.request_publish_in(uow, poll_id, now)
        if poll.opens_at > now:
            return texts.PUBLISH_LATER.format(
                poll_id=poll_id, when=format_moment(poll.opens_at, self._tz)
            )
        await self._publisher.publish_in(uow, poll, now)
        return texts.PUBLISHED.format(
            poll_id=poll_id, audience=texts.AUDIENCE_NAMES[poll.audience.value]
        )

    async def _send_results(self, uow: UnitOfWork, poll: Poll) -> str:
        poll_id = poll.id
        if poll.status is not PollStatus.CLOSED:
            return texts.RESULTS_NOT_CLOSED.format(poll_id=poll_id)
        count = await self._publisher.send_results_in(uow, poll_id, self._now)
        if count is None:
            return texts.RESULTS_ALREADY_SENT.format(poll_id=poll_id)
        if count == 0:
            return texts.RESULTS_NO_VOTERS.format(poll_id=poll_id)
        return texts.RESULTS_SENT.format(poll_id=poll_id, count=count)

    def _spec(self, data: dict[str, Any]) -> PollSpec | None:
        """The poll the answers describe; None when its closing time passed meanwhile."""
        closes_at = datetime.fromisoformat(data["closes_at"])
        if closes_at <= self._now:
            return None
        return PollSpec(
            question=data["question"],
            options=tuple(data["options"]),
            closes_at=closes_at,
            opens_at=self._now,
            multiple=data["multiple"],
            other=data["other"],
            anonymous=data["anonymous"],
            revote=data["revote"],
            audience=Audience(data["audience"]),
        )

    async def _preview(self, uow: UnitOfWork, spec: PollSpec) -> StaffResult:
        """Create the draft and show it as residents will see it, with «Опубликовать»."""
        now = self._now
        poll_id = await self._service.create_in(uow, spec, now)
        poll = await uow.polls.get(poll_id)
        assert poll is not None
        shown = poll_message(poll, None, None, tz=self._tz, now=now)
        settings = texts.PREVIEW_SETTINGS.format(
            audience=texts.AUDIENCE_NAMES[spec.audience.value],
            **{name: texts.YES if getattr(spec, name) else texts.NO for name in FLAGS},
        )
        text = "\n\n".join(
            [texts.PREVIEW.format(poll_id=poll_id), shown.text, settings, texts.PREVIEW_HINT]
        )
        publish = Button(texts.PUBLISH_BUTTON, PollAdminAction(PollVerb.PUBLISH, poll_id))
        return StaffResult(Reply(text, buttons=((publish,),)))

    def _prompt(self, step: str) -> str:
        prompts = {
            "options": texts.NEW_OPTIONS.format(low=MIN_OPTIONS, high=MAX_OPTIONS),
            "multiple": texts.NEW_MULTIPLE,
            "other": texts.NEW_OTHER,
            "anonymous": texts.NEW_ANONYMOUS,
            "revote": texts.NEW_REVOTE,
            "closes_at": texts.NEW_CLOSES.format(example=self._time_example),
            "audience": texts.NEW_AUDIENCE,
        }
        return prompts[step]

    @staticmethod
    def _question(text: str) -> Parsed:
        question = " ".join(text.split())
        if not question:
            return None, texts.BAD_QUESTION_EMPTY
        if len(question) > MAX_QUESTION_LENGTH:
            return None, texts.BAD_QUESTION_LONG.format(limit=MAX_QUESTION_LENGTH)
        return question, None

    @staticmethod
    def _options(text: str) -> Parsed:
        options = [" ".join(line.split()) for line in text.splitlines()]
        options = [option for option in options if option]
        if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
            return None, texts.BAD_OPTIONS_COUNT.format(
                low=MIN_OPTIONS, high=MAX_OPTIONS, count=len(options)
            )
        seen: set[str] = set()
        for position, option in enumerate(options, start=1):
            if len(option) > MAX_OPTION_LENGTH:
                return None, texts.BAD_OPTION_LONG.format(
                    position=position, limit=MAX_OPTION_LENGTH
                )
            if option.casefold() in seen:
                return None, texts.BAD_OPTION_DUPLICATE.format(position=position, text=option)
            seen.add(option.casefold())
        return options, None

    @staticmethod
    def _yes_no(text: str) -> Parsed:
        word = text.casefold().rstrip(".!")
        if word in texts.YES_WORDS:
            return True, None
        if word in texts.NO_WORDS:
            return False, None
        return None, texts.BAD_YES_NO

    def _closes_at(self, text: str) -> Parsed:
        moment = parse_moment(text, self._tz)
        if moment is None:
            return None, texts.BAD_TIME.format(example=self._time_example)
        if moment <= self._now:
            return None, texts.BAD_TIME_PAST
        return moment.isoformat(), None

    @staticmethod
    def _audience(text: str) -> Parsed:
        audience = texts.AUDIENCE_WORDS.get(text.casefold())
        return (audience, None) if audience else (None, texts.BAD_AUDIENCE)

    @property
    def _time_example(self) -> str:
        week_later = self._now.astimezone(self._tz) + timedelta(days=7)
        return week_later.strftime(texts.TIME_EXAMPLE_FORMAT)

    @property
    def _now(self) -> datetime:
        return self._clock()


def _say(text: str) -> StaffResult:
    return StaffResult(Reply(text))
