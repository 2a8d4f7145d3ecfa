from __future__ import annotations

from faq import FaqEntry, Thresholds
from faq.matcher import Matcher


def _matcher() -> Matcher:
    entries = (
        FaqEntry(
            "office-hours",
            None,
            ("Какой режим работы администрации?", "Где находится администрация?"),
            "Администрация работает с 8:00 до 17:00, ул. Советская, д. 1.",
        ),
        FaqEntry(
            "mfc-hours",
            None,
            ("Какой режим работы МФЦ?", "Где находится МФЦ?"),
            "МФЦ работает с 8:00 до 18:00; подробности на zarechye-adm.example.",
        ),
        FaqEntry(
            "building-permit",
            None,
            ("Нужно ли разрешение на строительство дома?",),
            "Разрешение на строительство не требуется, подаётся уведомление.",
        ),
    )
    return Matcher(entries, Thresholds())


def test_site_address_in_an_answer_does_not_make_a_topic() -> None:
    ranked = _matcher().analyse("где находится администрация").ranked
    assert ranked[0].entry_id == "office-hours"


def test_prefixed_verb_meets_its_root_noun() -> None:
    ranked = _matcher().analyse("хочу построить баню, что нужно").ranked
    assert ranked[0].entry_id == "building-permit"


def test_a_topic_unknown_to_the_questions_is_not_answered() -> None:
    matcher = Matcher(
        (
            FaqEntry(
                "pharmacy",
                None,
                ("Где купить лекарства ночью?",),
                "Дежурная аптека на ул. Больничной, 3; там можно купить лекарства круглосуточно.",
            ),
            FaqEntry("bus", None, ("Где посмотреть расписание автобусов?",), "На остановках."),
        ),
        Thresholds(answer=30),
    )
    analysis = matcher.analyse("где купить дрова с доставкой")
    assert analysis.ranked[0].entry_id == "pharmacy"
    assert analysis.evidence is not None and analysis.evidence.anchor == 0
    assert matcher.judge(analysis).entry_id is None
    assert matcher.decide("где купить лекарства ночью").entry_id == "pharmacy"


def test_a_prefix_is_stripped_from_verbs_only() -> None:
    matcher = Matcher(
        (FaqEntry("grounds", None, ("Какие основания для льготы?",), "Основания в законе."),),
        Thresholds(),
    )
    assert matcher._similar_lemmas("сосновка") == ()
    assert matcher._similar_lemmas("основать") == ("основание",)


def test_a_known_word_counts_weaker_for_an_entry_using_its_root() -> None:
    matcher = Matcher(
        (
            FaqEntry("schedule", None, ("По каким дням вывозят мусор?",), "По вторникам."),
            FaqEntry("fee", None, ("Как оплатить вывоз мусора?",), "Через квитанцию."),
            FaqEntry("bus", None, ("Где посмотреть расписание автобусов?",), "На остановках."),
        ),
        Thresholds(),
    )
    scores = matcher.scores({"вывоз": 1.0})
    assert scores is not None
    schedule, fee, bus = scores.coverage
    assert fee == 1.0
    assert 0 < schedule < fee
    assert bus == 0


def test_a_noun_found_only_in_an_answer_is_not_answered() -> None:
    matcher = Matcher(
        (
            FaqEntry(
                "subsidy",
                None,
                ("Как получить субсидию на оплату жилья?",),
                "Заявление подают в МФЦ; понадобятся паспорт и справки о доходах.",
            ),
            FaqEntry("bus", None, ("Где посмотреть расписание автобусов?",), "На остановках."),
        ),
        Thresholds(answer=30),
    )
    analysis = matcher.analyse("где получить паспорт")
    assert analysis.ranked[0].entry_id == "subsidy"
    assert matcher.judge(analysis).entry_id is None
    assert matcher.decide("как получить субсидию на жилье").entry_id == "subsidy"
