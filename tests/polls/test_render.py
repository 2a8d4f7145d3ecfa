from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.core.actions import PollOtherAction, VoteAction, parse_action
from polls import Choice, PollService, poll_message
from tests.polls.conftest import NOW, live_poll, telegram

MOSCOW = ZoneInfo("Europe/Moscow")


async def test_before_voting_buttons_and_no_results(service: PollService) -> None:
    poll_id = await live_poll(service, other=True)
    poll = await service.get(poll_id)
    assert poll is not None
    reply = poll_message(poll, await service.results(poll_id), None, tz=MOSCOW)
    assert poll.question in reply.text
    assert "Голосование до 10 декабря 2026 в 12:00." in reply.text
    assert "Результаты" not in reply.text
    actions = [row[0].action for row in reply.buttons]
    assert actions == [VoteAction(poll_id, n) for n in range(1, 5)] + [PollOtherAction(poll_id)]
    for row in reply.buttons:
        payload = row[0].action.encode()
        assert len(payload.encode()) <= 64 and parse_action(payload) == row[0].action
    assert [row[0].text for row in reply.buttons][:2] == ["1. Да", "2. Скорее да"]


async def test_after_voting_choice_and_results(service: PollService) -> None:
    poll_id = await live_poll(service)
    outcome = await service.vote(telegram(1), None, poll_id, 2, None, NOW)
    await service.vote(telegram(2), None, poll_id, 1, None, NOW)
    assert outcome.poll is not None
    reply = poll_message(outcome.poll, await service.results(poll_id), outcome.choice, tz=MOSCOW)
    assert "Ваш ответ: Скорее да" in reply.text
    assert "Результаты (ответили: 2):" in reply.text
    assert "Скорее да — 1 (50%)" in reply.text
    assert reply.buttons[1][0].text == "✅ 2. Скорее да"
    assert reply.buttons[0][0].text == "1. Да"


async def test_closed_poll_shows_results_without_buttons(service: PollService) -> None:
    poll_id = await live_poll(service, anonymous=False, options=("Да", "Нет " + "очень " * 10))
    await service.vote(telegram(1), None, poll_id, 1, None, NOW)
    poll = await service.get(poll_id)
    assert poll is not None
    open_reply = poll_message(poll, None, Choice((1,)), tz=MOSCOW)
    assert "сотрудники увидят, кто как ответил" in open_reply.text
    assert all(len(row[0].text) <= 40 for row in open_reply.buttons)
    later = NOW + timedelta(days=10)
    reply = poll_message(poll, await service.results(poll_id), None, tz=MOSCOW, now=later)
    assert reply.buttons == ()
    assert "опрос завершён" in reply.text and "Да — 1 (100%)" in reply.text
