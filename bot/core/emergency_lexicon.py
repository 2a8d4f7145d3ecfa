"""The emergency detector's lexicon: danger words, their partners and the words around
them that make a message harmless, hypothetical, finished or urgent.

This is data for `bot.core.emergency`, kept apart from the rules' logic so that it can be
read and extended as a table. Words are written as lemmas (pymorphy3 normal forms, ё as е);
each `rule` names a kind of danger, the lemmas of its phrase (consecutive words), the
partner sets that must stand near it in the same sentence, and the lemmas that cancel it in
the same clause.
"""

from __future__ import annotations

from dataclasses import dataclass

from faq.normalize import fold


def words(text: str) -> frozenset[str]:
    return frozenset(fold(word) for word in text.split())


@dataclass(frozen=True, slots=True)
class Rule:
    kind: str
    anchor: tuple[frozenset[str], ...]  # consecutive words
    partners: tuple[frozenset[str], ...] = ()  # each within `reach` words, same sentence
    strong: bool = True
    reach: int = 4
    unless: frozenset[str] = frozenset()  # a lemma in the clause that makes the words harmless
    intent: bool = False  # an infinitive still reports danger: «хочет прыгнуть»


def rule(
    kind: str,
    anchor: str | tuple[str, ...],
    *partners: str | frozenset[str],
    strong: bool = True,
    reach: int = 4,
    unless: frozenset[str] = frozenset(),
    intent: bool = False,
) -> Rule:
    phrase = (anchor,) if isinstance(anchor, str) else anchor
    return Rule(
        kind,
        tuple(words(part) for part in phrase),
        tuple(words(p) if isinstance(p, str) else p for p in partners),
        strong,
        reach,
        unless,
        intent,
    )


PERSON = words(
    "человек ребенок мужчина женщина бабушка дедушка дед бабуля старик старушка пенсионер "
    "пенсионерка сосед соседка мальчик девочка парень девушка пешеход подросток школьник "
    "школьница муж жена мама папа мать отец сын дочь дочка малыш младенец прохожий рабочий "
    "велосипедист водитель пострадавший ребята внук внучка мужик брат сестра друг подруга "
    "студент дядя тетя"
)
CHILD = words(
    "ребенок малыш мальчик девочка младенец сын дочь дочка ребята школьник школьница внук "
    "внучка подросток"
)
WIRES = words(
    "провод кабель лэп электропровод проводка электролиния столб опора щиток щит электрощит "
    "трансформатор подстанция розетка"
)
STRUCTURE = words(
    "дом здание стена потолок перекрытие крыша кровля балкон лестница подъезд пол козырек "
    "крыльцо мост плита фасад перегородка свод конструкция этаж барак"
)
HOT = words("кипяток горячий пар")
LIGHTS = words(
    "фонарь лампа лампочка светильник свет освещение светофор подсветка прожектор фара "
    "вывеска реклама гирлянда огонек индикатор табло экран датчик кнопка значок елка "
    "иллюминация новогодний праздничный"
)
# Ordinary burning and smoke: stoves, chimneys, barbecues, cigarettes.
HEARTH = words(
    "конфорка горелка плита колонка котел печь печка камин свеча костер мангал шашлык баня "
    "труба котельная завод предприятие тэц выхлоп сигарета курить курение кальян табак жечь "
    "сжигать палить батарея радиатор отопление полотенцесушитель"
)
FIGURATIVE_FIRE = words("путевка срок глаз щека лицо душа сердце ухо план дедлайн")
APPLIANCES = words(
    "чайник холодильник телевизор счетчик техника прибор предохранитель пробка мотор двигатель "
    "насос компьютер роутер зарядка блок утюг"
)
# «Тонуть в грязи / в долгах»: sinking in something other than water.
MIRE = words(
    "грязь мусор снег сугроб лужа долг бумага пробка яма бюрократия работа проблема слякоть "
    "жалоба пыль"
)
WEAPONS = words("нож топор пистолет ружье оружие обрез бита арматура")
NOT_PEOPLE = words("собака пес кошка животное фильм кино игра петарда ухо")
DANGER_SPOT = words("окно подоконник балкон карниз крыша край козырек")
RISKY_PLACE = words(
    "лед прорубь полынья рельс трасса проезжий стройка котлован колодец люк подстанция"
)
CARE = words(
    "больница стационар поликлиника анализ сдать донор кровать диван постель прививка справка "
    "запись"
)

