"""Ranking of knowledge-base entries for a message and the answer/suggest/escalate decision.

An entry's score (0–100) blends three measures over lemmas:
- the best IDF-weighted cosine between the message and one of the entry's questions;
- coverage: the IDF share of the message's words that the entry knows (questions, keywords
  and synonyms count fully, the answer and category partly; words unknown to the whole
  knowledge base weigh most, so off-topic messages score low);
- rapidfuzz ``token_set_ratio`` against the entry's questions, computed for a shortlist.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from faq.decision import Candidate, Decision, Outcome, SmallTalk, Thresholds
from faq.kb import FaqEntry
from faq.normalize import (
    GREETING_CORE,
    GREETINGS,
    INTERROGATIVES,
    POLITENESS,
    THANKS,
    Normalizer,
    Token,
    content_lemmas,
    vocabulary_of,
)
from faq.signals import staff_signal

ANSWER_WEIGHT = 0.6
WEIGHT_COSINE = 0.3
WEIGHT_COVERAGE = 0.7
WEIGHT_FUZZ = 0.3
KEYWORD_BONUS = 10.0
SHORTLIST = 12
INTERROGATIVE_WEIGHT = 0.5
MIN_SIMILAR_LENGTH = 5
SIMILAR_CUTOFF = 82
TOP = 3


@dataclass(frozen=True, slots=True)
class _Question:
    entry: int
    lemmas: frozenset[str]
    text: str
    norm: float


class Matcher:
    """An immutable index over a list of entries; `decide` does no I/O."""

    def __init__(self, entries: tuple[FaqEntry, ...], thresholds: Thresholds) -> None:
        self.entries = entries
        self.thresholds = thresholds
        self.normalizer = Normalizer(
            vocabulary_of(
                text
                for entry in entries
                for text in (*entry.questions, *entry.keywords, *entry.synonyms, entry.answer)
            )
        )
        strong: list[set[str]] = []
        weak: list[set[str]] = []
        keywords: list[set[str]] = []
        question_lemmas: list[tuple[int, list[str]]] = []
        for index, entry in enumerate(entries):
            entry_strong: set[str] = set()
            for question in entry.questions:
                lemmas = self.normalizer.lemmas(question)
                question_lemmas.append((index, lemmas))
                entry_strong.update(lemmas)
            entry_keywords = {
                lemma for word in entry.keywords for lemma in self.normalizer.lemmas(word)
            }
            for phrase in (*entry.keywords, *entry.synonyms):
                entry_strong.update(self.normalizer.lemmas(phrase))
            keywords.append(entry_keywords)
            entry_weak = set(self.normalizer.lemmas(entry.answer))
            if entry.category:
                entry_weak.update(self.normalizer.lemmas(entry.category))
            strong.append(entry_strong)
            weak.append(entry_weak - entry_strong)
        count = max(len(entries), 1)
        frequency: dict[str, int] = defaultdict(int)
        for entry_strong, entry_weak in zip(strong, weak, strict=True):
            for lemma in entry_strong | entry_weak:
                frequency[lemma] += 1
        self._idf = {lemma: math.log(1 + count / df) for lemma, df in frequency.items()}
        self._unknown_idf = math.log(1 + count / 0.5)
        self._lemma_list = sorted(lemma for lemma in self._idf if len(lemma) >= MIN_SIMILAR_LENGTH)
        self._similar: dict[str, tuple[str, float] | None] = {}
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for index, (entry_strong, entry_weak) in enumerate(zip(strong, weak, strict=True)):
            for lemma in entry_strong:
                self._postings[lemma].append((index, 1.0))
            for lemma in entry_weak:
                self._postings[lemma].append((index, ANSWER_WEIGHT))
        self._questions: list[_Question] = []
        self._question_postings: dict[str, list[int]] = defaultdict(list)
        self._entry_questions: list[list[int]] = [[] for _ in entries]
        for entry_index, lemmas in question_lemmas:
            position = len(self._questions)
            norm = math.sqrt(sum(self._term_weight(lemma) ** 2 for lemma in lemmas)) or 1.0
            self._questions.append(
                _Question(entry_index, frozenset(lemmas), " ".join(sorted(lemmas)), norm)
            )
            self._entry_questions[entry_index].append(position)
            for lemma in set(lemmas):
                self._question_postings[lemma].append(position)
        self._keyword_owners: dict[str, list[int]] = defaultdict(list)
        for index, entry_keywords in enumerate(keywords):
            for lemma in entry_keywords:
                self._keyword_owners[lemma].append(index)

    def _term_weight(self, lemma: str) -> float:
        return INTERROGATIVE_WEIGHT if lemma in INTERROGATIVES else self._idf[lemma]

    def _weights(self, lemmas: list[str]) -> dict[str, float]:
        """IDF weight per lemma; a lemma unknown to the KB borrows a similar KB lemma."""
        weights: dict[str, float] = {}
        for lemma in lemmas:
            if lemma in INTERROGATIVES:
                weights[lemma] = INTERROGATIVE_WEIGHT
                continue
            if lemma in self._idf:
                weights[lemma] = max(weights.get(lemma, 0.0), self._idf[lemma])
                continue
            similar = self._similar_lemma(lemma)
            if similar is None:
                weights[lemma] = self._unknown_idf
            else:
                known, similarity = similar
                weights[known] = max(weights.get(known, 0.0), self._idf[known] * similarity)
        return weights

    def _similar_lemma(self, lemma: str) -> tuple[str, float] | None:
        if lemma in self._similar:
            return self._similar[lemma]
        found: tuple[str, float] | None = None
        if len(lemma) >= MIN_SIMILAR_LENGTH:
            match = process.extractOne(
                lemma,
                self._lemma_list,
                scorer=fuzz.ratio,
                processor=None,
                score_cutoff=SIMILAR_CUTOFF,
            )
            if match is not None:
                found = (match[0], match[1] / 100)
        if len(self._similar) < 100000:
            self._similar[lemma] = found
        return found

    def rank(self, lemmas: list[str]) -> list[Candidate]:
        """All entries sharing a word with the message, best first (scores 0–100)."""
        if not lemmas or not self.entries:
            return []
        weights = self._weights(lemmas)
        total = sum(weights.values())
        query_norm = math.sqrt(sum(w * w for w in weights.values()))
        coverage: dict[int, float] = defaultdict(float)
        for lemma, weight in weights.items():
            for entry_index, share in self._postings.get(lemma, ()):
                coverage[entry_index] += weight * share
        dot: dict[int, float] = defaultdict(float)
        for lemma, weight in weights.items():
            for position in self._question_postings.get(lemma, ()):
                dot[position] += weight * weight
        cosine: dict[int, float] = defaultdict(float)
        for position, value in dot.items():
            question = self._questions[position]
            similarity = value / (query_norm * question.norm)
            if similarity > cosine[question.entry]:
                cosine[question.entry] = similarity
        coarse = {
            index: WEIGHT_COSINE * cosine.get(index, 0.0) + WEIGHT_COVERAGE * share / total
            for index, share in coverage.items()
        }
        shortlist = sorted(coarse, key=coarse.__getitem__, reverse=True)[:SHORTLIST]
        choices = {
            position: self._questions[position].text
            for index in shortlist
            for position in self._entry_questions[index]
        }
        fuzzy: dict[int, float] = defaultdict(float)
        query_text = " ".join(sorted(lemmas))
        for _, value, position in process.extract(
            query_text,
            choices,
            scorer=fuzz.token_set_ratio,
            processor=None,
            limit=None,
        ):
            entry_index = self._questions[position].entry
            fuzzy[entry_index] = max(fuzzy[entry_index], value / 100)
        owners = {
            owner: lemma
            for lemma in lemmas
            if len(self._keyword_owners.get(lemma, ())) == 1
            for owner in self._keyword_owners[lemma]
        }
        scored = []
        for index in shortlist:
            score = 100 * (coarse[index] + WEIGHT_FUZZ * fuzzy.get(index, 0.0)) / (1 + WEIGHT_FUZZ)
            if index in owners:
                score += KEYWORD_BONUS
            scored.append(Candidate(self.entries[index].id, round(min(score, 100.0), 2)))
        scored.sort(key=lambda c: c.score, reverse=True)
        return scored

    def decide(self, text: str) -> Decision:
        tokens = self.normalizer.tokens(text)
        small_talk = classify_small_talk(tokens)
        lemmas = content_lemmas(tokens)
        ranked = self.rank(lemmas)[:TOP]
        if small_talk is not None and not ranked:
            return Decision(Outcome.SMALL_TALK, (), small_talk, "no question in the message")
        if small_talk is SmallTalk.NO_QUESTION:
            return Decision(Outcome.SMALL_TALK, tuple(ranked), small_talk, "no known words")
        if not ranked:
            return Decision(Outcome.ESCALATE, (), None, "no entry shares a word")
        top = ranked[0].score
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        signal = staff_signal(tokens, text)
        limits = self.thresholds
        if signal.escalate:
            return Decision(Outcome.ESCALATE, tuple(ranked), None, signal.reason)
        lead = 100 * (top - runner_up) / top if top > 0 else 0.0
        if len(lemmas) == 1 and lemmas[0] not in self._keyword_owners:
            # One generic word («телефон», «документы») names no question yet.
            return Decision(Outcome.SUGGEST, tuple(ranked), None, "a single generic word")
        if top >= limits.answer and lead >= limits.margin and not signal.doubt:
            return Decision(Outcome.ANSWER, tuple(ranked), None, "confident and ahead")
        if top >= limits.suggest:
            reason = signal.reason if signal.doubt else "not confident or not ahead"
            return Decision(Outcome.SUGGEST, tuple(ranked), None, reason)
        return Decision(Outcome.ESCALATE, tuple(ranked), None, "below the suggest threshold")


def classify_small_talk(tokens: list[Token]) -> SmallTalk | None:
    """Greetings, thanks, or a message without any recognisable word."""
    words = [t for t in tokens if not t.surface.isdigit()]
    if not words:
        return SmallTalk.NO_QUESTION
    rest = [
        t
        for t in words
        if t.surface not in GREETINGS
        and t.surface not in THANKS
        and t.surface not in POLITENESS
        and t.lemma not in POLITENESS
    ]
    if not rest:
        if any(t.surface in THANKS for t in words):
            return SmallTalk.THANKS
        if any(t.surface in GREETING_CORE or t.surface in GREETINGS for t in words):
            return SmallTalk.GREETING
        return SmallTalk.NO_QUESTION
    if not any(t.known for t in rest):
        return SmallTalk.NO_QUESTION
    return None
