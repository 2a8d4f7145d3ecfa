"""What a poll is made of, what a vote ends in and what staff get back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.storage.records import Audience, Poll, PollStatus

MIN_OPTIONS = 2
MAX_OPTIONS = 10
# Telegram's own polls stop at these lengths; beyond them buttons and charts get unreadable.
MAX_QUESTION_LENGTH = 300
MAX_OPTION_LENGTH = 100
MAX_OTHER_LENGTH = 500


class PollSpecError(ValueError):
    """A poll definition is invalid; `reasons` lists every problem found."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


class PollError(Exception):
    """A staff command cannot be carried out (unknown poll, wrong state)."""


@dataclass(frozen=True)
class PollSpec:
    """A poll as staff define it, before it has an id. Times are aware."""

    question: str
    options: tuple[str, ...]
    closes_at: datetime
    opens_at: datetime
    multiple: bool = False
    other: bool = False
    anonymous: bool = True
    revote: bool = True
    audience: Audience = Audience.ALL

    def __post_init__(self) -> None:
        reasons = []
        if not self.question.strip():
            reasons.append("question is empty")
        elif len(self.question) > MAX_QUESTION_LENGTH:
            reasons.append(f"question is longer than {MAX_QUESTION_LENGTH} characters")
        if not MIN_OPTIONS <= len(self.options) <= MAX_OPTIONS:
            reasons.append(
                f"expected {MIN_OPTIONS} to {MAX_OPTIONS} options, got {len(self.options)}"
            )
        seen: set[str] = set()
        for position, option in enumerate(self.options, start=1):
            folded = " ".join(option.split()).casefold()
            if not folded:
                reasons.append(f"option {position} is empty")
            elif len(option) > MAX_OPTION_LENGTH:
                reasons.append(f"option {position} is longer than {MAX_OPTION_LENGTH} characters")
            elif folded in seen:
                reasons.append(f"option {position} «{option}» duplicates an earlier one")
            seen.add(folded)
        if self.opens_at.tzinfo is None or self.closes_at.tzinfo is None:
            reasons.append("opens_at and closes_at must carry a time zone")
        elif self.closes_at <= self.opens_at:
            reasons.append("closes_at must be later than opens_at")
        if reasons:
            raise PollSpecError(reasons)


@dataclass(frozen=True)
class Choice:
    """A resident's answer: chosen option positions (in poll order) and their own text."""

    positions: tuple[int, ...] = ()
    other_text: str | None = None

    @property
    def empty(self) -> bool:
        return not self.positions and self.other_text is None


class VoteStatus(StrEnum):
    ACCEPTED = "accepted"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    REFUSED = "refused"


class Refusal(StrEnum):
    UNKNOWN_POLL = "unknown_poll"
    NOT_OPEN = "not_open"
    CLOSED = "closed"
    NO_SUCH_OPTION = "no_such_option"
    REVOTE_FORBIDDEN = "revote_forbidden"
    WRONG_AUDIENCE = "wrong_audience"
    NO_OTHER = "no_other"
    EMPTY_OTHER = "empty_other"
    LONG_OTHER = "long_other"


@dataclass(frozen=True)
class VoteOutcome:
    """What became of a vote; `message` is for the resident, `choice` is their answer now
    (None when they have none or the poll is unknown)."""

    status: VoteStatus
    message: str
    poll: Poll | None = None
    choice: Choice | None = None
    refusal: Refusal | None = None

    @property
    def counted(self) -> bool:
        return self.status is not VoteStatus.REFUSED


@dataclass(frozen=True)
class OptionResult:
    position: int
    text: str
    votes: int


@dataclass(frozen=True)
class PollResults:
    """Counts per option and the free-text answers; never who voted."""

    poll: Poll
    total_voters: int
    options: tuple[OptionResult, ...]
    other_answers: tuple[str, ...] = field(default=())

    def percent(self, votes: int) -> float:
        """Share of voters, so a multiple-choice poll adds up to more than 100."""
        return 100.0 * votes / self.total_voters if self.total_voters else 0.0

    @property
    def status(self) -> PollStatus:
        return self.poll.status

    def to_json(self) -> dict[str, Any]:
        return {
            "poll_id": self.poll.id,
            "question": self.poll.question,
            "status": self.poll.status.value,
            "total_voters": self.total_voters,
            "options": [{"text": option.text, "votes": option.votes} for option in self.options],
            "other_answers": len(self.other_answers),
        }
