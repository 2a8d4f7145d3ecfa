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

Words are lemmatised with pymorphy3; Latin spelling is transliterated, Latin look-alike letters
inside Cyrillic words are replaced, unknown words are corrected against the forms of the danger
words, so «пажар» and «пахнит газом» are caught.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process

from faq.normalize import MAX_WORD_CHARS, fold, morph, transliterate

# A messenger message is at most this long; the rest of longer input is not read.
_MAX_CHARS = 4096
# Less likely readings than this are noise («горя» is rarely a form of «гореть»).
_MIN_READING_SCORE = 0.25
_MIN_CORRECTABLE = 4

_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_TOKEN = re.compile(r"[a-zа-я0-9]+|[.!?;…\n]|[,:—–]")
_CYRILLIC = re.compile("[а-я]")
_LATIN = re.compile("[a-z]")
_LOOKALIKES = str.maketrans("aeopcxykmthb", "аеорсхукмтнв")
_SENTENCE_END = frozenset(".!?;…\n")
_CLAUSE_BREAK = frozenset(",:—–")
_CLAUSE_WORDS = frozenset({"а", "но", "однако"})


def _set(words: str) -> frozenset[str]:
    return frozenset(fold(word) for word in words.split())


@dataclass(frozen=True, slots=True)
class EmergencySignal:
    kind: str
    evidence: str


@dataclass(frozen=True, slots=True)
class _Rule:
    kind: str
    anchor: tuple[frozenset[str], ...]  # consecutive words
    partners: tuple[frozenset[str], ...] = ()  # each within `reach` words, same sentence
    strong: bool = True
    reach: int = 4
    unless: frozenset[str] = frozenset()  # a lemma in the clause that makes the words harmless
    intent: bool = False  # an infinitive still reports danger: «хочет прыгнуть»


def _rule(
    kind: str,
    anchor: str | tuple[str, ...],
    *partners: str | frozenset[str],
    strong: bool = True,
    reach: int = 4,
    unless: frozenset[str] = frozenset(),
    intent: bool = False,
) -> _Rule:
    phrase = (anchor,) if isinstance(anchor, str) else anchor
    return _Rule(
        kind,
        tuple(_set(part) for part in phrase),
        tuple(_set(p) if isinstance(p, str) else p for p in partners),
        strong,
        reach,
        unless,
        intent,
    )


_PERSON = _set(
    "человек ребенок мужчина женщина бабушка дедушка дед бабуля старик старушка пенсионер "
    "пенсионерка сосед соседка мальчик девочка парень девушка пешеход подросток школьник "
    "школьница муж жена мама папа мать отец сын дочь дочка малыш младенец прохожий рабочий "
    "велосипедист водитель пострадавший ребята внук внучка мужик брат сестра друг подруга "
    "студент дядя тетя"
)
_CHILD = _set(
    "ребенок малыш мальчик девочка младенец сын дочь дочка ребята школьник школьница внук "
    "внучка подросток"
)
_WIRES = _set(
    "провод кабель лэп электропровод проводка электролиния столб опора щиток щит электрощит "
    "трансформатор подстанция розетка"
)
_STRUCTURE = _set(
    "дом здание стена потолок перекрытие крыша кровля балкон лестница подъезд пол козырек "
    "крыльцо мост плита фасад перегородка свод конструкция этаж барак"
)
_HOT = _set("кипяток горячий пар")
_LIGHTS = _set(
    "фонарь лампа лампочка светильник свет освещение светофор подсветка прожектор фара "
    "вывеска реклама гирлянда огонек индикатор табло экран датчик кнопка значок елка "
    "иллюминация новогодний праздничный"
)
# Ordinary burning and smoke: stoves, chimneys, barbecues, cigarettes.
_HEARTH = _set(
    "конфорка горелка плита колонка котел печь печка камин свеча костер мангал шашлык баня "
    "труба котельная завод предприятие тэц выхлоп сигарета курить курение кальян табак жечь "
    "сжигать палить батарея радиатор отопление полотенцесушитель"
)
_FIGURATIVE_FIRE = _set("путевка срок глаз щека лицо душа сердце ухо план дедлайн")
_APPLIANCES = _set(
    "чайник холодильник телевизор счетчик техника прибор предохранитель пробка мотор двигатель "
    "насос компьютер роутер зарядка блок утюг"
)
# «Тонуть в грязи / в долгах»: sinking in something other than water.
_MIRE = _set(
    "грязь мусор снег сугроб лужа долг бумага пробка яма бюрократия работа проблема слякоть "
    "жалоба пыль"
)
_WEAPONS = _set("нож топор пистолет ружье оружие обрез бита арматура")
_NOT_PEOPLE = _set("собака пес кошка животное фильм кино игра петарда ухо")
_DANGER_SPOT = _set("окно подоконник балкон карниз крыша край козырек")
_RISKY_PLACE = _set(
    "лед прорубь полынья рельс трасса проезжий стройка котлован колодец люк подстанция"
)
_CARE = _set(
    "больница стационар поликлиника анализ сдать донор кровать диван постель прививка справка "
    "запись"
)

