"""Consent, erasure and retention (152-ФЗ), checked in the database itself."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.app import Core, build_core
from bot.core import texts
from bot.core.actions import ConsentAction, ForgetAction
from bot.core.messages import Incoming, Platform, ResidentKey
from bot.settings import Settings
from bot.storage.models import (
    AppealRow,
    BallotRow,
    ConversationStateRow,
    ExchangeRow,
    PollRow,
    ResidentRow,
)
from tests.common import FixedClock
from tests.fakes.recorder import RecordingMessenger

RESIDENT = ResidentKey(Platform.TELEGRAM, "3003")
INCIDENT = "на улице Ленина 5 третий день нет воды, примите меры!"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 26, 8, 0, tzinfo=UTC))


@pytest.fixture
def recorder() -> RecordingMessenger:
    return RecordingMessenger()


@pytest.fixture
async def core(
    settings: Settings, clock: FixedClock, recorder: RecordingMessenger
) -> AsyncIterator[Core]:
    built = await build_core(settings, clock)
    built.messengers.register(recorder)
    yield built
    await built.database.dispose()


async def say(core: Core, text: str = "", callback: str | None = None) -> None:
    await core.dialog.handle(
        Incoming(
            resident=RESIDENT,
            chat_id="3003",
            received_at=datetime.now(UTC),
            text=text,
            display_name="Иван Сидоров",
            username="sidorov",
            callback_data=callback,
        )
    )


async def scalar(core: Core, query: object) -> object:
    async with core.database.unit_of_work() as uow:
        value = await uow.session.scalar(query)  # type: ignore[call-overload]
        uow.session.expunge_all()
    return value


async def rows(core: Core, model: type) -> list[object]:
    async with core.database.unit_of_work() as uow:
        result = list(await uow.session.scalars(select(model)))
        uow.session.expunge_all()
    return result


async def test_appeal_waits_for_consent_and_opens_on_accept(
    core: Core, recorder: RecordingMessenger
) -> None:
    await say(core, INCIDENT)
    notice = recorder.replies[-1]
    assert "персональных данных" in notice.text
    assert [b.action for b in notice.buttons[0]] == [
        ConsentAction(accept=True),
        ConsentAction(accept=False),
    ]
    assert [b.text for b in notice.buttons[0]] == ["Даю согласие", "Не даю"]
    assert await scalar(core, select(func.count(AppealRow.id))) == 0

    await say(core, callback=ConsentAction(accept=True).encode())
    assert "№ " in recorder.replies[-1].text
    (resident,) = await rows(core, ResidentRow)
    assert resident.consent_version == "1"  # type: ignore[attr-defined]
    assert resident.consent_at is not None  # type: ignore[attr-defined]
    assert not resident.consent_declined  # type: ignore[attr-defined]
    (appeal,) = await rows(core, AppealRow)
    question = await scalar(core, select(ExchangeRow).where(ExchangeRow.appeal_id == appeal.id))  # type: ignore[attr-defined]
    assert question is not None and question.text == INCIDENT  # type: ignore[attr-defined]


async def test_decline_keeps_counts_but_no_texts_and_no_appeal(
    core: Core, recorder: RecordingMessenger
) -> None:
    await say(core, INCIDENT)
    await say(core, callback=ConsentAction(accept=False).encode())
    assert recorder.replies[-1].text == texts.CONSENT_DECLINED
    await say(core, "ещё один вопрос про мою квартиру на Садовой 7")
    assert await scalar(core, select(func.count(AppealRow.id))) == 0
    exchanges = await rows(core, ExchangeRow)
    inbound = [e for e in exchanges if e.direction == "in"]  # type: ignore[attr-defined]
    assert len(inbound) == 3
    assert [e.text for e in inbound if e.kind != "callback"] == [None, None]  # type: ignore[attr-defined]
    assert all(e.text_length > 0 for e in inbound)  # type: ignore[attr-defined]
    (resident,) = await rows(core, ResidentRow)
    assert resident.display_name is None and resident.consent_declined  # type: ignore[attr-defined]


async def test_a_new_policy_version_asks_again(
    settings: Settings, clock: FixedClock, recorder: RecordingMessenger
) -> None:
    first = await build_core(settings, clock)
    first.messengers.register(recorder)
    await say(first, INCIDENT)
    await say(first, callback=ConsentAction(accept=True).encode())
    await say(first, "/cancel")
    await first.database.dispose()

    updated = await build_core(settings.model_copy(update={"privacy_policy_version": "2"}), clock)
    updated.messengers.register(recorder)
    await say(updated, INCIDENT)
    assert "персональных данных" in recorder.replies[-1].text
    await say(updated, callback=ConsentAction(accept=True).encode())
    (resident,) = await rows(updated, ResidentRow)
    assert resident.consent_version == "2"  # type: ignore[attr-defined]
    assert await scalar(updated, select(func.count(AppealRow.id))) == 2
    await updated.database.dispose()


async def test_forget_me_erases_texts_and_names_but_keeps_counts(
    core: Core, recorder: RecordingMessenger, clock: FixedClock
) -> None:
    await say(core, INCIDENT)
    await say(core, callback=ConsentAction(accept=True).encode())
    async with core.database.unit_of_work() as uow:
        resident = await uow.residents.find(RESIDENT)
        assert resident is not None
        poll = PollRow(
            question="Вопрос",
            status="published",
            opens_at=clock.now,
            closes_at=clock.now + timedelta(days=1),
            created_at=clock.now,
        )
        uow.session.add(poll)
        await uow.session.flush()
        uow.session.add(
            BallotRow(
                poll_id=poll.id,
                resident_id=resident.id,
                other_text="мой вариант: Сидоров И.",
                cast_at=clock.now,
                updated_at=clock.now,
            )
        )
        await uow.commit()
    counts_before = await scalar(core, select(func.count(ExchangeRow.id)))

    await say(core, "/forget_me")
    assert recorder.replies[-1].text == texts.FORGET_CONFIRM
    await say(core, callback=ForgetAction(confirm=True).encode())
    assert recorder.replies[-1].text == texts.FORGOTTEN

    (resident_row,) = await rows(core, ResidentRow)
    assert resident_row.display_name is None and resident_row.username is None  # type: ignore[attr-defined]
    assert resident_row.external_id != RESIDENT.external_id  # type: ignore[attr-defined]
    assert resident_row.anonymised_at is not None  # type: ignore[attr-defined]
    exchanges = await rows(core, ExchangeRow)
    before_forget = [e for e in exchanges if e.id <= counts_before]  # type: ignore[attr-defined]
    assert all(e.text is None for e in before_forget)  # type: ignore[attr-defined]
    (appeal,) = await rows(core, AppealRow)
    assert appeal.status == "closed"  # type: ignore[attr-defined]
    (ballot,) = await rows(core, BallotRow)
    assert ballot.other_text is None  # type: ignore[attr-defined]
    assert await rows(core, ConversationStateRow) == []

    await say(core, "Когда дадут отопление?")
    assert await scalar(core, select(func.count(ResidentRow.id))) == 2


async def test_forget_me_can_be_cancelled(core: Core, recorder: RecordingMessenger) -> None:
    await say(core, "/forget_me")
    await say(core, callback=ForgetAction(confirm=False).encode())
    assert recorder.replies[-1].text == texts.FORGET_CANCELLED
    (resident,) = await rows(core, ResidentRow)
    assert resident.display_name == "Иван Сидоров"  # type: ignore[attr-defined]


async def test_retention_anonymises_old_closed_appeals_only(
    core: Core, recorder: RecordingMessenger, clock: FixedClock
) -> None:
    await say(core, INCIDENT)
    await say(core, callback=ConsentAction(accept=True).encode())
    await say(core, "/cancel")
    clock.now += timedelta(days=366)
    await core.privacy.retention_tick()
    exchanges = await rows(core, ExchangeRow)
    in_appeal = [e for e in exchanges if e.appeal_id is not None]  # type: ignore[attr-defined]
    assert in_appeal and all(e.text is None for e in in_appeal)  # type: ignore[attr-defined]
    assert all(e.text_length > 0 for e in in_appeal if e.direction == "in")  # type: ignore[attr-defined]
    (resident,) = await rows(core, ResidentRow)
    assert resident.display_name is None  # type: ignore[attr-defined]
    assert await scalar(core, select(func.count(AppealRow.id))) == 1


async def test_the_notice_says_how_long_data_is_kept(
    settings: Settings, clock: FixedClock, recorder: RecordingMessenger
) -> None:
    built = await build_core(settings.model_copy(update={"retention_days": 90}), clock)
    built.messengers.register(recorder)
    try:
        await say(built, INCIDENT)
    finally:
        await built.database.dispose()
    notice = recorder.replies[-1].text
    assert "обезличиваются через 90 дней после его закрытия" in notice
    assert "через 90 дней после вашего последнего сообщения" in notice
