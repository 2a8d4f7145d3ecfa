from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.storage.database import Database
from bot.storage.records import Audience
from polls import Choice, PollService, Refusal, VoteStatus
from tests.polls.conftest import NOW, live_poll, spec, telegram, vk


async def ballot_rows(database: Database, poll_id: int) -> tuple[int, int]:
    async with database.unit_of_work() as uow:
        return await uow.polls.counts(poll_id)


async def test_vote_revote_and_results(service: PollService) -> None:
    poll_id = await live_poll(service)
    first = await service.vote(telegram(1), "Анна", poll_id, 2, None, NOW)
    assert first.status is VoteStatus.ACCEPTED
    assert first.message == "Спасибо, ваш голос учтён!"
    assert first.choice == Choice((2,))
    changed = await service.vote(telegram(1), "Анна", poll_id, 4, None, NOW)
    assert changed.status is VoteStatus.CHANGED and changed.choice == Choice((4,))
    await service.vote(vk(1), "Борис", poll_id, 4, None, NOW)
    results = await service.results(poll_id)
    assert results.total_voters == 2
    assert [option.votes for option in results.options] == [0, 0, 0, 2]
    assert await service.choice(poll_id, telegram(1)) == Choice((4,))
    assert await service.choice(poll_id, telegram(2)) is None


async def test_double_tap_and_redelivery_count_once(
    service: PollService, database: Database
) -> None:
    poll_id = await live_poll(service)
    outcomes = [await service.vote(telegram(1), None, poll_id, 1, None, NOW) for _ in range(3)]
    assert [outcome.status for outcome in outcomes] == [
        VoteStatus.ACCEPTED,
        VoteStatus.UNCHANGED,
        VoteStatus.UNCHANGED,
    ]
    assert outcomes[1].message == "Ваш голос уже учтён."
    assert await ballot_rows(database, poll_id) == (1, 1)


async def test_concurrent_taps_of_one_resident_leave_one_ballot(
    service: PollService, database: Database
) -> None:
    poll_id = await live_poll(service)
    outcomes = await asyncio.gather(
        *(service.vote(telegram(7), "Вера", poll_id, 3, None, NOW) for _ in range(20))
    )
    statuses = [outcome.status for outcome in outcomes]
    assert statuses.count(VoteStatus.ACCEPTED) == 1
    assert statuses.count(VoteStatus.UNCHANGED) == 19
    assert await ballot_rows(database, poll_id) == (1, 1)
    results = await service.results(poll_id)
    assert results.total_voters == 1 and results.options[2].votes == 1


async def test_concurrent_different_residents_each_count_once(
    service: PollService, database: Database
) -> None:
    poll_id = await live_poll(service)
    outcomes = await asyncio.gather(
        *(
            service.vote(telegram(n), f"Житель {n}", poll_id, n % 4 + 1, None, NOW)
            for n in range(200)
        )
    )
    assert all(outcome.status is VoteStatus.ACCEPTED for outcome in outcomes)
    assert await ballot_rows(database, poll_id) == (200, 200)
    results = await service.results(poll_id)
    assert results.total_voters == 200
    assert [option.votes for option in results.options] == [50, 50, 50, 50]


async def test_concurrent_changes_of_one_resident_end_with_one_choice(
    service: PollService, database: Database
) -> None:
    poll_id = await live_poll(service)
    await asyncio.gather(
        *(service.vote(vk(3), None, poll_id, n % 4 + 1, None, NOW) for n in range(20))
    )
    assert await ballot_rows(database, poll_id) == (1, 1)
    assert (await service.results(poll_id)).total_voters == 1


async def test_closed_poll_refuses_and_keeps_counts(
    service: PollService, database: Database
) -> None:
    poll_id = await live_poll(service)
    await service.vote(telegram(1), None, poll_id, 1, None, NOW)
    assert await service.close(poll_id, NOW + timedelta(hours=1))
    outcome = await service.vote(telegram(1), None, poll_id, 2, None, NOW + timedelta(hours=2))
    assert outcome.status is VoteStatus.REFUSED and outcome.refusal is Refusal.CLOSED
    assert outcome.message == "Голосование завершено, ответы больше не принимаются."
    assert outcome.choice == Choice((1,))
    late = await service.vote(telegram(2), None, poll_id, 2, None, NOW + timedelta(hours=2))
    assert late.refusal is Refusal.CLOSED and late.choice is None
    assert await ballot_rows(database, poll_id) == (1, 1)


async def test_past_closing_time_refuses_before_the_scheduler_runs(service: PollService) -> None:
    poll_id = await live_poll(service)
    outcome = await service.vote(telegram(1), None, poll_id, 1, None, NOW + timedelta(days=9))
    assert outcome.refusal is Refusal.CLOSED


async def test_not_yet_open_and_draft_refuse(service: PollService, database: Database) -> None:
    later = await live_poll(service, opens_at=NOW + timedelta(days=1))
    outcome = await service.vote(telegram(1), None, later, 1, None, NOW)
    assert outcome.refusal is Refusal.NOT_OPEN
    assert outcome.message == "Голосование ещё не началось."
    draft = await service.create(spec(), NOW)
    assert (await service.vote(telegram(1), None, draft, 1, None, NOW)).refusal is Refusal.NOT_OPEN
    assert await ballot_rows(database, later) == (0, 0)
    assert await ballot_rows(database, draft) == (0, 0)