_RULES: tuple[_Rule, ...] = (
    # gas
    _rule(
        "gas",
        "пахнуть запахнуть вонять завонять запах вонь утечка травить шипеть сифонить",
        "газ газовый пропан метан",
    ),
    # fire
    _rule(
        "fire",
        "гореть полыхать пылать заполыхать дымиться дымить тлеть загореться возгореться "
        "воспламениться",
        unless=_LIGHTS | _HEARTH | _FIGURATIVE_FIRE,
    ),
    _rule(
        "fire",
        "дым пламя огонь",
        "идти валить повалить подниматься выходить вырываться",
        unless=_HEARTH,
    ),
    _rule("fire", "пахнуть вонять запах", "гарь дым паленый горелый", unless=_HEARTH),
    _rule(
        "fire",
        "пожар возгорание задымление дым пламя огонь гарь поджог поджечь",
        strong=False,
        unless=_LIGHTS | _HEARTH | _FIGURATIVE_FIRE,
    ),
    _rule("fire", "сгореть выгореть", strong=False, unless=_LIGHTS | _APPLIANCES),
    # explosion
    _rule("explosion", "взорваться рвануть", unless=_set("петарда салют фейерверк хлопушка шар")),
    _rule("explosion", "взрыв", strong=False, unless=_set("петарда салют фейерверк хлопушка")),
    # drowning
    _rule("drowning", "тонуть утонуть захлебываться захлебнуться", unless=_MIRE),
    _rule("drowning", "провалиться", "лед полынья прорубь", reach=3),
    _rule("drowning", "уносить унести", "течение льдина"),
    # power lines and electricity
    _rule(
        "power_line",
        "оборвать оборваться обрыв искрить искриться искра коротить замкнуть замыкание порвать "
        "порваться упасть рухнуть",
        _WIRES,
        unless=_set("интернет провайдер оптоволокно антенна телевизионный телефонный связь"),
    ),
    _rule(
        "power_line",
        "лежать висеть свисать болтаться валяться",
        _set("провод кабель лэп электропровод"),
        strong=False,
        unless=_set("интернет провайдер оптоволокно антенна телевизионный телефонный связь"),
    ),
    _rule("power_line", "искрить искриться коротить", unless=_set("бенгальский костер")),
    _rule("power_line", "бить ударить ударять шибать", "ток", reach=2),
    _rule("power_line", ("под", "напряжение"), _WIRES | _set("забор ограждение ограда труба")),
    # injury and sudden illness
    _rule("injury", ("без", "сознание")),
    _rule("injury", ("потерять", "сознание")),
    _rule("injury", ("истекать", "кровь")),
    _rule("injury", ("не", "дышать двигаться шевелиться реагировать вставать"), _PERSON, reach=5),
    _rule("injury", ("не", "приходить прийти", "в", "себя")),
    _rule("injury", "плохо", _PERSON, reach=2),
    _rule("injury", "ошпарить", _PERSON | _set("кипяток")),
    _rule(
        "injury",
        "упасть выпасть сбить задавить придавить покусать укусить ранить ранение порезать "
        "порезаться травма травмироваться кровь кровотечение ожог обжечь обжечься перелом "
        "разбиться отравиться угореть лежать приступ инсульт инфаркт судорога припадок",
        _PERSON,
        strong=False,
        reach=5,
        unless=_CARE,
    ),
    # violence
    _rule(
        "violence",
        "драться избивать избить нападать напасть душить стрелять насиловать изнасиловать "
        "грабить убивать ломиться зарезать пырнуть застрелить",
        unless=_NOT_PEOPLE,
    ),
    _rule(
        "violence",
        "бить ударить колотить пинать",
        _PERSON | _set("я мы он она они ты вы кто"),
        strong=False,
        reach=3,
        unless=_set("ток вода кипяток струя фонтан часы ключ рекорд тревога мяч"),
    ),
    _rule(
        "violence",
        "угрожать грозить грозиться размахивать кидаться бросаться бегать ходить гоняться",
        _WEAPONS,
    ),
    _rule(
        "violence",
        "угрожать грозить грозиться",
        "убить зарезать застрелить расправа убийство покалечить",
        intent=True,
    ),
    _rule(
        "violence",
        "драка нападение насилие поножовщина стрельба ограбление грабеж разбой потасовка дебош "
        "убийство резня",
        strong=False,
    ),
    # a child in danger
    _rule("child", "висеть выпасть вылезти высунуться свеситься", _CHILD, _DANGER_SPOT, reach=6),
    _rule("child", "сидеть стоять", _CHILD, "подоконник карниз край козырек парапет", reach=6),
    _rule("child", "запереть закрыть оставить забыть", _CHILD, "машина автомобиль салон", reach=6),
    _rule(
        "child",
        "играть гулять лазить лезть бегать кататься сидеть стоять",
        _CHILD,
        _RISKY_PLACE | _DANGER_SPOT,
        strong=False,
        reach=6,
    ),
    _rule("child", "один", _CHILD, "плакать кричать", strong=False, reach=5),
    # suicide
    _rule("suicide", ("покончить", "с", "себя"), intent=True),
    _rule("suicide", "повеситься застрелиться утопиться", intent=True),
    _rule("suicide", ("вскрыть", "вена"), intent=True),
    _rule("suicide", ("не", "хотеть", "жить"), intent=True),
    _rule("suicide", ("хотеть", "умереть умирать"), intent=True),
    _rule(
        "suicide",
        "прыгнуть спрыгнуть выпрыгнуть броситься сброситься кинуться",
        "окно крыша мост балкон этаж высота",
        intent=True,
        unless=_set("гараж тарзанка парашют батут горка сарай вода"),
    ),
    _rule(
        "suicide",
        "суицид самоубийство суицидальный",
        "угрожать грозить грозиться собираться хотеть пытаться попытка совершить",
        intent=True,
    ),
    _rule("suicide", "стоять сидеть", "край перила парапет", "крыша мост балкон", reach=5),
    _rule("suicide", "суицид самоубийство", strong=False),
    # collapse
    _rule(
        "collapse",
        "обрушиться рухнуть обвалиться провалиться сложиться",
        _STRUCTURE,
        unless=_set("курс цена рубль сайт сервер связь рынок"),
    ),
    _rule("collapse", "завалить засыпать придавить", _PERSON, unless=_MIRE),
    _rule("collapse", "обрушение обвал завал", strong=False),
    # a home flooded with boiling water
    _rule(
        "flood",
        "заливать залить затопить затапливать подтопить хлестать хлынуть фонтанировать "
        "прорвать прорыв фонтан",
        _HOT,
    ),
    _rule("flood", "течь литься лить бить", "кипяток"),
)

