"""Ranking of knowledge-base entries for a message and the answer/suggest/escalate decision.

An entry's score (0–100) blends four measures:
- coverage: the IDF share of the message's lemmas that the entry knows (questions, keywords
  and synonyms count fully, the answer and category partly; words unknown to the whole
  knowledge base weigh most, so off-topic messages score low);
- the best IDF-weighted lemma cosine between the message and one of the entry's questions;
- the best character n-gram TF-IDF cosine between the message and one of the questions,
  which survives typos, derived words («антикоррупционный» ~ «коррупция») and odd forms;
- the same n-gram cosine against the entry as a whole (questions, keywords, synonyms and,
  weaker, the answer).

Long messages are mostly stories around one question, so when a message has several
sentences, the words outside its question sentences count less.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

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
from faq.signals import QUESTION_WORDS, staff_signal

ANSWER_WEIGHT = 0.5
INTERROGATIVE_WEIGHT = 0.5
CONTEXT_WEIGHT = 0.4
GRAM_SIZES = (3, 4)
WEIGHT_COVERAGE = 0.35
WEIGHT_COSINE = 0.1
WEIGHT_GRAM_QUESTION = 0.25
WEIGHT_GRAM_ENTRY = 0.3
KEYWORD_BONUS = 8.0
AGREEMENT = 0.85
SHORTLIST = 12
PREFIX = 5
SHARED_ROOT = 0.7
ROOT_SIMILARITY = 0.8
TOP = 3

_SENTENCE = re.compile(r"[^.!?…\n]+[.!?…\n]*")


@dataclass(frozen=True, slots=True)
class Features:
    """Why an entry scored as it did; the decision reads these, not only the score."""

    entry: int
    score: float
    coverage: float
    cosine: float
    gram_question: float
    gram_entry: float


def _grams(lemmas: Mapping[str, float]) -> dict[str, float]:
    counts: dict[str, float] = defaultdict(float)
    for lemma, weight in lemmas.items():
        padded = f" {lemma} "
        for size in GRAM_SIZES:
            for start in range(len(padded) - size + 1):
                counts[padded[start : start + size]] += weight
    return counts


def _normalised(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
    return {key: value / norm for key, value in vector.items()}


def _dot(query: Mapping[str, float], document: Mapping[str, float]) -> float:
    if len(query) > len(document):
        query, document = document, query
    return sum(value * document.get(key, 0.0) for key, value in query.items())


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
            for phrase in (*entry.keywords, *entry.synonyms):
                entry_strong.update(self.normalizer.lemmas(phrase))
            keywords.append(
                {lemma for word in entry.keywords for lemma in self.normalizer.lemmas(word)}
            )
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

        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for index, (entry_strong, entry_weak) in enumerate(zip(strong, weak, strict=True)):
            for lemma in entry_strong:
                self._postings[lemma].append((index, 1.0))
            for lemma in entry_weak:
                self._postings[lemma].append((index, ANSWER_WEIGHT))

        gram_frequency: dict[str, int] = defaultdict(int)
        entry_grams: list[dict[str, float]] = []
        for entry_strong, entry_weak in zip(strong, weak, strict=True):
            raw = _grams(
                {lemma: 1.0 for lemma in entry_strong if lemma not in INTERROGATIVES}
                | {lemma: ANSWER_WEIGHT for lemma in entry_weak if lemma not in INTERROGATIVES}
            )
            entry_grams.append(raw)
            for gram in raw:
                gram_frequency[gram] += 1
        self._gram_idf = {gram: math.log(1 + count / df) for gram, df in gram_frequency.items()}
        self._unknown_gram_idf = math.log(1 + count / 0.5)
        self._entry_grams = [self._weigh_grams(raw) for raw in entry_grams]

        self._question_lemmas: list[dict[str, float]] = []
        self._question_norms: list[float] = []
        self._question_grams: list[dict[str, float]] = []
        self._question_entry: list[int] = []
        self._entry_questions: list[list[int]] = [[] for _ in entries]
        for entry_index, lemmas in question_lemmas:
            weights = {lemma: self._term_weight(lemma) for lemma in lemmas}
            self._entry_questions[entry_index].append(len(self._question_entry))
            self._question_entry.append(entry_index)
            self._question_lemmas.append(weights)
            self._question_norms.append(math.sqrt(sum(w * w for w in weights.values())) or 1.0)
            self._question_grams.append(
                self._weigh_grams(
                    _grams({lemma: 1.0 for lemma in lemmas if lemma not in INTERROGATIVES})
                )
            )

        self._by_prefix: dict[str, list[str]] = defaultdict(list)
        for lemma in sorted(self._idf):
            if len(lemma) >= PREFIX and lemma not in INTERROGATIVES:
                self._by_prefix[lemma[:PREFIX]].append(lemma)
        self._similar: dict[str, tuple[str, float] | None] = {}

        self._keyword_owners: dict[str, list[int]] = defaultdict(list)
        for index, entry_keywords in enumerate(keywords):
            for lemma in entry_keywords:
                self._keyword_owners[lemma].append(index)

    def _term_weight(self, lemma: str) -> float:
        return INTERROGATIVE_WEIGHT if lemma in INTERROGATIVES else self._idf[lemma]

    def _weigh_grams(self, raw: Mapping[str, float]) -> dict[str, float]:
        return _normalised(
            {
                gram: (1 + math.log(count) if count >= 1 else count)
                * self._gram_idf.get(gram, self._unknown_gram_idf)
                for gram, count in raw.items()
            }
        )

    def _weights(self, focus: Mapping[str, float]) -> dict[str, float]:
        """IDF weight per lemma, scaled by how central the lemma is to the message.

        A lemma unknown to the knowledge base borrows the most similar known lemma (shared
        character trigrams), with the weight scaled by the similarity.
        """
        weights: dict[str, float] = {}
        for lemma, share in focus.items():
            if lemma in INTERROGATIVES:
                weights[lemma] = INTERROGATIVE_WEIGHT * share
                continue
            if lemma in self._idf:
                weights[lemma] = max(weights.get(lemma, 0.0), self._idf[lemma] * share)
                continue
            similar = self._similar_lemma(lemma)
            if similar is None:
                weights[lemma] = self._unknown_idf * share
            else:
                known, similarity = similar
                weight = self._idf[known] * similarity * share
                weights[known] = max(weights.get(known, 0.0), weight)
        return weights

    def _similar_lemma(self, lemma: str) -> tuple[str, float] | None:
        """A known lemma of the same root: a long shared beginning («компенсировать» ~
        «компенсация», «прописать» ~ «прописаться»); typos were fixed by the normaliser."""
        if lemma in self._similar:
            return self._similar[lemma]
        found: tuple[str, float] | None = None
        best = 0
        for known in self._by_prefix.get(lemma[:PREFIX], ()):
            common = PREFIX
            limit = min(len(lemma), len(known))
            while common < limit and lemma[common] == known[common]:
                common += 1
            if common > best and common >= SHARED_ROOT * limit:
                best, found = common, (known, ROOT_SIMILARITY)
        if len(self._similar) < 100000:
            self._similar[lemma] = found
        return found

    def features(self, focus: Mapping[str, float]) -> list[Features]:
        """Entries sharing a lemma or n-grams with the message, best first."""
        if not focus or not self.entries:
            return []
        weights = self._weights(focus)
        total = sum(weights.values()) or 1.0
        query_norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        coverage: dict[int, float] = defaultdict(float)
        for lemma, weight in weights.items():
            for entry_index, share in self._postings.get(lemma, ()):
                coverage[entry_index] += weight * share
        query_grams = self._weigh_grams(
            _grams({k: v for k, v in focus.items() if k not in INTERROGATIVES})
        )
        candidates = set(coverage)
        if len(self.entries) <= SHORTLIST:
            candidates = set(range(len(self.entries)))
        else:
            candidates = set(sorted(coverage, key=coverage.__getitem__, reverse=True)[:SHORTLIST])
        # A keyword that belongs to exactly one entry pulls the message towards it.
        owners = {
            owners[0] for lemma in focus if len(owners := self._keyword_owners.get(lemma, [])) == 1
        }
        out: list[Features] = []
        for index in candidates:
            cosine = 0.0
            gram_question = 0.0
            for position in self._entry_questions[index]:
                lemmas = self._question_lemmas[position]
                dot = sum(
                    weight * lemmas[lemma] for lemma, weight in weights.items() if lemma in lemmas
                )
                cosine = max(cosine, dot / (query_norm * self._question_norms[position]))
                gram_question = max(
                    gram_question, _dot(query_grams, self._question_grams[position])
                )
            gram_entry = _dot(query_grams, self._entry_grams[index])
            share = coverage.get(index, 0.0) / total
            score = 100 * (
                WEIGHT_COVERAGE * share
                + WEIGHT_COSINE * cosine
                + WEIGHT_GRAM_QUESTION * gram_question
                + WEIGHT_GRAM_ENTRY * gram_entry
            )
            if index in owners:
                score += KEYWORD_BONUS
            out.append(Features(index, score, share, cosine, gram_question, gram_entry))
        out.sort(key=lambda f: f.score, reverse=True)
        return out

    def focus(self, text: str, tokens: list[Token]) -> dict[str, float]:
        """Content lemmas with weights: words outside the question sentences count less."""
        lemmas = content_lemmas(tokens)
        sentences = [s for s in _SENTENCE.findall(text) if s.strip()]
        if len(sentences) < 2:
            return {lemma: 1.0 for lemma in lemmas}
        asking = [s for s in sentences if "?" in s or self._has_question_word(s)]
        if not asking or len(asking) == len(sentences):
            return {lemma: 1.0 for lemma in lemmas}
        central = set(self.normalizer.lemmas(" ".join(asking)))
        return {lemma: 1.0 if lemma in central else CONTEXT_WEIGHT for lemma in lemmas}

    def _has_question_word(self, sentence: str) -> bool:
        return any(t.lemma in QUESTION_WORDS for t in self.normalizer.tokens(sentence))

    def rank(self, lemmas: Iterable[str]) -> list[Candidate]:
        """All entries sharing a word with the message, best first (scores 0–100)."""
        return [
            Candidate(self.entries[f.entry].id, round(min(f.score, 100.0), 2))
            for f in self.features({lemma: 1.0 for lemma in lemmas})
            if f.score > 0
        ]

    def decide(self, text: str) -> Decision:
        tokens = self.normalizer.tokens(text)
        small_talk = classify_small_talk(tokens)
        focus = self.focus(text, tokens)
        everything = [f for f in self.features(focus) if f.score > 0]
        scored = everything[:TOP]
        ranked = tuple(
            Candidate(self.entries[f.entry].id, round(min(f.score, 100.0), 2)) for f in scored
        )
        if small_talk is not None and not ranked:
            return Decision(Outcome.SMALL_TALK, (), small_talk, "no question in the message")
        if small_talk is SmallTalk.NO_QUESTION:
            return Decision(Outcome.SMALL_TALK, ranked, small_talk, "no known words")
        if not ranked:
            return Decision(Outcome.ESCALATE, (), None, "no entry shares a word")
        top = ranked[0].score
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        signal = staff_signal(tokens, text)
        limits = self.thresholds
        if signal.escalate:
            return Decision(Outcome.ESCALATE, ranked, None, signal.reason)
        lead = 100 * (top - runner_up) / top if top > 0 else 0.0
        if len(focus) == 1 and next(iter(focus)) not in self._keyword_owners:
            # One generic word («телефон», «документы») names no question yet.
            return Decision(Outcome.SUGGEST, ranked, None, "a single generic word")
        # The blend can favour an entry that shares letters but not the message's words;
        # answer only when no other entry knows clearly more of the message's words.
        agree = scored[0].coverage >= AGREEMENT * max(f.coverage for f in everything)
        if top >= limits.answer and lead >= limits.margin and agree and not signal.doubt:
            return Decision(Outcome.ANSWER, ranked, None, "confident and ahead")
        if top >= limits.suggest:
            reason = signal.reason if signal.doubt else "not confident, not ahead or disputed"
            return Decision(Outcome.SUGGEST, ranked, None, reason)
        return Decision(Outcome.ESCALATE, ranked, None, "below the suggest threshold")


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
