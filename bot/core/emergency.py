"""Detection of resident messages that report immediate danger.

Such a message gets the emergency numbers at once, before the FAQ or staff see it, and its
appeal is marked urgent. The rules name general signals, never sample messages: a danger word,
for ambiguous words with a partner («газ» + «пахнуть», «провод» + «оборвать», a person +
«без сознания»), judged in its clause, its sentence and the whole message:

- ongoing: a present-tense danger verb («пахнет», «горит», «тонет») is a live report;
- weak: a bare noun or event («пожар», «драка», «упал») counts only with presence or urgency:
  a place («в подъезде», «во дворе»), «у нас», a first-person present verb, «срочно»,
  «помогите», «!», shouting in capitals;
- hypothetical: «если», «при пожаре», «в случае», a question about the danger («куда сообщить
  об утечке»), prevention, a future or possible danger; the FAQ answers these unless the writer
  adds urgency (for «если», also their own situation: «если у нас пахнет газом»);
- finished: past time («вчера», «на днях», «был пожар», «после пожара»), an imperfective past
  («горел»), aftermath (damage, compensation, repairs); overridden only by urgency;
- topic: words of ordinary questions on the same subject (gas bills, fire-safety rules, power
  outages) cancel every danger except an ongoing strong report;
- a harmless sense in the same clause cancels the danger word («горит фонарь», «двор тонет
  в грязи», «угрожают отключить свет» has no weapon).

Words go through the FAQ's text pipeline (`faq.normalize`): invisible characters dropped,
Latin spelling transliterated, Latin look-alike letters inside Cyrillic words replaced, words
cut at the same length and unknown words past the same limit left unread; the same pymorphy3
analyser gives the lemmas, and the same speller corrects unknown words, here against the forms
of the danger words, so «пажар», «пoжар» and «пахнит газом» are caught. The words themselves
are data, in `bot.core.emergency_lexicon`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from bot.core import emergency_lexicon as lex
from faq.normalize import (
    MAX_UNKNOWN_WORDS,
    Speller,
    fold,
    in_dictionary,
    morph,
    spelling,
    strip_invisible,
)

# A messenger message is at most this long; the rest of longer input is not read.
_MAX_CHARS = 4096
# Less likely readings than this are noise («горя» is rarely a form of «гореть»).
_MIN_READING_SCORE = 0.25
_MIN_CORRECTABLE = 4

_TOKEN = re.compile(r"[a-zа-я0-9]+|[.!?;…\n]|[,:—–]")
_CYRILLIC = re.compile("[а-я]")
_SENTENCE_END = frozenset(".!?;…\n")
_CLAUSE_BREAK = frozenset(",:—–")
_CLAUSE_WORDS = frozenset({"а", "но", "однако"})


@dataclass(frozen=True, slots=True)
class EmergencySignal:
    kind: str
    evidence: str


_ANCHOR_LEMMAS = frozenset(lemma for rule in lex.RULES for part in rule.anchor for lemma in part)


def _rules_by_first_lemma() -> dict[str, list[int]]:
    """Rule numbers by the lemmas their phrase can start with, to try only rules that can
    match."""
    starting: dict[str, list[int]] = {}
    for number, rule in enumerate(lex.RULES):
        for lemma in rule.anchor[0]:
            starting.setdefault(lemma, []).append(number)
    return starting


_STARTING = _rules_by_first_lemma()


@dataclass(frozen=True, slots=True)
class _Word:
    surface: str
    readings: tuple[tuple[str, frozenset[str]], ...]  # (lemma, grammemes), likeliest first
    sentence: int
    clause: int

    def match(self, lemmas: frozenset[str]) -> frozenset[str] | None:
        for lemma, grammemes in self.readings:
            if lemma in lemmas:
                return grammemes
        return None

    def has(self, lemmas: frozenset[str]) -> bool:
        return self.match(lemmas) is not None


@lru_cache(maxsize=1)
def _speller() -> Speller:
    """Forms of the danger words, to correct typos against (one letter more or less)."""
    analyzer = morph()
    forms: dict[str, None] = {}
    for lemma in _ANCHOR_LEMMAS | lex.PLACE | lex.words("газ провод кипяток"):
        if len(lemma) < _MIN_CORRECTABLE:
            continue
        for parse in analyzer.parse(lemma)[:1]:
            for form in parse.lexeme:
                if form.tag.POS in {"NOUN", "VERB", "INFN"}:
                    forms.setdefault(fold(form.word), None)
    return Speller(forms, reach=1)


@lru_cache(maxsize=50000)
def _correct(word: str) -> str:
    if len(word) < _MIN_CORRECTABLE or not _CYRILLIC.search(word) or morph().word_is_known(word):
        return word
    return _speller().closest(word, 79) or word


@lru_cache(maxsize=50000)
def _readings(word: str) -> tuple[tuple[str, frozenset[str]], ...]:
    parses = morph().parse(_correct(word))
    top = parses[0].score
    out: dict[tuple[str, frozenset[str]], None] = {}
    for parse in parses:
        if parse.score >= top * _MIN_READING_SCORE or parse is parses[0]:
            out.setdefault((fold(parse.normal_form), frozenset(parse.tag.grammemes)), None)
    return tuple(out)


@dataclass(slots=True)
class _Message:
    words: list[_Word]
    questions: set[int]  # sentences that end with «?»
    exclaimed: bool
    sentences: dict[int, list[int]] = field(default_factory=dict)  # word indices
    sentence_lemmas: dict[int, frozenset[str]] = field(default_factory=dict)
    clause_lemmas: dict[int, frozenset[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        by_sentence: dict[int, set[str]] = {}
        by_clause: dict[int, set[str]] = {}
        for index, word in enumerate(self.words):
            lemmas = {lemma for lemma, _ in word.readings}
            self.sentences.setdefault(word.sentence, []).append(index)
            by_sentence.setdefault(word.sentence, set()).update(lemmas)
            by_clause.setdefault(word.clause, set()).update(lemmas)
        self.sentence_lemmas = {key: frozenset(value) for key, value in by_sentence.items()}
        self.clause_lemmas = {key: frozenset(value) for key, value in by_clause.items()}

    @classmethod
    def parse(cls, text: str) -> _Message:
        raw = text[:_MAX_CHARS]
        if len(text) > _MAX_CHARS:
            raw = (raw.rsplit(maxsplit=1) or [""])[0]  # no half word at the cut
        raw = strip_invisible(raw)
        letters = [char for char in raw if char.isalpha()]
        shouting = len(letters) >= 5 and sum(c.isupper() for c in letters) >= 0.7 * len(letters)
        words: list[_Word] = []
        questions: set[int] = set()
        sentence = clause = unknown = 0
        for token in _TOKEN.findall(fold(raw)):
            if token in _SENTENCE_END:
                if token == "?":
                    questions.add(sentence)
                if words and words[-1].sentence == sentence:
                    sentence += 1
                    clause += 1
            elif token in _CLAUSE_BREAK or token in _CLAUSE_WORDS:
                clause += 1
            else:
                surface = spelling(token)
                # Words missing from the dictionary cost most to read (a guessed form, a
                # typo search); past the FAQ's limit they are kept as they are.
                unknown += not in_dictionary(surface)
                readings = (
                    _readings(surface)
                    if unknown <= MAX_UNKNOWN_WORDS or in_dictionary(surface)
                    else ((surface, frozenset({"UNKN"})),)
                )
                words.append(_Word(surface, readings, sentence, clause))
        return cls(words, questions, shouting or "!" in raw)


@dataclass(frozen=True, slots=True)
class _Context:
    """Message-wide signs, computed once."""

    urgent: bool
    present: bool
    personal: bool
    aftermath: bool
    lemmas: frozenset[str]


def _is_call(words: list[_Word], index: int) -> bool:
    """«Помогите!», «вызовите пожарных»; «помогите узнать», «помогите с документами» ask
    for advice instead."""
    grammemes = words[index].match(lex.CALLS)
    if grammemes is None or "impr" not in grammemes:
        return False
    rest = [w for w in words[index + 1 : index + 3] if w.surface not in {"пожалуйста", "срочно"}]
    return not rest or not (rest[0].surface in lex.WITH or "INFN" in rest[0].readings[0][1])


def _follows(words: list[_Word], index: int, first: str) -> bool:
    return index > 0 and words[index - 1].surface == first


def _context(message: _Message) -> _Context:
    words = message.words
    urgent = present = personal = aftermath = False
    for index, word in enumerate(words):
        following = words[index + 1 : index + 3]
        urgent = urgent or (
            word.has(lex.URGENT)
            or _is_call(words, index)
            or (word.surface == "что" and _follows(words, index, "только"))
            or (word.surface == "помощь" and _follows(words, index, "на"))
            or (word.surface == "помощь" and _follows(words, index, "нужна"))
        )
        aftermath = aftermath or word.has(lex.AFTERMATH)
        top = word.readings[0][1]
        personal = personal or (
            {"VERB", "1per", "pres"} <= top
            or word.has(lex.MINE)
            or (word.surface == "у" and any(w.has(lex.SELF) for w in following[:1]))
        )
        present = present or (
            (word.has(lex.LOCATIVE) and any(w.has(lex.PLACE) for w in following))
            or (word.surface == "у" and any(w.has(lex.PERSON) for w in following))
        )
    lemmas = frozenset(lemma for word in words for lemma, _ in word.readings)
    return _Context(urgent, present or personal, personal, aftermath, lemmas)


def _anchor_end(words: list[_Word], start: int, rule: lex.Rule) -> int | None:
    """Where the rule's phrase starting at `start` ends; intensifiers may stand inside it
    («не хочет больше жить»)."""
    index = start
    for offset, part in enumerate(rule.anchor):
        while offset and index < len(words) and words[index].has(lex.INTENSIFIERS - part):
            index += 1
        if index >= len(words) or words[index].sentence != words[start].sentence:
            return None
        if not words[index].has(part):
            return None
        index += 1
    return index


def _partners(words: list[_Word], start: int, end: int, rule: lex.Rule) -> list[int] | None:
    """The nearest word of each partner set in the same sentence, or None if one is missing."""
    sentence = words[start].sentence
    found: list[int] = []
    for partner in rule.partners:
        near = [
            index
            for index in range(max(0, start - rule.reach), min(len(words), end + rule.reach))
            if not start <= index < end
            and words[index].sentence == sentence
            and words[index].has(partner)
        ]
        if not near:
            return None
        found.append(min(near, key=lambda index: abs(index - start)))
    return found


def _negated(words: list[_Word], start: int, end: int) -> bool:
    index = start - 1
    while index >= 0 and words[index].has(lex.INTENSIFIERS):
        index -= 1
    if (
        index >= 0
        and words[index].sentence == words[start].sentence
        and words[index].surface in lex.NEGATIONS
    ):
        return True
    # «Пожара нет», «дыма нет»: a noun negated after it.
    return (
        end < len(words)
        and words[end].surface == "нет"
        and words[end].sentence == words[start].sentence
        and "NOUN" in words[start].readings[0][1]
    )


def _on_these_days(message: _Message, sentence: int) -> bool:
    """«На днях»: a few days ago."""
    words = message.words
    return any(
        words[index].surface == "днях" and _follows(words, index, "на")
        for index in message.sentences[sentence]
    )


def _tense(anchor: list[_Word], rule: lex.Rule) -> frozenset[str]:
    """Grammemes of the anchor's verb, in the reading that matched the rule."""
    for word in anchor:
        for part in rule.anchor:
            grammemes = word.match(part)
            if grammemes is not None and grammemes & {"VERB", "INFN", "PRTF", "GRND"}:
                return grammemes
    return frozenset()