async def test_forged_option_and_unknown_poll_change_nothing(
    service: PollService, database: Database
) -> None:
    poll_id = await live_poll(service)
    await service.vote(telegram(1), None, poll_id, 2, None, NOW)
    for position in (0, 5, 99):
        outcome = await service.vote(telegram(1), None, poll_id, position, None, NOW)
        assert outcome.refusal is Refusal.NO_SUCH_OPTION
        assert outcome.choice == Choice((2,))
    stranger = await service.vote(telegram(2), None, poll_id, 5, None, NOW)
    assert stranger.refusal is Refusal.NO_SUCH_OPTION
    unknown = await service.vote(telegram(3), None, 424242, 1, None, NOW)
    assert unknown.refusal is Refusal.UNKNOWN_POLL
    assert unknown.poll is None and unknown.message == "Такого опроса нет."
    no_other = await service.vote(telegram(1), None, poll_id, None, "Свой", NOW)
    assert no_other.refusal is Refusal.NO_OTHER
    assert await ballot_rows(database, poll_id) == (1, 1)
    assert await service.choice(poll_id, telegram(1)) == Choice((2,))
    async with database.unit_of_work() as uow:
        assert await uow.residents.find(telegram(2)) is None
        assert await uow.residents.find(telegram(3)) is None


async def test_revote_disallowed_keeps_the_first_vote(service: PollService) -> None:
    poll_id = await live_poll(service, revote=False)
    await service.vote(telegram(1), None, poll_id, 1, None, NOW)
    again = await service.vote(telegram(1), None, poll_id, 1, None, NOW)
    assert again.status is VoteStatus.UNCHANGED
    refused = await service.vote(telegram(1), None, poll_id, 3, None, NOW)
    assert refused.refusal is Refusal.REVOTE_FORBIDDEN
    assert refused.choice == Choice((1,))
    results = await service.results(poll_id)
    assert [option.votes for option in results.options] == [1, 0, 0, 0]


async def test_multiple_choice_toggles(service: PollService) -> None:
    poll_id = await live_poll(service, multiple=True)
    assert (await service.vote(telegram(1), None, poll_id, 3, None, NOW)).choice == Choice((3,))
    added = await service.vote(telegram(1), None, poll_id, 1, None, NOW)
    assert added.status is VoteStatus.CHANGED and added.choice == Choice((1, 3))
    removed = await service.vote(telegram(1), None, poll_id, 3, None, NOW)
    assert removed.choice == Choice((1,))
    await service.vote(telegram(2), None, poll_id, 1, None, NOW)
    await service.vote(telegram(2), None, poll_id, 2, None, NOW)
    results = await service.results(poll_id)
    assert results.total_voters == 2
    assert [option.votes for option in results.options] == [2, 1, 0, 0]
    emptied = await service.vote(telegram(1), None, poll_id, 1, None, NOW)
    assert emptied.status is VoteStatus.CHANGED and emptied.choice is None
    assert (await service.results(poll_id)).total_voters == 1


async def test_multiple_choice_without_revote_only_adds(service: PollService) -> None:
    poll_id = await live_poll(service, multiple=True, revote=False)
    await service.vote(telegram(1), None, poll_id, 1, None, NOW)
    assert (await service.vote(telegram(1), None, poll_id, 2, None, NOW)).choice == Choice((1, 2))
    taken_back = await service.vote(telegram(1), None, poll_id, 1, None, NOW)
    assert taken_back.refusal is Refusal.REVOTE_FORBIDDEN and taken_back.choice == Choice((1, 2))


async def test_other_answers_are_counted_and_listed(service: PollService) -> None:
    poll_id = await live_poll(service, other=True)
    await service.vote(telegram(1), None, poll_id, 1, None, NOW)
    own = await service.vote(telegram(1), None, poll_id, None, "  Связь пропадает\nв лифте ", NOW)
    assert own.status is VoteStatus.CHANGED
    assert own.choice == Choice((), "Связь пропадает в лифте")
    await service.vote(telegram(2), None, poll_id, None, "Нет 5G", NOW)
    blank = await service.vote(telegram(3), None, poll_id, None, "   ", NOW)
    assert blank.refusal is Refusal.EMPTY_OTHER
    long = await service.vote(telegram(3), None, poll_id, None, "я" * 501, NOW)
    assert long.refusal is Refusal.LONG_OTHER
    results = await service.results(poll_id)
    assert results.total_voters == 2
    assert [option.votes for option in results.options] == [0, 0, 0, 0]
    assert results.other_answers == ("Связь пропадает в лифте", "Нет 5G")
    assert results.to_json()["other_answers"] == 2


async def test_audience_telegram_refuses_vk(service: PollService, database: Database) -> None:
    poll_id = await live_poll(service, audience=Audience.TELEGRAM)
    outcome = await service.vote(vk(1), None, poll_id, 1, None, NOW)
    assert outcome.refusal is Refusal.WRONG_AUDIENCE
    assert outcome.message == "Этот опрос проводится на другой площадке."
    assert (await service.vote(telegram(1), None, poll_id, 1, None, NOW)).counted
    assert await ballot_rows(database, poll_id) == (1, 1)