# Words of ordinary questions on a subject; they cancel all but ongoing strong reports.
_TOPICS: dict[str, frozenset[str]] = {
    "gas": _set(
        "оплата оплатить платить счет квитанция тариф счетчик поверка подключение подключить "
        "газификация газифицировать договор абонент обслуживание техобслуживание проверка "
        "проверять проверить замена заменить установка установить начисление начислить долг "
        "задолженность перерасчет цена стоимость"
    ),
    "fire": _set(
        "безопасность правило штраф противопожарный огнетушитель сжигание сжигать жечь "
        "инструктаж учение тренировка извещатель датчик сигнализация погорелец страхование "
        "режим курить сигарета курение кальян табак баня шашлык мангал костер печка"
    ),
    "power_line": _set(
        "отключение отключить включить дать перерасчет оплата счет тариф счетчик график плановый"
    ),
    "injury": _set("больничный пособие полис инвалидность травмпункт"),
    "violence": _set(
        "статья кодекс наказание профилактика жаловаться жалоба школа одноклассник учитель "
        "травля буллинг опека"
    ),
    "child": _set("огородить ограждение запретить меры охрана"),
    "suicide": _set("профилактика статистика лекция урок программа тренинг месячник акция"),
    "collapse": _set(
        "угроза риск аварийный расселение расселить признать капремонт экспертиза обследование"
    ),
    "flood": _set(
        "оплата счет тариф перерасчет отключение отключить график температура градус "
        "опрессовка испытание дать включить подать подача"
    ),
}
_GENERAL_TOPIC = _set(
    "правило памятка инструкция инструктаж закон требование профилактика учение статистика "
    "лекция фильм кино сон присниться"
)
# Finished events: what comes after the danger is over.
_AFTERMATH = _set(
    "ущерб возместить возмещение компенсация компенсировать выплата выплатить страховка "
    "страховой претензия суд восстановить восстановление погорелец расследование причина "
    "заявление акт виновный виновник ответственность починить устранить отремонтировать "
    "последствие"
)
_PAST_TIME = _set("вчера позавчера прошлый позапрошлый назад ранее давно недавно прошедший")
_URGENT = _set("сейчас срочно срочный немедленно скорее скорей быстрее сос караул экстренно")
# Imperatives that call for help rather than ask for information.
_CALLS = _set("помочь спасти вызвать приехать приезжать бежать")
_CONDITIONAL = _set("если ежели коли чтобы чтоб")
_PREVENTION = _set(
    "избежать предотвратить допустить предупредить предупреждение обезопасить защитить "
    "защититься профилактика действовать"
)
_POSSIBLE = _set("угроза риск опасность мочь грозить угрожать")
_ABOUT = _set("о об обо про насчет")
_INTERROGATIVE = _set("куда как где кто какой можно нужно надо номер телефон")
_LOCATIVE = _set("в во на у возле около рядом напротив под над за из с со по вдоль")
_PLACE = (
    _set(
        "подъезд квартира дом двор подвал улица лестница площадка этаж чердак балкон остановка "
        "дорога перекресток переход парк сквер школа сад садик магазин гараж река пруд озеро "
        "пляж берег лед трасса лес участок огород сарай сосед соседка коридор лифт кухня окно "
        "комната здание стройка рынок тротуар земля асфальт площадь мост тамбур крыльцо вход "
        "карьер автобус стена"
    )
    | _RISKY_PLACE
)
# A lasting condition is a complaint, not an emergency: «провода висят уже год».
_CHRONIC = _set(
    "год полгода месяц неделя давно постоянно всегда регулярно периодически ежедневно вечно"
)
_SELF = _set("я мы")
_BE = _set("быть")
_WITH = _set("с со в во")
_MINE = _set("наш мой")
_NEGATIONS = _set("не нет ни")
_INTENSIFIERS = _set("уже больше еще совсем вообще")

