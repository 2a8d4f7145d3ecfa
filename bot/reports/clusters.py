"""Questions the FAQ could not answer, grouped into clusters of similar wordings.

A cluster is a candidate for a new knowledge-base entry: its size says how often residents
ask, its examples how they put it, and the staff answers on the appeals behind it what the
entry could say.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import numpy as np
from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.actions import PickAction, parse_action
from bot.reports import texts
from bot.reports.masking import mask_personal_data
from bot.storage.models import AppealRow, ExchangeRow
from faq.normalize import INTERROGATIVES, Normalizer

__all__ = [
    "CLUSTER_THRESHOLD",
    "QuestionCluster",
    "UnansweredQuestion",
    "cluster_texts",
    "load_unanswered",
    "strip_answer_header",
    "unanswered_clusters",
]

_T = TypeVar("_T")

# token_set_ratio over sorted content lemmas: paraphrases of one question score 55–100 on
# real messages, different topics sharing one word stay below 50.
CLUSTER_THRESHOLD = 55.0
MAX_EXAMPLES = 5
MAX_STAFF_ANSWERS = 3
QUESTION_KINDS = ("text", "media")
NOT_HELPFUL = "not_helpful"
# The header the bot puts before a staff reply (bot.core.texts.staff_answer).
_ANSWER_HEADER = re.compile(r"^\s*Ответ по обращению №\s*[\d-]+\s*[:.]?\s*")
_MASK_TOKENS = re.compile("|".join(re.escape(token) for token in texts.MASKS))


@dataclass(frozen=True)
class UnansweredQuestion:
    exchange_id: int
    text: str
    created_at: datetime
    platform: str
    appeal_id: int | None


@dataclass(frozen=True)
class QuestionCluster:
    size: int
    examples: tuple[str, ...]
    staff_answers: tuple[str, ...]
    category: str | None


def _topic_key(normalizer: Normalizer, text: str) -> str:
    # Masked spans and question words say nothing about the topic.
    lemmas = normalizer.lemmas(_MASK_TOKENS.sub(" ", text))
    return " ".join(sorted(lemma for lemma in lemmas if lemma not in INTERROGATIVES))


def cluster_texts(texts_: Sequence[str], threshold: float = CLUSTER_THRESHOLD) -> list[list[int]]:
    """Indices of `texts_` grouped by similarity, largest group first.

    Greedy leader clustering: the text with the most similar unassigned texts leads a
    cluster of itself and all of them. Every member is similar to its leader, so one
    bridging message cannot chain two topics together as connected components would.
    Ties go to more total similarity, then to the earlier text. Members keep input order.
    """
    count = len(texts_)
    if count == 0:
        return []
    normalizer = Normalizer()
    keys = [_topic_key(normalizer, text) for text in texts_]
    scores = process.cdist(
        keys, keys, scorer=fuzz.token_set_ratio, score_cutoff=threshold, dtype=np.float32
    )
    similar = scores >= threshold
    np.fill_diagonal(similar, False)
    empty = np.array([not key for key in keys])
    similar[empty, :] = False
    similar[:, empty] = False
    weights = np.where(similar, scores, 0.0)
    degree = similar.sum(axis=1).astype(np.int64)
    strength = weights.sum(axis=1)
    unassigned = np.ones(count, dtype=bool)
    clusters: list[list[int]] = []
    while unassigned.any():
        candidates = np.flatnonzero(unassigned)
        order = np.lexsort((candidates, -strength[candidates], -degree[candidates]))
        leader = int(candidates[order[0]])
        members = np.flatnonzero(similar[leader] & unassigned)
        group = sorted([leader, *(int(member) for member in members)])
        taken = np.array(group)
        unassigned[taken] = False
        degree -= similar[:, taken].sum(axis=1)
        strength -= weights[:, taken].sum(axis=1)
        clusters.append(group)
    clusters.sort(key=lambda group: (-len(group), group[0]))
    return clusters


def strip_answer_header(text: str) -> str:
    """A staff reply as the staff member wrote it, without the bot's «Ответ по обращению»."""
    return _ANSWER_HEADER.sub("", text, count=1).strip()


