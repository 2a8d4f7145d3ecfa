"""What the FAQ decided about one message."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    ANSWER = "answer"
    SUGGEST = "suggest"
    ESCALATE = "escalate"
    SMALL_TALK = "small_talk"


class SmallTalk(StrEnum):
    GREETING = "greeting"
    THANKS = "thanks"
    NO_QUESTION = "no_question"


@dataclass(frozen=True, slots=True)
class Candidate:
    entry_id: str
    score: float


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The decision's limits, all on a 0–100 scale.

    answer: the estimated probability (×100) that the top entry is right, needed to answer
    on one's own; suggest: the estimated probability (×100) that the right entry is among
    the top three, needed to offer «did you mean» instead of escalating; margin: the lead of
    the top entry's score over the runner-up's needed to answer, in percent of the top score
    (relative, so it means the same for short and long messages). The probabilities come
    from a logistic model calibrated on labelled messages (see `faq.matcher.MODEL`).
    """

    answer: float = 55.0
    suggest: float = 20.0
    margin: float = 15.0

    def __post_init__(self) -> None:
        if not 0 <= self.suggest <= self.answer <= 100 or not 0 <= self.margin <= 100:
            raise ValueError("expected 0 <= suggest <= answer <= 100 and 0 <= margin <= 100")


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    candidates: tuple[Candidate, ...] = ()
    small_talk: SmallTalk | None = None
    reason: str = ""

    @property
    def entry_id(self) -> str | None:
        if self.outcome is Outcome.ANSWER and self.candidates:
            return self.candidates[0].entry_id
        return None

    @property
    def suggestions(self) -> tuple[str, ...]:
        if self.outcome is Outcome.SUGGEST:
            return tuple(c.entry_id for c in self.candidates)
        return ()