_ANCHOR_LEMMAS = frozenset(lemma for rule in _RULES for part in rule.anchor for lemma in part)


def _rules_by_first_lemma() -> dict[str, list[int]]:
    """Rule numbers by the lemmas their phrase can start with, to try only rules that can
    match."""
    starting: dict[str, list[int]] = {}
    for number, rule in enumerate(_RULES):
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
def _vocabulary() -> dict[int, list[str]]:
    """Forms of the danger words, by length, to correct typos against."""
    analyzer = morph()
    forms: dict[str, None] = {}
    for lemma in _ANCHOR_LEMMAS | _PLACE | _set("газ провод кипяток"):
        if len(lemma) < _MIN_CORRECTABLE:
            continue
        for parse in analyzer.parse(lemma)[:1]:
            for form in parse.lexeme:
                if form.tag.POS in {"NOUN", "VERB", "INFN"}:
                    forms.setdefault(fold(form.word), None)
    by_length: dict[int, list[str]] = {}
    for form in forms:
        by_length.setdefault(len(form), []).append(form)
    return by_length


@lru_cache(maxsize=50000)
def _correct(word: str) -> str:
    if len(word) < _MIN_CORRECTABLE or not _CYRILLIC.search(word) or morph().word_is_known(word):
        return word
    vocabulary = _vocabulary()
    choices = [
        form
        for size in (len(word) - 1, len(word), len(word) + 1)
        for form in vocabulary.get(size, ())
    ]
    match = process.extractOne(word, choices, scorer=fuzz.ratio, processor=None, score_cutoff=79)
    return match[0] if match is not None else word


@lru_cache(maxsize=50000)
def _readings(word: str) -> tuple[tuple[str, frozenset[str]], ...]:
    parses = morph().parse(_correct(word))
    top = parses[0].score
    out: dict[tuple[str, frozenset[str]], None] = {}
    for parse in parses:
        if parse.score >= top * _MIN_READING_SCORE or parse is parses[0]:
            out.setdefault((fold(parse.normal_form), frozenset(parse.tag.grammemes)), None)
    return tuple(out)


