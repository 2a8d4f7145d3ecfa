"""Normalisation of Russian resident messages and knowledge-base text.

Steps: case and ё folding, Latin→Cyrillic transliteration of Latin words, tokenisation
(emoji and punctuation drop out), spelling correction of unknown words against the
knowledge-base vocabulary, splitting of run-together words, lemmatisation with pymorphy3,
expansion of common municipal slang and abbreviations, stop-word removal.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import pymorphy3
from rapidfuzz import fuzz, process

_WORD = re.compile(r"[a-zа-я0-9]+")
_LATIN = re.compile(r"^[a-z]+$")
_HAS_LATIN = re.compile("[a-z]")
_HAS_CYRILLIC = re.compile("[а-я]")
# Zero-width and formatting characters that split a word invisibly («по\u00adжар»).
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
# Latin letters that look like Cyrillic ones («пoжар» typed with a Latin «o»).
_LOOKALIKES = str.maketrans("aeopcxykmthb", "аеорсхукмтнв")
# Web and e-mail addresses: the host is group 1.
_LINK = re.compile(r"(?:https?://|[\w.+-]+@)?((?:[a-z0-9-]+\.)+[a-z]{2,})\b(?:[/?#]\S*)?")

# Longest sequences first: the transliteration is greedy.
_TRANSLIT = (
    ("shch", "щ"),
    ("sch", "щ"),
    ("yo", "е"),
    ("yu", "ю"),
    ("ya", "я"),
    ("ye", "е"),
    ("ju", "ю"),
    ("ja", "я"),
    ("zh", "ж"),
    ("kh", "х"),
    ("ch", "ч"),
    ("sh", "ш"),
    ("iy", "ий"),
    ("yy", "ый"),
    ("a", "а"),
    ("b", "б"),
    ("c", "ц"),
    ("d", "д"),
    ("e", "е"),
    ("f", "ф"),
    ("g", "г"),
    ("h", "х"),
    ("i", "и"),
    ("j", "й"),
    ("k", "к"),
    ("l", "л"),
    ("m", "м"),
    ("n", "н"),
    ("o", "о"),
    ("p", "п"),
    ("q", "к"),
    ("r", "р"),
    ("s", "с"),
    ("t", "т"),
    ("u", "у"),
    ("v", "в"),
    ("w", "в"),
    ("x", "кс"),
    ("y", "ы"),
    ("z", "з"),
)

GREETINGS = frozenset(
    [
        "привет",
        "приветик",
        "здравствуйте",
        "здравствуй",
        "здрасте",
        "здрасьте",
        "здорово",
        "алло",
        "ау",
        "хай",
        "салют",
        "добрый",
        "доброе",
        "доброго",
        "утро",
        "вечер",
        "день",
        "ночь",
        "суток",
        "времени",
    ]
)
GREETING_CORE = frozenset(
    [
        "привет",
        "приветик",
        "здравствуйте",
        "здравствуй",
        "здрасте",
        "здрасьте",
        "алло",
        "ау",
        "хай",
        "салют",
    ]
)
THANKS = frozenset(["спасибо", "спасибочки", "благодарю", "благодарим", "спс", "пасиб", "сенкс"])
POLITENESS = frozenset(
    [
        "пожалуйста",
        "пжл",
        "плиз",
        "подскажите",
        "подскажи",
        "скажите",
        "скажи",
        "расскажите",
        "подсказать",
        "помогите",
        "помоги",
        "заранее",
        "уважаемые",
        "уважаемый",
        "уважаемая",
        "админы",
        "админ",
        "администратор",
        "извините",
        "простите",
        "хорошего",
        "всего",
        "доброго",
        "большое",
        "огромное",
    ]
)
# Lemmas that carry no topic; question words stay, their weight comes from IDF.
STOP_LEMMAS = frozenset(
    [
        "а",
        "и",
        "в",
        "во",
        "на",
        "но",
        "же",
        "ли",
        "бы",
        "не",
        "ни",
        "то",
        "это",
        "этот",
        "тот",
        "та",
        "те",
        "так",
        "там",
        "тут",
        "здесь",
        "вот",
        "уже",
        "еще",
        "ещё",
        "к",
        "ко",
        "с",
        "со",
        "о",
        "об",
        "обо",
        "от",
        "до",
        "по",
        "за",
        "из",
        "из-за",
        "под",
        "над",
        "при",
        "про",
        "для",
        "без",
        "у",
        "я",
        "мы",
        "ты",
        "вы",
        "он",
        "она",
        "оно",
        "они",
        "мой",
        "наш",
        "твой",
        "ваш",
        "свой",
        "его",
        "ее",
        "её",
        "их",
        "себя",
        "сам",
        "весь",
        "все",
        "всё",
        "вообще",
        "вроде",
        "просто",
        "очень",
        "тоже",
        "также",
        "или",
        "либо",
        "ну",
        "да",
        "нет",
        "есть",
        "быть",
        "мочь",
        "хотеть",
        "какой-то",
        "какой-нибудь",
        "кто-нибудь",
        "что-то",
        "что-нибудь",
        "где-то",
        "где-нибудь",
        "когда-то",
        "то-есть",
        "если",
        "чтобы",
        "чтоб",
        "что",
        "как",
        "который",
        "ли",
        "разве",
        "неужели",
        "ведь",
        "лишь",
        "только",
        "даже",
        "опять",
        "снова",
        "сейчас",
        "теперь",
        "вот-вот",
        "какой-либо",
        "сюда",
        "туда",
        "тогда",
        "потом",
        "пока",
        "ли",
        "а-то",
        "бы-то",
        "то-то",
        "типа",
        "короче",
        "блин",
        "ещe",
    ]
)
# Municipal slang, abbreviations and clipped words → the words a knowledge base would use.
# Expansions are written as ordinary words and lemmatised like the text (so «управляющая»
# matches whatever lemma the analyser gives the knowledge base's own «управляющую»).
SLANG: Mapping[str, tuple[str, ...]] = {
    "батарея": ("отопление",),
    "радиатор": ("отопление", "батарея"),
    "тепло": ("отопление",),
    "свет": ("электричество", "электроэнергия"),
    "электричество": ("электроэнергия",),
    "садик": ("детский", "сад"),
    "детсад": ("детский", "сад"),
    "дс": ("детский", "сад"),
    "мусорка": ("контейнер", "мусор"),
    "мусоровоз": ("вывоз", "мусор"),
    "тко": ("мусор", "отход"),
    "коммуналка": ("коммунальный", "услуга", "жкх"),
    "квартплата": ("плата", "коммунальный", "услуга"),
    "жку": ("жилищный", "коммунальный", "услуга"),
    "ук": ("управляющая", "компания"),
    "тсж": ("управляющая", "компания"),
    "жкх": ("коммунальный",),
    "мфц": ("многофункциональный", "центр"),
    "адм": ("администрация",),
    "админка": ("администрация",),
    "црб": ("больница", "поликлиника"),
    "фап": ("фельдшерский", "пункт"),
    "омс": ("медицинский", "полис"),
    "дк": ("дом", "культура"),
    "соцзащита": ("социальный", "защита"),
    "собес": ("социальный", "защита"),
    "пфр": ("пенсионный", "фонд", "социальный"),
    "сфр": ("социальный", "фонд"),
    "прописка": ("регистрация",),
    "прописать": ("регистрация",),
    "прописаться": ("регистрация",),
    "выписаться": ("регистрация",),
    "биржа": ("центр", "занятость"),
    "крупногабарит": ("крупногабаритный",),
    "скорая": ("скорый", "помощь"),
    "инет": ("интернет",),
    "инфа": ("информация",),
    "тел": ("телефон",),
    "док": ("документ",),
    "доки": ("документ",),
    "ип": ("предприниматель",),
    "ижс": ("индивидуальный", "жилищный", "строительство"),
    "лпх": ("личный", "подсобный", "хозяйство"),
    "многодетка": ("многодетный",),
    "госуслуга": ("госуслуги",),
    "соц": ("социальный",),
    "мед": ("медицинский",),
    "гос": ("государственный",),
    "зем": ("земельный",),
    # Colloquial verbs and nouns → the neutral word an answer would use.
    "посеять": ("потерять",),
    "утерять": ("потерять",),
    "утеря": ("потерять",),
    "стереть": ("удалить",),
    "бумага": ("документ",),
    "бумажка": ("документ",),
    "похороны": ("захоронение",),
    "похоронить": ("захоронение",),
    "бездомный": ("бродячий",),
    "мэр": ("глава",),
    "маршрутка": ("автобус", "маршрут"),
    "ясли": ("детский", "сад"),
    "загранпаспорт": ("заграничный", "паспорт"),
    # A doctor's speciality names a doctor.
    "окулист": ("врач",),
    "офтальмолог": ("врач",),
    "лор": ("врач",),
    "отоларинголог": ("врач",),
    "хирург": ("врач",),
    "невролог": ("врач",),
    "кардиолог": ("врач",),
    "эндокринолог": ("врач",),
    "гинеколог": ("врач",),
    "уролог": ("врач",),
    "дерматолог": ("врач",),
    "травматолог": ("врач",),
    "стоматолог": ("врач",),
    "педиатр": ("врач",),
    "терапевт": ("врач",),
    "специалист": ("врач",),
}
# Clipped first parts of compounds («соцконтракт», «медсправка», «земучасток»): an unknown
# word that starts with one and ends with a known word is read as the two words.
CLIPPED = {
    "соц": "социальный",
    "мед": "медицинский",
    "гос": "государственный",
    "зем": "земельный",
    "мун": "муниципальный",
    "спец": "специальный",
    "тех": "технический",
    "гор": "городской",
    "нац": "национальный",
}
# Question words tell little about the topic; they get a small fixed weight.
INTERROGATIVES = frozenset(
    ["когда", "куда", "где", "откуда", "сколько", "почему", "зачем", "кто", "какой", "чей", "каков"]
)
# Verbs that stand in for any action («что делать», «как сделать»): no topic of their own.
_LIGHT_VERBS = frozenset(["делать", "сделать", "поделать"])
# Grammatical classes without a topic: predicatives («надо», «можно», «нужно»),
# pronominal adjectives («такой», «какой-то») and pronouns.
_LIGHT_GRAMMEMES = frozenset(["PRED", "Apro", "NPRO"])
_MIN_CORRECTABLE = 4
# Bounds on the work one message can cause. Russian words longer than this are vanishingly
# rare (the dev sets' longest is 18 letters), so the rest of a longer «word» is noise; a
# message is matched on its beginning, where residents put the question in all but stories
# far longer than any seen. A word missing from the dictionary costs most (the analyser
# guesses its form, the speller searches the vocabulary), so a message's unknown words past
# MAX_UNKNOWN_WORDS are not read: by then it is noise, and escalates on what came before.
MAX_WORD_CHARS = 32
MAX_TEXT_CHARS = 1000
MAX_UNKNOWN_WORDS = 20


@lru_cache(maxsize=1)
def morph() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer()


@dataclass(frozen=True, slots=True)
class Token:
    surface: str
    lemma: str
    tag: str
    known: bool


def fold(text: str) -> str:
    return text.lower().replace("ё", "е")


@lru_cache(maxsize=20000)
def transliterate(word: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(word):
        for latin, cyrillic in _TRANSLIT:
            if word.startswith(latin, i):
                out.append(cyrillic)
                i += len(latin)
                break
        else:
            out.append(word[i])
            i += 1
    return "".join(out)


def _link_name(match: re.Match[str]) -> str:
    """A link stands for its site's name only, one word: its longest label below the
    top-level domain («dom.gosuslugi.ru» → «gosuslugi», «nalog.gov.ru» → «nalog»). Parts
    of an address are not prose, and one repeated in many answers would otherwise attach
    words such as «adm» → «администрация» to every entry."""
    labels = match.group(1).split(".")[:-1]
    return " " + max(labels, key=len).replace("-", "") + " "


def strip_invisible(text: str) -> str:
    return _INVISIBLE.sub("", text)


def spelling(word: str) -> str:
    """A folded word in Cyrillic letters, at most MAX_WORD_CHARS long: a Latin word is
    transliterated, Latin look-alike letters inside a Cyrillic word are replaced."""
    word = word[:MAX_WORD_CHARS]
    if not _HAS_LATIN.search(word):
        return word
    if _HAS_CYRILLIC.search(word):
        return word.translate(_LOOKALIKES)
    return transliterate(word) if _LATIN.match(word) else word


def surface_words(text: str) -> list[str]:
    """The words of a text as the FAQ and the emergency detector read them."""
    folded = fold(strip_invisible(text))
    return [spelling(word) for word in _WORD.findall(_LINK.sub(_link_name, folded))]


class Speller:
    """Corrects a word to the closest word of a vocabulary by rapidfuzz's ratio. Only
    words of a length that can reach the cutoff are compared (the ratio is at most
    1 - |n - m| / (n + m)), and `reach`, if given, narrows the lengths further."""

    def __init__(self, vocabulary: Iterable[str], reach: int | None = None) -> None:
        self._by_length: dict[int, list[str]] = {}
        for word in sorted(set(vocabulary)):
            self._by_length.setdefault(len(word), []).append(word)
        self._reach = reach

    def closest(self, word: str, cutoff: float) -> str | None:
        size, share = len(word), cutoff / 100
        low = math.floor(size * share / (2 - share))
        high = math.ceil(size * (2 - share) / share) if share > 0 else size + MAX_WORD_CHARS
        if self._reach is not None:
            low, high = max(low, size - self._reach), min(high, size + self._reach)
        # Sorted, so that of equally close words the same one wins whatever the lengths.
        choices = sorted(
            known for length in range(low, high + 1) for known in self._by_length.get(length, ())
        )
        match = process.extractOne(
            word, choices, scorer=fuzz.ratio, processor=None, score_cutoff=cutoff
        )
        return None if match is None else str(match[0])


def clip(text: str) -> str:
    """The part of a message that is matched: its first MAX_TEXT_CHARS characters, without a
    word cut in half."""
    if len(text) <= MAX_TEXT_CHARS:
        return text
    head = text[:MAX_TEXT_CHARS]
    if text[MAX_TEXT_CHARS].isalnum():
        head = re.sub(r"\w+$", "", head) or head
    return head


@lru_cache(maxsize=200000)
def _analyse(word: str) -> tuple[str, str, bool]:
    analyzer = morph()
    parse = analyzer.parse(word)[0]
    return fold(parse.normal_form), str(parse.tag), analyzer.word_is_known(word)


def part_of_speech(word: str) -> str:
    """The likeliest part of speech of a word form («NOUN», «ADJF», «VERB»…)."""
    return re.split(r"[ ,]", _analyse(word)[1])[0]


@lru_cache(maxsize=200000)
def in_dictionary(word: str) -> bool:
    """A dictionary lookup only: far cheaper than an analysis for a word that is not there."""
    return bool(morph().word_is_known(word))


class Normalizer:
    """Turns text into lemma tokens; unknown words are corrected against `vocabulary`."""

    def __init__(self, vocabulary: Iterable[str] = ()) -> None:
        words = (
            {w for w in vocabulary if len(w) >= _MIN_CORRECTABLE}
            | GREETINGS
            | THANKS
            | POLITENESS
            | {"когда", "куда", "откуда", "сколько", "почему", "зачем"}
        )
        self._speller = Speller(words)
        self._known_vocabulary = frozenset(words)
        self._corrections: dict[str, tuple[str, ...]] = {}

    def _correct(self, word: str) -> tuple[str, ...]:
        cached = self._corrections.get(word)
        if cached is not None:
            return cached
        result: tuple[str, ...] = (word,)
        if len(word) >= _MIN_CORRECTABLE and word not in self._known_vocabulary:
            match = self._speller.closest(word, 80 if len(word) >= 6 else 75)
            result = (match,) if match is not None else self._split(word) or result
        if len(self._corrections) < 100000:
            self._corrections[word] = result
        return result

    def _split(self, word: str) -> tuple[str, ...] | None:
        for cut in range(2, len(word) - 1):
            left, right = word[:cut], word[cut:]
            if len(right) >= 3 and in_dictionary(left) and in_dictionary(right):
                return (left, right)
        return None

    def tokens(self, text: str) -> list[Token]:
        out: list[Token] = []
        unknown = 0
        for word in surface_words(text):
            candidates: tuple[str, ...] = (word,)
            if not (
                word.isdigit()
                or word in self._known_vocabulary
                or word in SLANG
                or in_dictionary(word)
            ):
                unknown += 1
                if unknown > MAX_UNKNOWN_WORDS:
                    continue
                candidates = _unclip(word) or self._correct(word)
            lemma, tag, known = _analyse(word)
            for candidate in candidates:
                if candidate != word:
                    lemma, tag, known = _analyse(candidate)
                    known = True
                out.append(Token(candidate, lemma, tag, known))
        return out

    def lemmas(self, text: str) -> list[str]:
        return content_lemmas(self.tokens(text))


def _unclip(word: str) -> tuple[str, ...] | None:
    for prefix, full in CLIPPED.items():
        rest = word[len(prefix) :]
        if word.startswith(prefix) and len(rest) >= 4 and in_dictionary(rest):
            return (full, rest)
    return None


@lru_cache(maxsize=1000)
def _expansions(key: str) -> tuple[str, ...]:
    return tuple(_analyse(word)[0] for word in SLANG.get(key, ()))


@lru_cache(maxsize=100000)
def is_light(lemma: str) -> bool:
    """A lemma that names no topic though it is not a stop word: question words, modal
    predicatives, pronominal words and light verbs. They keep a small fixed weight."""
    if lemma in INTERROGATIVES or lemma in _LIGHT_VERBS:
        return True
    return not _LIGHT_GRAMMEMES.isdisjoint(re.split(r"[ ,]", _analyse(lemma)[1]))


_NOMINAL_POS = frozenset(["NOUN", "ADJF", "UNKN", "LATN"])


@lru_cache(maxsize=100000)
def is_nominal(lemma: str) -> bool:
    """A noun or adjective (or an unknown word, usually an abbreviation such as «мфц»):
    the words that name what a message is about, as opposed to what is done or when."""
    if is_light(lemma):
        return False
    return re.split(r"[ ,]", _analyse(lemma)[1])[0] in _NOMINAL_POS


@lru_cache(maxsize=100000)
def is_verb(lemma: str) -> bool:
    return re.split(r"[ ,]", _analyse(lemma)[1])[0] in {"INFN", "VERB"}


def content_lemmas(tokens: Iterable[Token]) -> list[str]:
    """Topic-bearing lemmas with slang expanded, in order, without repeats."""
    seen: dict[str, None] = {}
    for token in tokens:
        lemma = token.lemma
        if (
            lemma in STOP_LEMMAS
            or token.surface in GREETINGS
            or token.surface in THANKS
            or token.surface in POLITENESS
            or lemma in POLITENESS
            or lemma.isdigit()
        ):
            continue
        seen.setdefault(lemma, None)
        for extra in _expansions(lemma) or _expansions(token.surface):
            seen.setdefault(extra, None)
    return list(seen)


def vocabulary_of(texts: Iterable[str]) -> set[str]:
    words: set[str] = set()
    for text in texts:
        words.update(w for w in surface_words(text) if not w.isdigit())
    return words
