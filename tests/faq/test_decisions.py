from __future__ import annotations

import pytest

from faq import FaqLibrary, Outcome, SmallTalk


@pytest.mark.parametrize(
    ("text", "entry_id"),
    [
        ("кагда включат атопление", "heating-season"),
        ("kogda vklyuchat otoplenie", "heating-season"),
        ("у меня дома холодно, куда звонить?", "cold-flat"),
        ("Добрый день! Как записать ребенка в садик?", "kindergarten-queue"),
        ("по каким дням забирают мусор", "garbage-schedule"),
        ("куда деть старый диван", "bulky-waste"),
        ("фонари не горят на нашей улице, куда сообщить", "street-lighting"),
        ("как попасть на прием к главе", "head-reception"),
        ("телефон регистратуры больницы", "clinic-appointment"),
        ("куда звонить если пахнет газом", "emergency-numbers"),
    ],
)
def test_answers(sample_library: FaqLibrary, text: str, entry_id: str) -> None:
    decision = sample_library.decide(text)
    assert decision.outcome is Outcome.ANSWER, decision
    assert decision.entry_id == entry_id


@pytest.mark.parametrize(
    "text",
    [
        "на Садовой 12 третий день нет воды, примите меры!",
        "я в очереди на участок с 2019 года, какой у меня номер?",
        "курс доллара на завтра",
        "тупой бот, бездельники",
    ],
)
def test_escalates(sample_library: FaqLibrary, text: str) -> None:
    decision = sample_library.decide(text)
    assert decision.outcome is Outcome.ESCALATE, decision
    assert decision.entry_id is None


def test_a_word_only_an_answer_mentions_is_not_answered(sample_library: FaqLibrary) -> None:
    decision = sample_library.decide("где получить паспорт")
    assert decision.entry_id is None, decision


def test_spam_is_not_answered(sample_library: FaqLibrary) -> None:
    decision = sample_library.decide("продам гараж недорого, звоните")
    assert decision.outcome in {Outcome.ESCALATE, Outcome.SUGGEST}
    assert decision.entry_id is None


def test_suggests_when_two_entries_compete(sample_library: FaqLibrary) -> None:
    decision = sample_library.decide("отопление")
    assert decision.outcome in {Outcome.ANSWER, Outcome.SUGGEST}
    decision = sample_library.decide("телефон")
    assert decision.outcome is Outcome.SUGGEST, decision
    assert 2 <= len(decision.candidates) <= 3
    assert decision.entry_id is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("привет", SmallTalk.GREETING),
        ("Добрый вечер!", SmallTalk.GREETING),
        ("спасибо большое", SmallTalk.THANKS),
        ("👍", SmallTalk.NO_QUESTION),
        ("?", SmallTalk.NO_QUESTION),
        ("фывфывфы", SmallTalk.NO_QUESTION),
    ],
)
def test_small_talk(sample_library: FaqLibrary, text: str, kind: SmallTalk) -> None:
    decision = sample_library.decide(text)
    assert decision.outcome is Outcome.SMALL_TALK
    assert decision.small_talk is kind


def test_candidates_are_ranked_and_limited(sample_library: FaqLibrary) -> None:
    decision = sample_library.decide("где посмотреть график отключений воды и света")
    scores = [c.score for c in decision.candidates]
    assert scores == sorted(scores, reverse=True)
    assert 1 <= len(scores) <= 3
