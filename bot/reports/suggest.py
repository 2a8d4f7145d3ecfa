"""Draft knowledge-base entries from the largest clusters of unanswered questions that staff
have answered: the residents' wordings become the questions, a staff reply the answer.

The drafts are in the knowledge-base YAML format (see faq.kb) so an editor can review them
and move them into the knowledge base as they are.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from bot.reports import texts
from bot.reports.clusters import QuestionCluster, unanswered_clusters
from bot.reports.stats import period_bounds, period_label
from bot.storage.database import Database
from faq.normalize import INTERROGATIVES, Normalizer

__all__ = ["DEFAULT_DRAFT_LIMIT", "draft_entries", "draft_id", "write_drafts"]

DEFAULT_DRAFT_LIMIT = 10
MAX_QUESTIONS = 5
_ID_WORDS = 3
_CYRILLIC_TO_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya",
}  # fmt: skip
_NOT_ID = re.compile(r"[^a-z0-9]+")


def _latin(word: str) -> str:
    spelled = "".join(_CYRILLIC_TO_LATIN.get(char, char) for char in word.lower())
    return _NOT_ID.sub("", spelled)


def draft_id(number: int, text: str, normalizer: Normalizer | None = None) -> str:
    """A kebab-case id such as ``draft-1-otoplenie-vklyuchit`` from the topic words of
    `text`; the number keeps ids unique within one file."""
    lemmas = (normalizer or Normalizer()).lemmas(text)
    words = [_latin(lemma) for lemma in lemmas if lemma not in INTERROGATIVES]
    return "-".join(["draft", str(number), *[word for word in words if word][:_ID_WORDS]])


def _entry(number: int, cluster: QuestionCluster, normalizer: Normalizer) -> dict[str, Any]:
    questions = list(dict.fromkeys(example.strip() for example in cluster.examples))
    entry: dict[str, Any] = {"id": draft_id(number, questions[0], normalizer)}
    if cluster.category:
        entry["category"] = cluster.category
    entry["questions"] = questions[:MAX_QUESTIONS]
    entry["answer"] = cluster.staff_answers[0]
    return entry


async def draft_entries(
    database: Database,
    tz: ZoneInfo,
    since: date,
    until: date,
    *,
    limit: int = DEFAULT_DRAFT_LIMIT,
) -> list[dict[str, Any]]:
    """Up to `limit` draft entries from the clusters of local days `since`..`until` that
    have a staff answer, largest cluster first; every text is masked."""
    start, end = period_bounds(tz, since, until)
    async with database.unit_of_work() as uow:
        clusters = await unanswered_clusters(uow.session, start, end)
    normalizer = Normalizer()
    chosen = [
        cluster
        for cluster in clusters
        if cluster.staff_answers and any(example.strip() for example in cluster.examples)
    ]
    return [
        _entry(number, cluster, normalizer)
        for number, cluster in enumerate(chosen[:limit], start=1)
    ]


class _DraftDumper(yaml.SafeDumper):
    """Multi-line answers as literal blocks, the way knowledge-base files are written."""


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_DraftDumper.add_representer(str, _represent_text)


def write_drafts(
    entries: list[dict[str, Any]],
    path: Path | str,
    *,
    period: tuple[date, date] | None = None,
) -> None:
    """Write the drafts as one knowledge-base YAML file with a note for the editor."""
    header = texts.DRAFTS_HEADER
    if period is not None:
        header += texts.DRAFTS_PERIOD.format(period=period_label(*period))
    body = yaml.dump(entries, Dumper=_DraftDumper, allow_unicode=True, sort_keys=False, width=100)
    Path(path).write_text(header + ("" if not entries else "\n" + body), encoding="utf-8")
