"""Bad input everywhere: whatever a resident sends, the bot answers sensibly or records it, and
nothing raises out of a handler."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.app import Core, build_core
from bot.core.messages import Attachment, AttachmentKind, Incoming, Platform, ResidentKey
from bot.settings import Settings
from bot.storage.models import ExchangeRow, InboxRow
from tests.fakes.recorder import RecordingMessenger
from tests.harness import running_bot

ODD_CHARACTERS = "\u200b\u200c\u200d\u2060\ufeff\u202e\u202d\u200f\x00\x07\x1b\t\r\n😀👍🏽🇷🇺ё"


@pytest.fixture
async def core(settings: Settings) -> AsyncIterator[Core]:
    built = await build_core(settings.model_copy(update={"flood_messages_per_minute": 10_000}))
    built.messengers.register(RecordingMessenger())
    yield built
    await built.database.dispose()


texts = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=ODD_CHARACTERS, max_size=50),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=4000, max_size=9000),
    st.sampled_from(["", " ", "/", "/start@", "/unknown arg", "//", "/cancel extra words"]),
)
callbacks = st.one_of(
    st.none(), st.text(max_size=80), st.sampled_from(["fb:1:1", "pk:1:0", "cs:1"])
)
kinds = st.lists(st.sampled_from(list(AttachmentKind)), max_size=3)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_the_core_entry_point_takes_anything(core: Core) -> None:
    """Hypothesis drives the dialog with arbitrary text, payloads and media; every event is
    recorded and answered or deliberately held back, and nothing raises."""
    seen: list[int] = []

    @hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(text=texts, callback=callbacks, media=kinds, resident=st.integers(1, 5))
    def run(text: str, callback: str | None, media: list[AttachmentKind], resident: int) -> None:
        seen.append(resident)
        incoming = Incoming(
            resident=ResidentKey(Platform.TELEGRAM, str(resident)),
            chat_id=str(resident),
            received_at=datetime.now(UTC),
            text=text,
            display_name=text[:40] or None,
            callback_data=callback,
            attachments=tuple(Attachment(kind, "ref", Platform.TELEGRAM) for kind in media),
        )
        pending.append(incoming)

    pending: list[Incoming] = []
    run()
    for incoming in pending:
        await core.dialog.handle(incoming)
    async with core.database.unit_of_work() as uow:
        inbound = await uow.session.scalar(
            select(func.count(ExchangeRow.id)).where(ExchangeRow.direction == "in")
        )
    assert inbound == len(pending) == len(seen)


def message(update_id: int, user: int, **content: Any) -> dict[str, Any]:
    body = {
        "message_id": update_id,
        "date": int(time.time()),
        "chat": {"id": user, "type": "private", "first_name": "Житель"},
        "from": {"id": user, "is_bot": False, "first_name": "Житель"},
        **content,
    }
    return {"update_id": update_id, "message": body}


FILE = {"file_id": "f1", "file_unique_id": "u1"}
PAYLOADS: list[tuple[str, dict[str, Any], bool]] = [
    (
        "sticker",
        {
            "sticker": {
                **FILE,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        },
        True,
    ),
    ("voice", {"voice": {**FILE, "duration": 3}}, True),
    ("video note", {"video_note": {**FILE, "length": 240, "duration": 5}}, True),
    ("contact", {"contact": {"phone_number": "+79990000000", "first_name": "Иван"}}, True),
    ("location", {"location": {"latitude": 55.75, "longitude": 37.61}}, True),
    (
        "poll",
        {
            "poll": {
                "id": "1",
                "question": "Да?",
                "options": [
                    {"persistent_id": "a", "text": "Да", "voter_count": 0},
                    {"persistent_id": "b", "text": "Нет", "voter_count": 0},
                ],
                "total_voter_count": 0,
                "is_closed": False,
                "is_anonymous": True,
                "type": "regular",
                "allows_multiple_answers": False,
                "allows_revoting": True,
                "members_only": False,
            }
        },
        True,
    ),
    ("dice", {"dice": {"emoji": "🎲", "value": 4}}, True),
    (
        "forwarded channel post",
        {
            "text": "Когда дадут отопление?",
            "forward_origin": {
                "type": "channel",
                "date": 1,
                "chat": {"id": -1001, "type": "channel", "title": "Новости"},
                "message_id": 7,
            },
        },
        True,
    ),
    ("empty text", {"text": ""}, True),
    ("zero-width only", {"text": "\u200b\u200b\u2060"}, True),
    ("right-to-left", {"text": "\u202eкогда включат отопление"}, True),
    ("control characters", {"text": "\x00\x07когда\x1b вывоз мусора"}, True),
    ("longest message", {"text": "вопрос про отопление " * 195}, True),
    (
        "photo album part",
        {"photo": [{**FILE, "width": 90, "height": 90}], "media_group_id": "g1"},
        True,
    ),
]


async def test_real_update_payloads_through_the_adapter(settings: Settings) -> None:
    async with running_bot(settings) as bot:
        for number, (_, content, _) in enumerate(PAYLOADS, start=1):
            bot.tg.push_update(message(10_000 + number, 6000 + number, **content))
        edited = message(20_000, 6100, text="Исправил: когда вывоз мусора?")
        edited["edited_message"] = {**edited.pop("message"), "edit_date": int(time.time())}
        bot.tg.push_update(edited)
        from_bot = message(20_001, 6101, text="я бот")
        from_bot["message"]["from"]["is_bot"] = True
        bot.tg.push_update(from_bot)
        await bot.tg.wait_for("sendMessage", len(PAYLOADS) + 1)
        await bot.settle()
        for number, (name, _, answered) in enumerate(PAYLOADS, start=1):
            replies = bot.tg.sent_to(6000 + number)
            assert bool(replies) is answered, name
        assert bot.tg.sent_to(6100), "edited message"
        assert bot.tg.sent_to(6101) == [], "messages from bots are ignored"
        allowed = bot.tg.calls("getUpdates")[-1].params["allowed_updates"]
        assert "channel_post" not in allowed and "edited_message" in allowed
        async with bot.core.database.unit_of_work() as uow:
            statuses = list(await uow.session.scalars(select(InboxRow.status)))
        assert statuses and set(statuses) == {"done"}, "a handler raised"
