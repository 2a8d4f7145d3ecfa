"""The resident dialog: one entry point for everything a resident does on any platform."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.core import texts
from bot.core.actions import Action, AskStaffAction, FeedbackAction, PickAction, parse_action
from bot.core.messages import Button, Incoming, Reply
from bot.core.ports import Clock, DeliveryError, Messengers, utc_now
from bot.storage.database import Database, UnitOfWork
from bot.storage.records import Exchange, Resident
from faq import Candidate, Decision, FaqLibrary, Outcome, SmallTalk

logger = logging.getLogger(__name__)

MENU = ((texts.MENU_ASK_STAFF,), (texts.MENU_HELP,))
SUGGESTION_LABEL_LIMIT = 60


@dataclass(frozen=True)
class Turn:
    """What the bot decided for one inbound exchange: the replies and the decision to record."""

    replies: tuple[Reply, ...]
    outcome: str | None = None
    entry_id: str | None = None
    score: float | None = None
    candidates: tuple[Candidate, ...] = ()


class DialogService:
    def __init__(
        self,
        database: Database,
        faq: FaqLibrary,
        messengers: Messengers,
        clock: Clock = utc_now,
    ) -> None:
        self._database = database
        self._faq = faq
        self._messengers = messengers
        self._clock = clock

    async def handle(self, incoming: Incoming) -> None:
        """Record what the resident did, answer, record the answer, and finish the inbox update
        in the same transaction, so a crash leaves either nothing or everything."""
        async with self._database.unit_of_work() as uow:
            now = self._clock()
            resident = await uow.residents.touch(
                incoming.resident, incoming.display_name, incoming.username, now
            )
            inbound_id = await uow.exchanges.add(
                resident_id=resident.id,
                platform=incoming.resident.platform,
                direction="in",
                kind=_kind(incoming),
                text=incoming.callback_data or incoming.text or None,
                chat_id=incoming.chat_id,
                platform_message_id=incoming.message_id,
                inbox_id=incoming.inbox_id,
                created_at=now,
            )
            turn = await self._decide(uow, resident, incoming, inbound_id)
            if turn.outcome is not None:
                await uow.exchanges.record_decision(
                    inbound_id,
                    outcome=turn.outcome,
                    entry_id=turn.entry_id,
                    score=turn.score,
                    candidates=turn.candidates,
                )
            await self._send(uow, resident, incoming.chat_id, turn.replies, inbound_id)
            if incoming.inbox_id is not None:
                await uow.inbox.mark_done(incoming.inbox_id, self._clock())
            await uow.commit()

    async def _decide(
        self, uow: UnitOfWork, resident: Resident, incoming: Incoming, inbound_id: int
    ) -> Turn:
        if incoming.callback_data is not None:
            action = parse_action(incoming.callback_data)
            if action is None:
                return Turn((Reply(texts.STALE_BUTTON),), outcome="stale_action")
            return await self._on_action(uow, resident, action, inbound_id)
        command = incoming.command
        if command == "start":
            return Turn((Reply(texts.GREETING, menu=MENU),), outcome="command")
        if command == "help" or incoming.text.strip() == texts.MENU_HELP:
            return Turn((Reply(texts.HELP, menu=MENU),), outcome="command")
        if incoming.text.strip() == texts.MENU_ASK_STAFF:
            return self._escalate()
        if not incoming.text.strip():
            return Turn((Reply(texts.MEDIA_ONLY, buttons=_ask_staff_row(inbound_id)),))
        return self._answer_question(incoming.text, inbound_id)

    def _answer_question(self, text: str, inbound_id: int) -> Turn:
        decision = self._faq.decide(text)
        candidates = decision.candidates
        top_score = candidates[0].score if candidates else None
        if decision.outcome is Outcome.ANSWER and decision.entry_id is not None:
            return Turn(
                (self._faq_answer(decision.entry_id, inbound_id),),
                outcome=decision.outcome.value,
                entry_id=decision.entry_id,
                score=top_score,
                candidates=candidates,
            )
        if decision.outcome is Outcome.SUGGEST:
            return Turn(
                (self._suggestions(decision, inbound_id),),
                outcome=decision.outcome.value,
                score=top_score,
                candidates=candidates,
            )
        if decision.outcome is Outcome.SMALL_TALK:
            reply = _small_talk_reply(decision.small_talk, inbound_id)
            return Turn((reply,), outcome=decision.outcome.value, candidates=candidates)
        escalation = self._escalate()
        return Turn(escalation.replies, outcome=Outcome.ESCALATE.value, candidates=candidates)

    def _escalate(self) -> Turn:
        return Turn((Reply(texts.ESCALATED),), outcome=Outcome.ESCALATE.value)

    async def _on_action(
        self, uow: UnitOfWork, resident: Resident, action: Action, inbound_id: int
    ) -> Turn:
        exchange = await uow.exchanges.get(action.exchange_id)
        if exchange is None or exchange.resident_id != resident.id:
            return Turn((Reply(texts.STALE_BUTTON),), outcome="stale_action")
        match action:
            case FeedbackAction(helpful=True):
                await uow.exchanges.record_feedback(exchange.id, "helpful", self._clock())
                return Turn((Reply(texts.THANKS_FOR_FEEDBACK),), outcome="feedback")
            case FeedbackAction(helpful=False):
                await uow.exchanges.record_feedback(exchange.id, "not_helpful", self._clock())
                reply = Reply(texts.NOT_HELPFUL, buttons=_ask_staff_row(exchange.id))
                return Turn((reply,), outcome="feedback")
            case PickAction(rank=rank):
                return self._on_pick(exchange, rank, inbound_id)
            case AskStaffAction():
                return self._escalate()
        raise AssertionError(f"unhandled action {action!r}")

    def _on_pick(self, exchange: Exchange, rank: int, inbound_id: int) -> Turn:
        if rank >= len(exchange.candidates):
            return Turn((Reply(texts.STALE_BUTTON),), outcome="stale_action")
        chosen = exchange.candidates[rank]
        if self._faq.entry(chosen.entry_id) is None:
            return Turn((Reply(texts.STALE_BUTTON),), outcome="stale_action")
        return Turn(
            (self._faq_answer(chosen.entry_id, inbound_id),),
            outcome="picked",
            entry_id=chosen.entry_id,
            score=chosen.score,
        )

    def _faq_answer(self, entry_id: str, exchange_id: int) -> Reply:
        entry = self._faq.entry(entry_id)
        assert entry is not None
        buttons = (
            (
                Button(texts.HELPFUL_BUTTON, FeedbackAction(exchange_id, helpful=True)),
                Button(texts.NOT_HELPFUL_BUTTON, FeedbackAction(exchange_id, helpful=False)),
            ),
        )
        return Reply(entry.answer.strip(), buttons=buttons)

    def _suggestions(self, decision: Decision, exchange_id: int) -> Reply:
        rows: list[tuple[Button, ...]] = []
        for rank, candidate in enumerate(decision.candidates):
            entry = self._faq.entry(candidate.entry_id)
            if entry is None:
                continue
            label = _shorten(entry.questions[0], SUGGESTION_LABEL_LIMIT)
            rows.append((Button(label, PickAction(exchange_id, rank)),))
        rows.append(_ask_staff_row(exchange_id)[0])
        return Reply(texts.SUGGEST, buttons=tuple(rows))

    async def _send(
        self,
        uow: UnitOfWork,
        resident: Resident,
        chat_id: str,
        replies: tuple[Reply, ...],
        inbound_id: int,
    ) -> None:
        messenger = self._messengers[resident.platform]
        for reply in replies:
            try:
                message_ids = await messenger.send(chat_id, reply)
            except DeliveryError as error:
                logger.warning("Reply to %s not delivered: %s", resident.key, error)
                kind = "undelivered"
                message_ids = []
            else:
                kind = "text"
            await uow.exchanges.add(
                resident_id=resident.id,
                platform=resident.platform,
                direction="out",
                kind=kind,
                text=reply.text,
                chat_id=chat_id,
                platform_message_id=",".join(message_ids) or None,
                in_reply_to_id=inbound_id,
                created_at=self._clock(),
            )


def _kind(incoming: Incoming) -> str:
    if incoming.callback_data is not None:
        return "callback"
    if incoming.command is not None:
        return "command"
    if incoming.attachments:
        return "media"
    return "text"


def _ask_staff_row(exchange_id: int) -> tuple[tuple[Button, ...], ...]:
    return ((Button(texts.ASK_STAFF_BUTTON, AskStaffAction(exchange_id)),),)


def _small_talk_reply(kind: SmallTalk | None, exchange_id: int) -> Reply:
    if kind is SmallTalk.GREETING:
        return Reply(texts.GREETING_REPLY)
    if kind is SmallTalk.THANKS:
        return Reply(texts.THANKS_REPLY)
    return Reply(texts.REPHRASE, buttons=_ask_staff_row(exchange_id))


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