def _spelling(token: str) -> str:
    if not _LATIN.search(token):
        return token
    if _CYRILLIC.search(token):
        return token.translate(_LOOKALIKES)
    return transliterate(token)


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
        raw = _INVISIBLE.sub("", raw)
        letters = [char for char in raw if char.isalpha()]
        shouting = len(letters) >= 5 and sum(c.isupper() for c in letters) >= 0.7 * len(letters)
        words: list[_Word] = []
        questions: set[int] = set()
        sentence = clause = 0
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
                surface = _spelling(token[:MAX_WORD_CHARS])
                words.append(_Word(surface, _readings(surface), sentence, clause))
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
    grammemes = words[index].match(_CALLS)
    if grammemes is None or "impr" not in grammemes:
        return False
    rest = [w for w in words[index + 1 : index + 3] if w.surface not in {"пожалуйста", "срочно"}]
    return not rest or not (rest[0].surface in _WITH or "INFN" in rest[0].readings[0][1])


def _follows(words: list[_Word], index: int, first: str) -> bool:
    return index > 0 and words[index - 1].surface == first


def _context(message: _Message) -> _Context:
    words = message.words
    urgent = present = personal = aftermath = False
    for index, word in enumerate(words):
        following = words[index + 1 : index + 3]
        urgent = urgent or (
            word.has(_URGENT)
            or _is_call(words, index)
            or (word.surface == "что" and _follows(words, index, "только"))
            or (word.surface == "помощь" and _follows(words, index, "на"))
            or (word.surface == "помощь" and _follows(words, index, "нужна"))
        )
        aftermath = aftermath or word.has(_AFTERMATH)
        top = word.readings[0][1]
        personal = personal or (
            {"VERB", "1per", "pres"} <= top
            or word.has(_MINE)
            or (word.surface == "у" and any(w.has(_SELF) for w in following[:1]))
        )
        present = present or (
            (word.has(_LOCATIVE) and any(w.has(_PLACE) for w in following))
            or (word.surface == "у" and any(w.has(_PERSON) for w in following))
        )
    lemmas = frozenset(lemma for word in words for lemma, _ in word.readings)
    return _Context(urgent, present or personal, personal, aftermath, lemmas)


def _anchor_end(words: list[_Word], start: int, rule: _Rule) -> int | None:
    """Where the rule's phrase starting at `start` ends; intensifiers may stand inside it
    («не хочет больше жить»)."""
    index = start
    for offset, part in enumerate(rule.anchor):
        while offset and index < len(words) and words[index].has(_INTENSIFIERS - part):
            index += 1
        if index >= len(words) or words[index].sentence != words[start].sentence:
            return None
        if not words[index].has(part):
            return None
        index += 1
    return index


def _partners(words: list[_Word], start: int, end: int, rule: _Rule) -> list[int] | None:
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
    while index >= 0 and words[index].has(_INTENSIFIERS):
        index -= 1
    if (
        index >= 0
        and words[index].sentence == words[start].sentence
        and words[index].surface in _NEGATIONS
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


def _tense(anchor: list[_Word], rule: _Rule) -> frozenset[str]:
    """Grammemes of the anchor's verb, in the reading that matched the rule."""
    for word in anchor:
        for part in rule.anchor:
            grammemes = word.match(part)
            if grammemes is not None and grammemes & {"VERB", "INFN", "PRTF", "GRND"}:
                return grammemes
    return frozenset()


def _verdict(
    message: _Message, context: _Context, rule: _Rule, start: int, end: int
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
    if _CONDITIONAL & clause and not (context.urgent or context.personal):
        return None
    question = number in message.questions or bool(_INTERROGATIVE & sentence)
    hypothetical = (
        (not rule.intent and bool(grammemes & {"futr", "INFN"}))
        or any(w.surface in {"при", "случае"} or w.has(_POSSIBLE) for w in lead)
        or (question and any(w.has(_ABOUT) for w in lead))
        or bool(_PREVENTION & sentence)
    )
    if hypothetical and not context.urgent:
        return None
    finished = not ongoing and (
        {"past", "impf"} <= grammemes
        or context.aftermath
        or bool(_PAST_TIME & sentence)
        or ("день" in sentence and _on_these_days(message, number))
        or any(w.has(_BE) and "past" in w.readings[0][1] for w in near)
        or any(w.surface == "после" for w in lead)
    )
    if finished and not context.urgent:
        return None

    topic = _TOPICS.get(rule.kind, frozenset()) | _GENERAL_TOPIC
    if not (strong and ongoing) and topic & context.lemmas:
        return None
    if not strong and not (context.urgent or message.exclaimed or context.present):
        return None
    if not strong and not context.urgent and _CHRONIC & sentence:
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
            rule = _RULES[number]
            end = _anchor_end(words, start, rule)
            if end is not None:
                signal = _verdict(message, context, rule, start, end)
                if signal is not None:
                    return signal
    return None
