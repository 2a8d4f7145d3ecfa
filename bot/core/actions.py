"""Typed button payloads shared by every platform.

A payload is a short string (Telegram allows 64 bytes of callback data), so buttons carry
ids and ranks, never texts; the rest is looked up in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class FeedbackAction:
    """«Помогло» / «Не помогло» under an FAQ answer."""

    exchange_id: int
    helpful: bool

    def encode(self) -> str:
        return f"fb:{self.exchange_id}:{int(self.helpful)}"


@dataclass(frozen=True)
class PickAction:
    """A «did you mean» choice: rank of the candidate recorded on the exchange."""

    exchange_id: int
    rank: int

    def encode(self) -> str:
        return f"pk:{self.exchange_id}:{self.rank}"


@dataclass(frozen=True)
class AskStaffAction:
    """«Задать вопрос сотруднику» for the question behind an exchange."""

    exchange_id: int

    def encode(self) -> str:
        return f"ask:{self.exchange_id}"


@dataclass(frozen=True)
class RateAction:
    """The resident's 1–5 rating of a closed appeal."""

    appeal_id: int
    stars: int

    def encode(self) -> str:
        return f"rt:{self.appeal_id}:{self.stars}"


class StaffVerb(StrEnum):
    TAKE = "take"
    CLOSE = "close"
    SPAM = "spam"


@dataclass(frozen=True)
class StaffAction:
    """A button under an appeal in the staff chat."""

    verb: StaffVerb
    appeal_id: int

    def encode(self) -> str:
        return f"sa:{self.verb}:{self.appeal_id}"


@dataclass(frozen=True)
class VoteAction:
    """A poll option button; positions start at 1, as residents see them numbered."""

    poll_id: int
    option_position: int

    def encode(self) -> str:
        return f"pv:{self.poll_id}:{self.option_position}"


@dataclass(frozen=True)
class PollOtherAction:
    """«Свой вариант» under a poll: the resident's next message is their own answer."""

    poll_id: int

    def encode(self) -> str:
        return f"po:{self.poll_id}"


class PollVerb(StrEnum):
    PUBLISH = "pub"
    RESULTS = "res"


@dataclass(frozen=True)
class PollAdminAction:
    """A button under a poll preview («Опубликовать») or its results in the staff chat."""

    verb: PollVerb
    poll_id: int

    def encode(self) -> str:
        return f"pa:{self.verb}:{self.poll_id}"


@dataclass(frozen=True)
class ConsentAction:
    """Accepting or declining the personal-data notice (152-ФЗ)."""

    accept: bool

    def encode(self) -> str:
        return f"cs:{int(self.accept)}"


@dataclass(frozen=True)
class ForgetAction:
    """Confirming or cancelling /forget_me."""

    confirm: bool

    def encode(self) -> str:
        return f"fg:{int(self.confirm)}"


@dataclass(frozen=True)
class NotifyAction:
    """«Да» / «Нет» to the one-time question whether a new resident wants announcements."""

    accept: bool

    def encode(self) -> str:
        return f"nt:{int(self.accept)}"


@dataclass(frozen=True)
class SubscribeAction:
    """Turning one announcement topic on or off (its position in ANNOUNCEMENT_TOPICS, from 1);
    the wanted state rather than a toggle, so an old button pressed twice does no harm."""

    topic: int
    on: bool

    def encode(self) -> str:
        return f"sb:{self.topic}:{int(self.on)}"


@dataclass(frozen=True)
class AnnounceTopicAction:
    """The topic of an announcement being prepared: 0 is an emergency alert, 1.. a topic."""

    topic: int

    def encode(self) -> str:
        return f"an:{self.topic}"


class AnnounceVerb(StrEnum):
    SEND = "send"
    LATER = "later"
    CANCEL = "cancel"


@dataclass(frozen=True)
class AnnounceAction:
    """Under an announcement preview: send now, schedule, or drop it."""

    verb: AnnounceVerb

    def encode(self) -> str:
        return f"ax:{self.verb}"


Action = (
    ConsentAction
    | ForgetAction
    | FeedbackAction
    | PickAction
    | AskStaffAction
    | RateAction
    | StaffAction
    | VoteAction
    | PollOtherAction
    | PollAdminAction
    | NotifyAction
    | SubscribeAction
    | AnnounceTopicAction
    | AnnounceAction
)


def parse_action(payload: str) -> Action | None:
    """Decode a payload from a button; forged or stale payloads give None, never an error."""
    parts = payload.split(":")
    if len(parts) == 3 and parts[0] == "sa" and parts[1] in StaffVerb.__members__.values():
        return _staff_action(StaffVerb(parts[1]), parts[2])
    if len(parts) == 3 and parts[0] == "pa" and parts[1] in PollVerb.__members__.values():
        return PollAdminAction(PollVerb(parts[1]), int(parts[2])) if parts[2].isdigit() else None
    if len(parts) == 2 and parts[0] == "ax" and parts[1] in AnnounceVerb.__members__.values():
        return AnnounceAction(AnnounceVerb(parts[1]))
    try:
        numbers = [int(part) for part in parts[1:]]
    except ValueError:
        return None
    if any(number < 0 for number in numbers):
        return None
    match parts[0], numbers:
        case "fb", [exchange_id, helpful] if helpful in (0, 1):
            return FeedbackAction(exchange_id, bool(helpful))
        case "pk", [exchange_id, rank]:
            return PickAction(exchange_id, rank)
        case "ask", [exchange_id]:
            return AskStaffAction(exchange_id)
        case "cs", [accept] if accept in (0, 1):
            return ConsentAction(bool(accept))
        case "fg", [confirm] if confirm in (0, 1):
            return ForgetAction(bool(confirm))
        case "rt", [appeal_id, stars] if 1 <= stars <= 5:
            return RateAction(appeal_id, stars)
        case "pv", [poll_id, position] if position >= 1:
            return VoteAction(poll_id, position)
        case "po", [poll_id]:
            return PollOtherAction(poll_id)
        case "nt", [accept] if accept in (0, 1):
            return NotifyAction(bool(accept))
        case "sb", [topic, on] if topic >= 1 and on in (0, 1):
            return SubscribeAction(topic, bool(on))
        case "an", [topic]:
            return AnnounceTopicAction(topic)
    return None


def _staff_action(verb: StaffVerb, appeal_id: str) -> StaffAction | None:
    return StaffAction(verb, int(appeal_id)) if appeal_id.isdigit() else None
