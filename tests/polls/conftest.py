from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.messages import Platform, ResidentKey
from bot.storage.database import Database
from bot.storage.records import Audience
from polls import PollService, PollSpec

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def spec(**changes: object) -> PollSpec:
    values: dict[str, object] = {
        "question": "Довольны ли вы качеством мобильной связи в округе?",
        "options": ("Да", "Скорее да", "Скорее нет", "Нет"),
        "opens_at": NOW,
        "closes_at": NOW + timedelta(days=9),
        "audience": Audience.ALL,
    }
    values.update(changes)
    return PollSpec(**values)  # type: ignore[arg-type]


def telegram(number: int) -> ResidentKey:
    return ResidentKey(Platform.TELEGRAM, str(1000 + number))


def vk(number: int) -> ResidentKey:
    return ResidentKey(Platform.VK, str(5000 + number))


@pytest.fixture
def service(database: Database) -> PollService:
    return PollService(database)


async def live_poll(service: PollService, **changes: object) -> int:
    poll_id = await service.create(spec(**changes), NOW - timedelta(hours=1))
    await service.request_publish(poll_id, NOW - timedelta(hours=1))
    return poll_id
