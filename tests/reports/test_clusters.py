from __future__ import annotations

from bot.reports.clusters import cluster_texts, strip_answer_header

HEATING = [
    "Когда включат отопление?",
    "когда дадут отопление в домах",
    "Почему нет отопления, когда включат?",
    "Когда начнут топить батареи",
]
KINDERGARTEN = [
    "Как записать ребёнка в детский сад?",
    "запись в детский сад как оформить",
    "Как попасть в садик, куда подавать заявление",
]
GARBAGE = [
    "Когда вывезут мусор со двора?",
    "мусор не вывозят уже неделю",
    "Почему не вывозят мусорные контейнеры",
]
SINGLETONS = [
    "Где получить справку о составе семьи",
    "Сколько стоит проезд в автобусе",
    "Как записаться к врачу",
    "???",
]


def test_paraphrases_form_exact_clusters() -> None:
    # Interleaved so that grouping cannot come from input order.
    texts = [
        GARBAGE[0],  # 0
        HEATING[0],  # 1
        SINGLETONS[0],  # 2
        KINDERGARTEN[0],  # 3
        HEATING[1],  # 4
        GARBAGE[1],  # 5
        SINGLETONS[1],  # 6
        HEATING[2],  # 7
        KINDERGARTEN[1],  # 8
        SINGLETONS[2],  # 9
        GARBAGE[2],  # 10
        HEATING[3],  # 11
        KINDERGARTEN[2],  # 12
        SINGLETONS[3],  # 13
    ]
    assert cluster_texts(texts) == [
        [1, 4, 7, 11],
        [0, 5, 10],
        [3, 8, 12],
        [2],
        [6],
        [9],
        [13],
    ]


def test_masked_details_do_not_split_or_join_clusters() -> None:
    texts = [
        "Когда включат отопление? [адрес], [телефон]",
        "когда дадут отопление, пишет [имя]",
        "[имя] спрашивает про справку о составе семьи [телефон]",
    ]
    assert cluster_texts(texts) == [[0, 1], [2]]


def test_no_texts_no_clusters() -> None:
    assert cluster_texts([]) == []


def test_staff_answer_header_is_removed() -> None:
    assert strip_answer_header("Ответ по обращению № 2026-0042:\n\nВключат 15 октября.") == (
        "Включат 15 октября."
    )
    assert strip_answer_header("Ответ по обращению № 2026-0042.") == ""
    assert strip_answer_header("Просто текст") == "Просто текст"
