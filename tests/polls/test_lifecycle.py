from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.messages import Platform
from bot.storage.records import Audience, PollStatus
from polls import PollError, PollService
from tests.polls.conftest import NOW, live_poll, spec


async def test_publication_waits_for_request_and_opening(service: PollService) -> None:
    early = NOW - timedelta(days=1)
    poll_id = await service.create(spec(), early)
    assert (await service.get(poll_id)).status is PollStatus.DRAFT  # type: ignore[union-attr]
    assert await service.pending_publication(NOW) == []
    scheduled = await service.request_publish(poll_id, early)
    assert scheduled.status is PollStatus.SCHEDULED and scheduled.publish_requested_at == early
    assert (await service.request_publish(poll_id, early)).status is PollStatus.SCHEDULED
    assert await service.pending_publication(NOW - timedelta(minutes=1)) == []
    assert [poll.id for poll in await service.pending_publication(NOW)] == [poll_id]
    assert await service.mark_published(poll_id, NOW)
    assert not await service.mark_published(poll_id, NOW)
    assert await service.pending_publication(NOW) == []
    published = await service.get(poll_id)
    assert published is not None and published.published_at == NOW
    assert published.status is PollStatus.PUBLISHED


async def test_scheduler_closes_due_polls_once(service: PollService) -> None:
    poll_id = await live_poll(service)
    other_id = await live_poll(service, closes_at=NOW + timedelta(days=20))
    closes = NOW + timedelta(days=9)
    assert await service.due_to_close(closes - timedelta(seconds=1)) == []
    due = await service.due_to_close(closes)
    assert [poll.id for poll in due] == [poll_id]
    assert [await service.close(poll.id, closes) for poll in due] == [True]
    assert not await service.close(poll_id, closes + timedelta(minutes=1))
    assert await service.due_to_close(closes + timedelta(minutes=1)) == []
    closed = await service.get(poll_id)
    assert closed is not None and closed.status is PollStatus.CLOSED and closed.closed_at == closes
    assert (await service.get(other_id)).status is PollStatus.SCHEDULED  # type: ignore[union-attr]
    with pytest.raises(PollError, match="closed"):
        await service.request_publish(poll_id, closes)


async def test_open_polls_follow_audience_and_time(service: PollService) -> None:
    everyone = await live_poll(service)
    telegram_only = await live_poll(service, audience=Audience.TELEGRAM)
    vk_only = await live_poll(service, audience=Audience.VK)
    await live_poll(service, opens_at=NOW + timedelta(days=1))
    await service.create(spec(), NOW)
    assert [p.id for p in await service.open_polls(Platform.TELEGRAM, NOW)] == [
        everyone,
        telegram_only,
    ]
    assert [p.id for p in await service.open_polls(Platform.VK, NOW)] == [everyone, vk_only]
    await service.close(everyone, NOW)
    assert [p.id for p in await service.open_polls(Platform.VK, NOW)] == [vk_only]


async def test_staff_errors(service: PollService) -> None:
    with pytest.raises(PollError, match="no poll 999"):
        await service.request_publish(999, NOW)
    with pytest.raises(PollError, match="no poll 999"):
        await service.results(999)
    with pytest.raises(PollError, match="in the past"):
        await service.create(spec(), NOW + timedelta(days=30))