async def load_unanswered(
    session: AsyncSession, start: datetime, end: datetime
) -> list[UnansweredQuestion]:
    """Questions asked in [start, end) that the FAQ did not settle: passed to staff,
    offered suggestions none of which was picked, or answered and marked «Не помогло»
    (including answers picked from suggestions)."""
    rows = (
        await session.execute(
            select(
                ExchangeRow.id,
                ExchangeRow.text,
                ExchangeRow.created_at,
                ExchangeRow.platform,
                ExchangeRow.outcome,
                ExchangeRow.feedback,
                ExchangeRow.appeal_id,
            )
            .where(
                ExchangeRow.direction == "in",
                ExchangeRow.kind.in_(QUESTION_KINDS),
                ExchangeRow.outcome.in_(("answer", "suggest", "escalate")),
                ExchangeRow.text.is_not(None),
                ExchangeRow.created_at >= start,
                ExchangeRow.created_at < end,
            )
            .order_by(ExchangeRow.created_at, ExchangeRow.id)
        )
    ).all()
    settled = await _settled_suggestions(session, start)
    questions: list[UnansweredQuestion] = []
    for row in rows:
        if row.outcome == "answer":
            unanswered = row.feedback == NOT_HELPFUL
        elif row.outcome == "suggest":
            unanswered = not settled.get(row.id, False)
        else:
            unanswered = True
        if unanswered and row.text and row.text.strip():
            questions.append(
                UnansweredQuestion(row.id, row.text, row.created_at, row.platform, row.appeal_id)
            )
    return questions


async def _settled_suggestions(session: AsyncSession, since: datetime) -> dict[int, bool]:
    """Suggestion exchanges a resident picked from: True when some picked answer was not
    marked «Не помогло». A pick is a button press: its exchange text is the PickAction."""
    rows = await session.execute(
        select(ExchangeRow.text, ExchangeRow.feedback).where(
            ExchangeRow.direction == "in",
            ExchangeRow.outcome == "picked",
            ExchangeRow.created_at >= since,
        )
    )
    settled: dict[int, bool] = {}
    for text, feedback in rows:
        action = parse_action(text or "")
        if isinstance(action, PickAction):
            helped = feedback != NOT_HELPFUL
            settled[action.exchange_id] = settled.get(action.exchange_id, False) or helped
    return settled


async def unanswered_clusters(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    threshold: float = CLUSTER_THRESHOLD,
) -> list[QuestionCluster]:
    """Unanswered questions of [start, end) as clusters, largest first, texts masked."""
    questions = await load_unanswered(session, start, end)
    masked = [mask_personal_data(question.text) for question in questions]
    groups = cluster_texts(masked, threshold)
    appeal_ids = {q.appeal_id for q in questions if q.appeal_id is not None}
    answers = await _staff_answers(session, appeal_ids)
    categories = await _categories(session, appeal_ids)
    clusters: list[QuestionCluster] = []
    for group in groups:
        examples = _unique(masked[index] for index in group)[:MAX_EXAMPLES]
        group_appeals = _unique(
            appeal for appeal in (questions[index].appeal_id for index in group) if appeal
        )
        replies = _unique(reply for appeal in group_appeals for reply in answers.get(appeal, ()))
        found = Counter(
            name for name in (categories.get(appeal) for appeal in group_appeals) if name
        )
        category = min(found, key=lambda name: (-found[name], name)) if found else None
        clusters.append(
            QuestionCluster(
                size=len(group),
                examples=tuple(examples),
                staff_answers=tuple(replies[:MAX_STAFF_ANSWERS]),
                category=category,
            )
        )
    return clusters


async def _staff_answers(session: AsyncSession, appeal_ids: set[int]) -> dict[int, list[str]]:
    if not appeal_ids:
        return {}
    rows = await session.execute(
        select(ExchangeRow.appeal_id, ExchangeRow.text)
        .where(
            ExchangeRow.direction == "out",
            ExchangeRow.kind == "staff",
            ExchangeRow.appeal_id.in_(appeal_ids),
            ExchangeRow.text.is_not(None),
        )
        .order_by(ExchangeRow.created_at, ExchangeRow.id)
    )
    answers: dict[int, list[str]] = {}
    for appeal_id, text in rows:
        reply = strip_answer_header(text or "")
        if reply and appeal_id is not None:
            answers.setdefault(appeal_id, []).append(mask_personal_data(reply))
    return answers


async def _categories(session: AsyncSession, appeal_ids: set[int]) -> dict[int, str | None]:
    if not appeal_ids:
        return {}
    rows = await session.execute(
        select(AppealRow.id, AppealRow.category).where(AppealRow.id.in_(appeal_ids))
    )
    return {appeal_id: category for appeal_id, category in rows}


def _unique(items: Iterable[_T]) -> list[_T]:
    """Items in first-seen order without repeats."""
    return list(dict.fromkeys(items))