def _verdict(
    message: _Message, context: _Context, rule: lex.Rule, start: int, end: int
) -> EmergencySignal | None:
    words = message.words
    anchor = words[start:end]
    clause = message.clause_lemmas[anchor[0].clause]
    if rule.unless & clause or _negated(words, start, end):
        return None
    partners = _partners(words, start, end, rule)
    if partners is None:
        return None
    number = anchor[0].sentence
    sentence = message.sentence_lemmas[number]
    lead = [w for w in words[max(0, start - 3) : start] if w.sentence == number]
    near = [w for w in words[max(0, start - 2) : end + 2] if w.sentence == number]
    grammemes = _tense(anchor, rule)
    ongoing = {"VERB", "pres"} <= grammemes
    # A participle describes rather than reports: «как помочь тонущему».
    strong = rule.strong and "PRTF" not in grammemes

    # «Если у нас пахнет газом» is the writer's own situation; «если пахнет газом» is not.
    if lex.CONDITIONAL & clause and not (context.urgent or context.personal):
        return None
    question = number in message.questions or bool(lex.INTERROGATIVE & sentence)
    hypothetical = (
        (not rule.intent and bool(grammemes & {"futr", "INFN"}))
        or any(w.surface in {"при", "случае"} or w.has(lex.POSSIBLE) for w in lead)
        or (question and any(w.has(lex.ABOUT) for w in lead))
        or bool(lex.PREVENTION & sentence)
    )
    if hypothetical and not context.urgent:
        return None
    finished = not ongoing and (
        {"past", "impf"} <= grammemes
        or context.aftermath
        or bool(lex.PAST_TIME & sentence)
        or ("день" in sentence and _on_these_days(message, number))
        or any(w.has(lex.BE) and "past" in w.readings[0][1] for w in near)
        or any(w.surface == "после" for w in lead)
    )
    if finished and not context.urgent:
        return None

    topic = lex.TOPICS.get(rule.kind, frozenset()) | lex.GENERAL_TOPIC
    if not (strong and ongoing) and topic & context.lemmas:
        return None
    if not strong and not (context.urgent or message.exclaimed or context.present):
        return None
    if not strong and not context.urgent and lex.CHRONIC & sentence:
        return None
    evidence = sorted({*range(start, end), *partners})
    return EmergencySignal(rule.kind, " ".join(words[index].surface for index in evidence))


def detect_emergency(text: str) -> EmergencySignal | None:
    """The first danger the message reports as happening now, or None."""
    message = _Message.parse(text)
    words = message.words
    starts = [i for i, word in enumerate(words) if word.has(_ANCHOR_LEMMAS)]
    if not starts:
        return None
    context = _context(message)
    for start in starts:
        numbers = {n for lemma, _ in words[start].readings for n in _STARTING.get(lemma, ())}
        for number in sorted(numbers):
            rule = lex.RULES[number]
            end = _anchor_end(words, start, rule)
            if end is not None:
                signal = _verdict(message, context, rule, start, end)
                if signal is not None:
                    return signal
    return None