RULES: tuple[Rule, ...] = (
    # gas
    rule(
        "gas",
        "пахнуть запахнуть вонять завонять запах вонь утечка травить шипеть сифонить",
        "газ газовый пропан метан",
    ),
    # fire
    rule(
        "fire",
        "гореть полыхать пылать заполыхать дымиться дымить тлеть загореться возгореться "
        "воспламениться",
        unless=LIGHTS | HEARTH | FIGURATIVE_FIRE,
    ),
    rule(
        "fire",
        "дым пламя огонь",
        "идти валить повалить подниматься выходить вырываться",
        unless=HEARTH,
    ),
    rule("fire", "пахнуть вонять запах", "гарь дым паленый горелый", unless=HEARTH),
    rule(
        "fire",
        "пожар возгорание задымление дым пламя огонь гарь поджог поджечь",
        strong=False,
        unless=LIGHTS | HEARTH | FIGURATIVE_FIRE,
    ),
    rule("fire", "сгореть выгореть", strong=False, unless=LIGHTS | APPLIANCES),
    # explosion
    rule("explosion", "взорваться рвануть", unless=words("петарда салют фейерверк хлопушка шар")),
    rule("explosion", "взрыв", strong=False, unless=words("петарда салют фейерверк хлопушка")),
    # drowning
    rule("drowning", "тонуть утонуть захлебываться захлебнуться", unless=MIRE),
    rule("drowning", "провалиться", "лед полынья прорубь", reach=3),
    rule("drowning", "уносить унести", "течение льдина"),
    # power lines and electricity
    rule(
        "power_line",
        "оборвать оборваться обрыв искрить искриться искра коротить замкнуть замыкание порвать "
        "порваться упасть рухнуть",
        WIRES,
        unless=words("интернет провайдер оптоволокно антенна телевизионный телефонный связь"),
    ),
    rule(
        "power_line",
        "лежать висеть свисать болтаться валяться",
        words("провод кабель лэп электропровод"),
        strong=False,
        unless=words("интернет провайдер оптоволокно антенна телевизионный телефонный связь"),
    ),
    rule("power_line", "искрить искриться коротить", unless=words("бенгальский костер")),
    rule("power_line", "бить ударить ударять шибать", "ток", reach=2),
    rule("power_line", ("под", "напряжение"), WIRES | words("забор ограждение ограда труба")),
    # injury and sudden illness
    rule("injury", ("без", "сознание")),
    rule("injury", ("потерять", "сознание")),
    rule("injury", ("истекать", "кровь")),
    rule("injury", ("не", "дышать двигаться шевелиться реагировать вставать"), PERSON, reach=5),
    rule("injury", ("не", "приходить прийти", "в", "себя")),
    rule("injury", "плохо", PERSON, reach=2),
    rule("injury", "ошпарить", PERSON | words("кипяток")),
    rule(
        "injury",
        "упасть выпасть сбить задавить придавить покусать укусить ранить ранение порезать "
        "порезаться травма травмироваться кровь кровотечение ожог обжечь обжечься перелом "
        "разбиться отравиться угореть лежать приступ инсульт инфаркт судорога припадок",
        PERSON,
        strong=False,
        reach=5,
        unless=CARE,
    ),
    # violence
    rule(
        "violence",
        "драться избивать избить нападать напасть душить стрелять насиловать изнасиловать "
        "грабить убивать ломиться зарезать пырнуть застрелить",
        unless=NOT_PEOPLE,
    ),
    rule(
        "violence",
        "бить ударить колотить пинать",
        PERSON | words("я мы он она они ты вы кто"),
        strong=False,
        reach=3,
        unless=words("ток вода кипяток струя фонтан часы ключ рекорд тревога мяч"),
    ),
    rule(
        "violence",
        "угрожать грозить грозиться размахивать кидаться бросаться бегать ходить гоняться",
        WEAPONS,
    ),
    rule(
        "violence",
        "угрожать грозить грозиться",
        "убить зарезать застрелить расправа убийство покалечить",
        intent=True,
    ),
    rule(
        "violence",
        "драка нападение насилие поножовщина стрельба ограбление грабеж разбой потасовка дебош "
        "убийство резня",
        strong=False,
    ),
    # a child in danger
    rule("child", "висеть выпасть вылезти высунуться свеситься", CHILD, DANGER_SPOT, reach=6),
    rule("child", "сидеть стоять", CHILD, "подоконник карниз край козырек парапет", reach=6),
    rule("child", "запереть закрыть оставить забыть", CHILD, "машина автомобиль салон", reach=6),
    rule(
        "child",
        "играть гулять лазить лезть бегать кататься сидеть стоять",
        CHILD,
        RISKY_PLACE | DANGER_SPOT,
        strong=False,
        reach=6,
    ),
    rule("child", "один", CHILD, "плакать кричать", strong=False, reach=5),
    # suicide
    rule("suicide", ("покончить", "с", "себя"), intent=True),
    rule("suicide", "повеситься застрелиться утопиться", intent=True),
    rule("suicide", ("вскрыть", "вена"), intent=True),
    rule("suicide", ("не", "хотеть", "жить"), intent=True),
    rule("suicide", ("хотеть", "умереть умирать"), intent=True),
    rule(
        "suicide",
        "прыгнуть спрыгнуть выпрыгнуть броситься сброситься кинуться",
        "окно крыша мост балкон этаж высота",
        intent=True,
        unless=words("гараж тарзанка парашют батут горка сарай вода"),
    ),
    rule(
        "suicide",
        "суицид самоубийство суицидальный",
        "угрожать грозить грозиться собираться хотеть пытаться попытка совершить",
        intent=True,
    ),
    rule("suicide", "стоять сидеть", "край перила парапет", "крыша мост балкон", reach=5),
    rule("suicide", "суицид самоубийство", strong=False),
    # collapse
    rule(
        "collapse",
        "обрушиться рухнуть обвалиться провалиться сложиться",
        STRUCTURE,
        unless=words("курс цена рубль сайт сервер связь рынок"),
    ),
    rule("collapse", "завалить засыпать придавить", PERSON, unless=MIRE),
    rule("collapse", "обрушение обвал завал", strong=False),
    # a home flooded with boiling water
    rule(
        "flood",
        "заливать залить затопить затапливать подтопить хлестать хлынуть фонтанировать "
        "прорвать прорыв фонтан",
        HOT,
    ),
    rule("flood", "течь литься лить бить", "кипяток"),
)

