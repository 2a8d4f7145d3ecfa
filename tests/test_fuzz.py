"""Generated updates of every kind on both platforms, through the real clients and the fakes:
nothing raises unhandled, the channels stay up, and residents who wrote get an answer."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from bot.core.file_names import MAX_FILE_NAME, portable_file_name
from bot.settings import Settings
from bot.storage.models import InboxRow
from tests.fuzzing import generate, run_fuzz
from tests.vk_staff_harness import RESIDENT, TELEGRAM_STAFF_CHAT, running_pair

UPDATES = 1_000


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_fuzzed_updates_on_both_platforms(settings: Settings) -> None:
    updates = generate(UPDATES)
    outcome = await run_fuzz(settings, updates)
    assert sum(outcome.sent.values()) == UPDATES
    assert outcome.errors == []
    assert outcome.stopped == []
    assert outcome.failed_rows == 0
    assert outcome.expected, "no resident wrote text: the generator is broken"
    assert outcome.unanswered == set()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("справка.pdf", "справка.pdf"),
        ("a\r\nContent-Type: text/html\r\n.pdf", "a Content-Type: text/html .pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("\x00\u200b\ufeff", None),
        ("я" * 300, "я" * MAX_FILE_NAME),
        (None, None),
        (42, None),
    ],
)
def test_file_names_are_made_portable(name: object, expected: str | None) -> None:
    assert portable_file_name(name) == expected


async def test_vk_media_that_cannot_cross_reach_telegram_staff_without_failing(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Found by the fuzzer: a VK document titled with control characters failed the upload to
    Telegram, and a VK video (which has no file to download) failed the whole appeal."""
    caplog.set_level(logging.WARNING)
    async with running_pair(settings) as pair:
        vk = pair.vk
        before = len(pair.tg.calls("sendMessage", chat_id=TELEGRAM_STAFF_CHAT))
        vk.push_message(
            RESIDENT,
            "в подъезде сильно пахнет газом, помогите!",
            attachments=[
                vk.doc_attachment(b"%PDF-1.4", title="акт\r\nX-Injected: 1\r\n.pdf"),
                {"type": "video", "video": {"id": 7, "owner_id": -5, "access_key": "k"}},
            ],
        )
        await pair.tg.wait_for("sendDocument", 1, chat_id=TELEGRAM_STAFF_CHAT, timeout=30)
        await pair.settle()
        (upload,) = pair.tg.calls("sendDocument", chat_id=TELEGRAM_STAFF_CHAT)
        assert upload.params["document"]["filename"] == "акт X-Injected: 1 .pdf"
        assert len(pair.tg.calls("sendMessage", chat_id=TELEGRAM_STAFF_CHAT)) > before
        async with pair.core.database.unit_of_work() as uow:
            statuses = set(await uow.session.scalars(select(InboxRow.status)))
        assert statuses == {"done"}
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
