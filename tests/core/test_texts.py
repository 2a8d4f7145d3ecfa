"""Texts residents read, pinned word for word where a wording was chosen on purpose."""

from __future__ import annotations

import pytest

from bot.core import texts
from bot.core.safety_texts import emergency_reply


def test_consent_buttons_do_not_assume_the_readers_gender() -> None:
    assert (texts.CONSENT_ACCEPT, texts.CONSENT_DECLINE) == ("Даю согласие", "Не даю")
    assert texts.consent_notice("", 365).endswith(
        "Даёте согласие на обработку персональных данных?"
    )


def test_a_joined_message_is_reported_impersonally() -> None:
    assert texts.appeal_joined("2026-0042") == "Сообщение добавлено к обращению № 2026-0042."


def test_the_consent_notice_names_the_retention_period() -> None:
    notice = texts.consent_notice("https://example.org/privacy", 365)
    assert "Тексты обращения обезличиваются через 365 дней после его закрытия" in notice
    assert "имя — через 365 дней после вашего последнего сообщения" in notice
    assert "Политика обработки персональных данных: https://example.org/privacy" in notice


@pytest.mark.parametrize(
    ("count", "words"),
    [
        (1, "1 день"),
        (3, "3 дня"),
        (5, "5 дней"),
        (11, "11 дней"),
        (21, "21 день"),
        (112, "112 дней"),
    ],
)
def test_days_agree_with_the_number(count: int, words: str) -> None:
    assert texts.days(count) == words


def test_not_helpful_asks_what_its_button_answers() -> None:
    assert texts.NOT_HELPFUL == "Жаль, что ответ не помог. Передать ваш вопрос сотруднику?"
    assert texts.PASS_TO_STAFF_BUTTON == "Да, передать сотруднику"


def test_gas_gets_112_and_the_gas_emergency_service() -> None:
    reply = emergency_reply(None, "gas")
    assert "звоните 112" in reply
    assert "Оттуда звоните 112 или 104 — аварийная газовая служба." in reply


@pytest.mark.parametrize(
    ("kind", "number"),
    [("fire", "101"), ("explosion", "101"), ("violence", "102"), ("injury", "103")],
)
def test_each_danger_gets_its_own_service(kind: str, number: str) -> None:
    reply = emergency_reply("8 (40000) 1-12-12", kind)
    assert number in reply and "112" in reply and "1-12-12" in reply
    assert "104" not in reply


def test_a_danger_without_its_own_service_gets_112_alone() -> None:
    assert emergency_reply(None, "drowning") == emergency_reply(None)
    assert "104" not in emergency_reply(None, "drowning")
