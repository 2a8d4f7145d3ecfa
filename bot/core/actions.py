"""Typed button payloads shared by every platform.

A payload is a short string (Telegram allows 64 bytes of callback data), so buttons carry
ids and ranks, never texts; the rest is looked up in the database.
"""

from __future__ import annotations

import re
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


# Telegram caps callback data at 64 bytes and every payload here is shorter; anything longer
# is forged and is refused before it is split.
MAX_PAYLOAD_LENGTH = 64
# Row ids are 64-bit signed integers in the database; a larger number would overflow the
# driver instead of finding nothing.
MAX_ID = 2**63 - 1
# Ranks, positions, stars and topics are small; the bound also keeps them within a 32-bit
# column on PostgreSQL.
MAX_SMALL = 9_999
_NUMBER = re.compile(r"[0-9]{1,19}")


def parse_action(payload: str) -> Action | None:
    """Decode a payload from a button; forged or stale payloads give None, never an error.
    Numbers are ASCII digits within the database's range: `str.isdigit` and `int` also take
    other scripts' digits, superscripts and underscores."""
    if len(payload) > MAX_PAYLOAD_LENGTH:
        return None
    parts = payload.split(":")
    if len(parts) == 3 and parts[0] == "sa" and parts[1] in StaffVerb.__members__.values():
        appeal_id = _id(parts[2])
        return StaffAction(StaffVerb(parts[1]), appeal_id) if appeal_id is not None else None
    if len(parts) == 3 and parts[0] == "pa" and parts[1] in PollVerb.__members__.values():
        poll_id = _id(parts[2])
        return PollAdminAction(PollVerb(parts[1]), poll_id) if poll_id is not None else None
    if len(parts) == 2 and parts[0] == "ax" and parts[1] in AnnounceVerb.__members__.values():
        return AnnounceAction(AnnounceVerb(parts[1]))
    numbers = [_number(part) for part in parts[1:]]
    if any(number is None for number in numbers):
        return None
    match parts[0], numbers:
        case "fb", [int(exchange_id), int(helpful)] if _flag(helpful) and _row(exchange_id):
            return FeedbackAction(exchange_id, bool(helpful))
        case "pk", [int(exchange_id), int(rank)] if _row(exchange_id) and rank <= MAX_SMALL:
            return PickAction(exchange_id, rank)
        case "ask", [int(exchange_id)] if _row(exchange_id):
            return AskStaffAction(exchange_id)
        case "cs", [int(accept)] if _flag(accept):
            return ConsentAction(bool(accept))
        case "fg", [int(confirm)] if _flag(confirm):
            return ForgetAction(bool(confirm))
        case "rt", [int(appeal_id), int(stars)] if _row(appeal_id) and 1 <= stars <= 5:
            return RateAction(appeal_id, stars)
        case "pv", [int(poll_id), int(position)] if _row(poll_id) and 1 <= position <= MAX_SMALL:
            return VoteAction(poll_id, position)
        case "po", [int(poll_id)] if _row(poll_id):
            return PollOtherAction(poll_id)
        case "nt", [int(accept)] if _flag(accept):
            return NotifyAction(bool(accept))
        case "sb", [int(topic), int(on)] if 1 <= topic <= MAX_SMALL and _flag(on):
            return SubscribeAction(topic, bool(on))
        case "an", [int(topic)] if topic <= MAX_SMALL:
            return AnnounceTopicAction(topic)
    return None


def _number(part: str) -> int | None:
    return int(part) if _NUMBER.fullmatch(part) else None


def _id(part: str) -> int | None:
    number = _number(part)
    return number if number is not None and _row(number) else None


def _row(number: int) -> bool:
    return number <= MAX_ID


def _flag(number: int) -> bool:
    return number in (0, 1)