# Words of ordinary questions on a subject; they cancel all but ongoing strong reports.
TOPICS: dict[str, frozenset[str]] = {
    "gas": words(
        "оплата оплатить платить счет квитанция тариф счетчик поверка подключение подключить "
        "газификация газифицировать договор абонент обслуживание техобслуживание проверка "
        "проверять проверить замена заменить установка установить начисление начислить долг "
        "задолженность перерасчет цена стоимость"
    ),
    "fire": words(
        "безопасность правило штраф противопожарный огнетушитель сжигание сжигать жечь "
        "инструктаж учение тренировка извещатель датчик сигнализация погорелец страхование "
        "режим курить сигарета курение кальян табак баня шашлык мангал костер печка"
    ),
    "power_line": words(
        "отключение отключить включить дать перерасчет оплата счет тариф счетчик график плановый"
    ),
    "injury": words("больничный пособие полис инвалидность травмпункт"),
    "violence": words(
        "статья кодекс наказание профилактика жаловаться жалоба школа одноклассник учитель "
        "травля буллинг опека"
    ),
    "child": words("огородить ограждение запретить меры охрана"),
    "suicide": words("профилактика статистика лекция урок программа тренинг месячник акция"),
    "collapse": words(
        "угроза риск аварийный расселение расселить признать капремонт экспертиза обследование"
    ),
    "flood": words(
        "оплата счет тариф перерасчет отключение отключить график температура градус "
        "опрессовка испытание дать включить подать подача"
    ),
}
GENERAL_TOPIC = words(
    "правило памятка инструкция инструктаж закон требование профилактика учение статистика "
    "лекция фильм кино сон присниться"
)
# Finished events: what comes after the danger is over.
AFTERMATH = words(
    "ущерб возместить возмещение компенсация компенсировать выплата выплатить страховка "
    "страховой претензия суд восстановить восстановление погорелец расследование причина "
    "заявление акт виновный виновник ответственность починить устранить отремонтировать "
    "последствие"
)
PAST_TIME = words("вчера позавчера прошлый позапрошлый назад ранее давно недавно прошедший")
URGENT = words("сейчас срочно срочный немедленно скорее скорей быстрее сос караул экстренно")
# Imperatives that call for help rather than ask for information.
CALLS = words("помочь спасти вызвать приехать приезжать бежать")
CONDITIONAL = words("если ежели коли чтобы чтоб")
PREVENTION = words(
    "избежать предотвратить допустить предупредить предупреждение обезопасить защитить "
    "защититься профилактика действовать"
)
POSSIBLE = words("угроза риск опасность мочь грозить угрожать")
ABOUT = words("о об обо про насчет")
INTERROGATIVE = words("куда как где кто какой можно нужно надо номер телефон")
LOCATIVE = words("в во на у возле около рядом напротив под над за из с со по вдоль")
PLACE = (
    words(
        "подъезд квартира дом двор подвал улица лестница площадка этаж чердак балкон остановка "
        "дорога перекресток переход парк сквер школа сад садик магазин гараж река пруд озеро "
        "пляж берег лед трасса лес участок огород сарай сосед соседка коридор лифт кухня окно "
        "комната здание стройка рынок тротуар земля асфальт площадь мост тамбур крыльцо вход "
        "карьер автобус стена"
    )
    | RISKY_PLACE
)
# A lasting condition is a complaint, not an emergency: «провода висят уже год».
CHRONIC = words(
    "год полгода месяц неделя давно постоянно всегда регулярно периодически ежедневно вечно"
)
SELF = words("я мы")
BE = words("быть")
WITH = words("с со в во")
MINE = words("наш мой")
NEGATIONS = words("не нет ни")
INTENSIFIERS = words("уже больше еще совсем вообще")
