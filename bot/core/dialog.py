"""The resident dialog: one entry point for everything a resident does on any platform."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.core import safety_texts, texts
from bot.core.actions import (
    Action,
    AskStaffAction,
    ConsentAction,
    FeedbackAction,
    ForgetAction,
    NotifyAction,
    PickAction,
    PollOtherAction,
    RateAction,
    SubscribeAction,
    VoteAction,
    parse_action,
)
from bot.core.appeal_limit import AppealLimit
from bot.core.appeals import AppealService
from bot.core.emergency import EmergencySignal, detect_emergency
from bot.core.flood import FloodVerdict
from bot.core.messages import Button, Incoming, Reply
from bot.core.ports import Clock, DeliveryError, Messengers, utc_now
from bot.core.privacy import PrivacyService
from bot.core.safety import Safety
from bot.core.subscriptions import COMMANDS as SUBSCRIPTION_COMMANDS
from bot.core.subscriptions import SubscriptionService
from bot.core.text_split import storable
from bot.storage.database import Database, UnitOfWork
from bot.storage.records import Exchange, Resident
from faq import Candidate, Decision, FaqLibrary, Outcome, SmallTalk

if TYPE_CHECKING:
    # Only the type: the composition root hands the polls feature in.
    from polls.residents import PollDialog

logger = logging.getLogger(__name__)

MENU = ((texts.MENU_ASK_STAFF,), (texts.MENU_STATUS, texts.MENU_HELP))
AWAITING_QUESTION = "awaiting_question"
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
        appeals: AppealService,
        privacy: PrivacyService,
        safety: Safety,
        notice: str,
        clock: Clock = utc_now,
        *,
        polls: PollDialog,
        subscriptions: SubscriptionService,
        appeal_limit: AppealLimit,
    ) -> None:
        self._database = database
        self._appeal_limit = appeal_limit
        self._polls = polls
        self._subscriptions = subscriptions
        self._faq = faq
        self._messengers = messengers
        self._appeals = appeals
        self._privacy = privacy
        self._safety = safety
        self._greeting = f"{texts.GREETING}\n\n{notice}"
        self._help = f"{texts.HELP}\n\n{notice}"
        self._clock = clock

    async def handle(self, incoming: Incoming) -> None:
        """Record what the resident did, answer, record the answer, and finish the inbox update
        in the same transaction, so a crash leaves either nothing or everything."""
        incoming = replace(
            incoming,
            text=storable(incoming.text),
            display_name=storable(incoming.display_name) if incoming.display_name else None,
            username=storable(incoming.username) if incoming.username else None,
            callback_data=(
                storable(incoming.callback_data) if incoming.callback_data is not None else None
            ),
        )
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
                attachments=incoming.attachments,
                keep_text=not self._privacy.declined(resident),
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
        text = incoming.text.strip()
        danger = None if incoming.command else detect_emergency(text)
        if danger is not None:
            return await self._emergency(uow, resident, incoming, inbound_id, danger)
        flood = self._flood(incoming)
        if flood is not FloodVerdict.ALLOW:
            return self._flooded(incoming, flood)
        if incoming.callback_data is not None:
            action = parse_action(incoming.callback_data)
            if action is None:
                return Turn((Reply(texts.STALE_BUTTON),), outcome="stale_action")
            return await self._on_action(uow, resident, action, inbound_id, incoming.message_id)
        command = incoming.command
        if command == "start" or text.lower() in texts.START_WORDS:
            await self._subscriptions.ask_once(uow, resident)
            return Turn((Reply(self._greeting, menu=MENU),), outcome="command")
        if command in SUBSCRIPTION_COMMANDS:
            topics = await self._subscriptions.command(uow, resident, command)
            return Turn((topics,), outcome="command")
        if command == "help" or text == texts.MENU_HELP:
            return Turn((Reply(self._help, menu=MENU),), outcome="command")
        if command == "status" or text == texts.MENU_STATUS:
            return Turn((await self._appeals.status(uow, resident),), outcome="command")
        if command == "cancel":
            return Turn((await self._appeals.cancel(uow, resident),), outcome="command")
        if command == "forget_me":
            return Turn((self._privacy.forget_prompt(),), outcome="command")
        if command == "polls":
            replies = await self._polls.open_polls(uow, resident, self._clock())
            return Turn(replies, outcome="polls")
        if resident.banned:
            return Turn((Reply(texts.BANNED_REPLY),), outcome="banned")
        poll_answer = await self._polls.other_answer(uow, resident, text, self._clock())
        if poll_answer is not None:
            return Turn((poll_answer,), outcome="poll_other")
        active = await uow.appeals.active_for_resident(resident.id)
        if active and self._privacy.may_reach_staff(resident):
            reply = await self._appeals.join(
                uow, resident, active[-1], text, incoming.attachments, inbound_id
            )
            return Turn((reply,), outcome="joined")
        if text == texts.MENU_ASK_STAFF:
            await uow.states.set(resident.key, AWAITING_QUESTION, {}, self._clock())
            return Turn((Reply(texts.ASK_FOR_QUESTION),), outcome="ask_staff")
        state = await uow.states.get(resident.key)
        if state is not None and state.state == AWAITING_QUESTION:
            await uow.states.clear(resident.key)
            return await self._open_appeal(uow, resident, incoming, [inbound_id])
        if not text:
            prompt = texts.MEDIA_ONLY if incoming.attachments else texts.REPHRASE
            return Turn((Reply(prompt, buttons=_ask_staff_row(inbound_id)),))
        return await self._answer_question(uow, resident, incoming, inbound_id)

    async def _emergency(
        self,
        uow: UnitOfWork,
        resident: Resident,
        incoming: Incoming,
        inbound_id: int,
        danger: EmergencySignal,
    ) -> Turn:
        """The emergency numbers first, then staff at once: the appeal is urgent and, as it
        protects a life, opened without waiting for consent."""
        numbers = Reply(safety_texts.emergency_reply(self._safety.edds_phone, danger.kind))
        active = await uow.appeals.active_for_resident(resident.id)
        if resident.banned:
            return Turn((numbers,), outcome="emergency")
        if active:
            reply = await self._appeals.join(
                uow, resident, active[-1], incoming.text.strip(), incoming.attachments, inbound_id
            )
            await self._appeals.raise_alarm(uow, active[-1], resident, danger.kind)
        else:
            _, reply = await self._appeals.open(
                uow,
                resident,
                incoming.text.strip(),
                incoming.attachments,
                [inbound_id],
                urgent=danger.kind,
            )
        return Turn((numbers, reply), outcome="emergency")

    def _flood(self, incoming: Incoming) -> FloodVerdict:
        guard = (
            self._safety.callbacks
            if incoming.callback_data is not None
            else (self._safety.messages)
        )
        return guard.check(str(incoming.resident), incoming.received_at)

    @staticmethod
    def _flooded(incoming: Incoming, verdict: FloodVerdict) -> Turn:
        """Over the limit: recorded, not answered or forwarded; one notice per flood."""
        if verdict is FloodVerdict.DROP:
            return Turn((), outcome="flood")
        notice = (
            safety_texts.FLOOD_CALLBACK_NOTICE
            if incoming.callback_data is not None
            else safety_texts.FLOOD_NOTICE
        )
        return Turn((Reply(notice),), outcome="flood")

    async def _open_appeal(
        self,
        uow: UnitOfWork,
        resident: Resident,
        incoming: Incoming,
        exchange_ids: list[int],
        candidates: tuple[Candidate, ...] = (),
    ) -> Turn:
        if not self._privacy.consented(resident):
            pending = {
                "exchange_ids": exchange_ids,
                "candidates": [[c.entry_id, c.score] for c in candidates],
            }
            reply = await self._privacy.ask(uow, resident, pending)
            return Turn((reply,), outcome=Outcome.ESCALATE.value, candidates=candidates)
        refusal = await self._appeal_limit.refusal(uow, resident, exchange_ids)
        if refusal is not None:
            return Turn((refusal,), outcome="appeal_limit", candidates=candidates)
        category = self._category(candidates)
        _, reply = await self._appeals.open(
            uow,
            resident,
            incoming.text.strip(),
            incoming.attachments,
            exchange_ids,
            candidates,
            category,
        )
        return Turn((reply,), outcome=Outcome.ESCALATE.value, candidates=candidates)

    def _category(self, candidates: tuple[Candidate, ...]) -> str | None:
        """The category of the FAQ's best guess, if there is one to go by."""
        if not candidates:
            return None
        entry = self._faq.entry(candidates[0].entry_id)
        return entry.category if entry else None

    async def _answer_question(
        self, uow: UnitOfWork, resident: Resident, incoming: Incoming, inbound_id: int
    ) -> Turn:
        decision = await self._faq.decide_async(incoming.text)
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
        return await self._open_appeal(uow, resident, incoming, [inbound_id], candidates)

    async def _on_action(
        self,
        uow: UnitOfWork,
        resident: Resident,
        action: Action,
        inbound_id: int,
        pressed: str | None = None,
    ) -> Turn:
        if isinstance(action, ConsentAction):
            return await self._on_consent(uow, resident, action)
        if isinstance(action, NotifyAction | SubscribeAction):
            changed = await self._subscriptions.on_action(uow, resident, action)
            return Turn((changed,), outcome="subscription")
        if isinstance(action, ForgetAction):
            if not action.confirm:
                return Turn((Reply(texts.FORGET_CANCELLED),), outcome="forget_cancelled")
            await self._privacy.forget(uow, resident, actor=str(resident.key))
            return Turn((Reply(texts.FORGOTTEN),), outcome="forgotten")
        if isinstance(action, VoteAction | PollOtherAction):
            voted = await self._polls.on_action(uow, resident, action, self._clock(), pressed)
            return Turn((voted,), outcome="poll")
        if isinstance(action, RateAction):
            reply = await self._appeals.rate(uow, resident, action)
            if reply is None:
                return Turn((Reply(texts.STALE_BUTTON),), outcome="stale_action")
            return Turn((reply,), outcome="rating")
        if not isinstance(action, FeedbackAction | PickAction | AskStaffAction):
            return Turn((Reply(texts.STALE_BUTTON),), outcome="stale_action")
        exchange = await uow.exchanges.get(action.exchange_id)
        if exchange is None or exchange.resident_id != resident.id:
            return Turn((Reply(texts.STALE_BUTTON),), outcome="stale_action")
        match action:
            case FeedbackAction(helpful=True):
                await uow.exchanges.record_feedback(exchange.id, "helpful", self._clock())
                return Turn((Reply(texts.THANKS_FOR_FEEDBACK),), outcome="feedback")
            case FeedbackAction(helpful=False):
                await uow.exchanges.record_feedback(exchange.id, "not_helpful", self._clock())
                reply = Reply(
                    texts.NOT_HELPFUL,
                    buttons=_ask_staff_row(exchange.id, texts.PASS_TO_STAFF_BUTTON),
                )
                return Turn((reply,), outcome="feedback")
            case PickAction(rank=rank):
                return self._on_pick(exchange, rank, inbound_id)
            case AskStaffAction():
                return await self._ask_staff(uow, resident, exchange, inbound_id)
        raise AssertionError(f"unhandled action {action!r}")

    async def _on_consent(self, uow: UnitOfWork, resident: Resident, action: ConsentAction) -> Turn:
        pending = await self._privacy.answer(uow, resident, action)
        if pending is None:
            return Turn((Reply(texts.CONSENT_DECLINED),), outcome="consent_declined")
        resident = await uow.residents.get(resident.id) or resident
        exchanges = [
            exchange
            for exchange_id in pending.get("exchange_ids", [])
            if (exchange := await uow.exchanges.get(int(exchange_id))) is not None
            and exchange.resident_id == resident.id
        ]
        if not exchanges:
            return Turn((Reply(texts.THANKS_FOR_CONSENT),), outcome="consent_given")
        question = Incoming(
            resident=resident.key,
            chat_id=exchanges[0].chat_id,
            received_at=exchanges[0].created_at,
            text="\n".join(e.text for e in exchanges if e.text and e.kind != "callback"),
            attachments=tuple(a for e in exchanges for a in e.attachments),
        )
        candidates = tuple(Candidate(str(c[0]), float(c[1])) for c in pending["candidates"])
        turn = await self._open_appeal(
            uow, resident, question, [e.id for e in exchanges], candidates
        )
        return Turn(turn.replies, outcome="consent_given")

    async def _ask_staff(
        self, uow: UnitOfWork, resident: Resident, question: Exchange, inbound_id: int
    ) -> Turn:
        """«Задать вопрос сотруднику» under an answer or suggestion: the original question
        (with its media) becomes the appeal, or joins the one already open."""
        incoming = Incoming(
            resident=resident.key,
            chat_id=question.chat_id,
            received_at=question.created_at,
            text=question.text or "",
            attachments=question.attachments,
        )
        active = await uow.appeals.active_for_resident(resident.id)
        if active and self._privacy.may_reach_staff(resident):
            reply = await self._appeals.join(
                uow, resident, active[-1], incoming.text, incoming.attachments, question.id
            )
            return Turn((reply,), outcome="joined")
        return await self._open_appeal(
            uow, resident, incoming, [question.id, inbound_id], question.candidates
        )

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


def _ask_staff_row(
    exchange_id: int, label: str = texts.ASK_STAFF_BUTTON
) -> tuple[tuple[Button, ...], ...]:
    return ((Button(label, AskStaffAction(exchange_id)),),)


def _small_talk_reply(kind: SmallTalk | None, exchange_id: int) -> Reply:
    if kind is SmallTalk.GREETING:
        return Reply(texts.GREETING_REPLY)
    if kind is SmallTalk.THANKS:
        return Reply(texts.THANKS_REPLY)
    return Reply(texts.REPHRASE, buttons=_ask_staff_row(exchange_id))


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
