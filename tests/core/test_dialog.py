"""The dialog service on a real database, with a messenger that records what it was asked
to send."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.app import Core, build_core
from bot.core import texts
from bot.core.actions import AskStaffAction, ConsentAction, FeedbackAction, PickAction
from bot.core.dialog import DialogService
from bot.core.messages import Incoming, Platform, ResidentKey
from bot.core.ports import DeliveryError
from bot.settings import Settings
from bot.storage.database import Database
from bot.storage.models import ResidentRow
from faq import FaqLibrary
from tests.common import read_exchanges
from tests.fakes.recorder import RecordingMessenger

RESIDENT = ResidentKey(Platform.TELEGRAM, "1001")


@pytest.fixture
def messenger() -> RecordingMessenger:
    return RecordingMessenger()


@pytest.fixture
async def core(settings: Settings, messenger: RecordingMessenger) -> AsyncIterator[Core]:
    built = await build_core(settings)
    built.messengers.register(messenger)
    yield built
    await built.database.dispose()


@pytest.fixture
def dialog(core: Core) -> DialogService:
    return core.dialog


@pytest.fixture
def faq(core: Core) -> FaqLibrary:
    return core.faq


@pytest.fixture
def database(core: Core) -> Database:
    return core.database


def incoming(text: str = "", callback: str | None = None, message_id: str = "1") -> Incoming:
    return Incoming(
        resident=RESIDENT,
        chat_id="1001",
        received_at=datetime.now(UTC),
        text=text,
        display_name="Анна Петрова",
        message_id=message_id,
        callback_data=callback,
    )


async def test_start_greets_with_menu(dialog: DialogService, messenger: RecordingMessenger) -> None:
    await dialog.handle(incoming("/start"))
    ((chat_id, reply),) = messenger.sent
    assert chat_id == "1001"
    assert reply.text.startswith(texts.GREETING)
    assert "59-ФЗ" in reply.text
    assert reply.menu is not None


async def test_known_question_answered_and_recorded(
    dialog: DialogService, messenger: RecordingMessenger, database: Database, faq: FaqLibrary
) -> None:
    await dialog.handle(incoming("Когда включат отопление в этом году?"))
    ((_, reply),) = messenger.sent
    heating = faq.entry("heating-season")
    assert heating is not None
    assert reply.text == heating.answer.strip()
    labels = [button.text for row in reply.buttons for button in row]
    assert labels == [texts.HELPFUL_BUTTON, texts.NOT_HELPFUL_BUTTON]

    inbound, outbound = await read_exchanges(database)
    assert (inbound.direction, inbound.outcome, inbound.faq_entry_id) == (
        "in",
        "answer",
        "heating-season",
    )
    assert inbound.faq_score is not None and inbound.faq_score > 0
    assert inbound.candidates and inbound.candidates[0]["entry_id"] == "heating-season"
    assert (outbound.direction, outbound.in_reply_to_id, outbound.text) == (
        "out",
        inbound.id,
        reply.text,
    )
    async with database.unit_of_work() as uow:
        resident = await uow.session.scalar(select(ResidentRow))
        uow.session.expunge_all()
    assert resident is not None
    assert (resident.platform, resident.external_id, resident.display_name) == (
        "telegram",
        "1001",
        "Анна Петрова",
    )


async def test_feedback_is_recorded_against_the_exchange(
    dialog: DialogService, messenger: RecordingMessenger, database: Database
) -> None:
    await dialog.handle(incoming("как записаться к врачу в поликлинику"))
    first = (await read_exchanges(database))[0]
    assert first.outcome == "answer"
    await dialog.handle(incoming(callback=FeedbackAction(first.id, helpful=False).encode()))
    reply = messenger.sent[-1][1]
    assert reply.text == texts.NOT_HELPFUL
    assert reply.buttons[0][0].action == AskStaffAction(first.id)
    assert reply.buttons[0][0].text == "Да, передать сотруднику"
    rows = await read_exchanges(database)
    assert rows[0].feedback == "not_helpful"
    assert rows[2].kind == "callback"


async def test_unknown_topic_escalates(
    dialog: DialogService, messenger: RecordingMessenger, database: Database
) -> None:
    await dialog.handle(incoming("на улице Ленина 5 третий день нет воды, примите меры!"))
    question = (await read_exchanges(database))[0]
    assert question.outcome == "escalate"
    assert question.appeal_id is None
    await dialog.handle(incoming(callback=ConsentAction(accept=True).encode()))
    assert "№ " in messenger.sent[-1][1].text
    question = (await read_exchanges(database))[0]
    assert question.appeal_id is not None


async def test_pick_of_a_suggestion_answers_that_entry(
    settings: Settings, messenger: RecordingMessenger
) -> None:
    unsure_settings = settings.model_copy(
        update={"faq_answer_threshold": 100, "faq_suggest_threshold": 1, "faq_margin": 0}
    )
    core = await build_core(unsure_settings)
    core.messengers.register(messenger)
    dialog, unsure, database = core.dialog, core.faq, core.database
    await dialog.handle(incoming("куда звонить если нет воды"))
    first = (await read_exchanges(database))[0]
    assert first.outcome == "suggest"
    labels = [row[0].text for row in messenger.sent[-1][1].buttons]
    assert labels[-1] == texts.ASK_STAFF_BUTTON
    assert len(labels) == len(first.candidates) + 1
    chosen = first.candidates[1]["entry_id"]
    await dialog.handle(incoming(callback=PickAction(first.id, 1).encode()))
    entry = unsure.entry(chosen)
    assert entry is not None
    assert messenger.sent[-1][1].text == entry.answer.strip()
    assert (await read_exchanges(database))[2].outcome == "picked"
    await database.dispose()


@pytest.mark.parametrize(
    "payload",
    [
        "fb:999999:1",
        "pk:1:99",
        "garbage",
        "",
    ],
)
async def test_forged_or_stale_buttons_get_a_clear_answer(
    dialog: DialogService, messenger: RecordingMessenger, database: Database, payload: str
) -> None:
    await dialog.handle(incoming("/start"))
    await dialog.handle(incoming(callback=payload))
    assert messenger.sent[-1][1].text == texts.STALE_BUTTON
    rows = await read_exchanges(database)
    assert rows[-2].outcome == "stale_action"


async def test_button_of_another_resident_is_refused(
    dialog: DialogService, messenger: RecordingMessenger, database: Database
) -> None:
    await dialog.handle(incoming("Когда включат отопление?"))
    first = (await read_exchanges(database))[0]
    other = Incoming(
        resident=ResidentKey(Platform.TELEGRAM, "2002"),
        chat_id="2002",
        received_at=datetime.now(UTC),
        callback_data=FeedbackAction(first.id, helpful=True).encode(),
    )
    await dialog.handle(other)
    assert messenger.sent[-1][1].text == texts.STALE_BUTTON
    assert (await read_exchanges(database))[0].feedback is None


async def test_undelivered_reply_is_recorded(
    dialog: DialogService, messenger: RecordingMessenger, database: Database
) -> None:
    messenger.fail_with = DeliveryError("bot was blocked by the user", unreachable=True)
    await dialog.handle(incoming("/help"))
    _, outbound = await read_exchanges(database)
    assert outbound.kind == "undelivered"
    assert outbound.text is not None and outbound.text.startswith(texts.HELP)
