"""Secrets never reach the logs or the database: the redactor, the log filter, and the real
bot whose file download fails with the token in the URL."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot.core.redaction import MASK, RedactingFilter, Redactor, redact_logs
from bot.settings import Settings
from bot.storage.database import Database
from bot.storage.models import InboxRow
from bot.storage.records import InboxItem
from tests.conftest import ON_POSTGRES, PROJECT
from tests.fakes.telegram import FILE_METHOD, FakeTelegram
from tests.fakes.vk import FakeVK
from tests.vk_harness import GROUP_ID

# Short enough that no shape-based rule catches it: only the configured value can.
TELEGRAM_TOKEN = "4242:Redact-Me_If-You-Can"
VK_TOKEN = "vk1.a.group-token-that-must-stay-secret"
WEBHOOK_SECRET = "webhook-secret-value"
VK_SECRET = "callback-secret-value"
STAFF_PEER = 2_000_000_001
RESIDENT = 5401
EMERGENCY = "в подъезде сильно пахнет газом, помогите!"
TIMEOUT = 60.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"url='http://h/file/bot{TELEGRAM_TOKEN}/photos/1.jpg'", "url='http://h/file/bot***/photos/1.jpg'"),
        (f"GET /bot{quote(TELEGRAM_TOKEN, safe='')}/getMe", "GET /bot***/getMe"),
        (f"form token={quote_plus(VK_SECRET)}&v=5", "form token=***&v=5"),
        (f"{VK_TOKEN}{VK_TOKEN}", "******"),
        ("https://vk.com/m?access_token=abc.DEF-123&v=5", "https://vk.com/m?access_token=***&v=5"),
        ("data ACCESS_TOKEN%3Dabc123 end", "data ACCESS_TOKEN%3D*** end"),
        ("another: 7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0", "another: ***"),
        ("ordinary text, 12:30, +7 999 000-00-00", "ordinary text, 12:30, +7 999 000-00-00"),
        ("tiny secret stays: abc", "tiny secret stays: abc"),
    ],
)  # fmt: skip
def test_redactor_masks_configured_and_recognisable_secrets(text: str, expected: str) -> None:
    redact = Redactor([TELEGRAM_TOKEN, VK_TOKEN, VK_SECRET, "abc", ""])
    assert redact(text) == expected


def test_every_secret_setting_is_masked(settings: Settings) -> None:
    """Each `SecretStr` setting counts, so a channel's token added later is covered too."""
    secret_fields = [
        name
        for name, field in Settings.model_fields.items()
        if "SecretStr" in str(field.annotation)
    ]
    assert {"telegram_bot_token", "vk_group_token", "vk_secret"} <= set(secret_fields)
    values = {name: SecretStr(f"value-of-{name}") for name in secret_fields}
    configured = settings.model_copy(
        update={**values, "database_url": "postgresql+asyncpg://bot:pa55word-x@db/vmeste"}
    )
    assert sorted(configured.secret_values()) == sorted(
        [f"value-of-{name}" for name in secret_fields] + ["pa55word-x"]
    )


def test_log_filter_masks_message_arguments_and_traceback() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("tests.redaction")
    logger.propagate = False
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    try:
        redact_logs(Redactor([TELEGRAM_TOKEN]), logger)
        redact_logs(Redactor([TELEGRAM_TOKEN]), logger)
        assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
        try:
            raise RuntimeError(f"failed at /bot{TELEGRAM_TOKEN}/getFile")
        except RuntimeError:
            logger.exception("download of %s failed", f"/file/bot{TELEGRAM_TOKEN}/x")
        logger.warning("stack", stack_info=True, extra={"token": TELEGRAM_TOKEN})
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert TELEGRAM_TOKEN not in output
    assert f"download of /file/bot{MASK}/x failed" in output
    assert f"RuntimeError: failed at /bot{MASK}/getFile" in output


async def test_stored_error_texts_are_masked(database_url: str) -> None:
    database = Database(database_url, redact=Redactor([TELEGRAM_TOKEN]))
    await database.migrate()
    try:
        async with database.unit_of_work() as uow:
            (record,) = await uow.inbox.add_new(
                "telegram",
                [InboxItem("1", "telegram:1", {"text": f"bot{TELEGRAM_TOKEN}"})],
                datetime.now(UTC),
            )
            await uow.inbox.record_failure(record.id, f"url=/bot{TELEGRAM_TOKEN}/", give_up=True)
            await uow.commit()
        async with database.unit_of_work() as uow:
            row = await uow.session.scalar(select(InboxRow))
            assert row is not None
            assert row.error == f"url=/bot{MASK}/"
            assert row.payload == {"text": f"bot{MASK}"}
    finally:
        await database.dispose()


def database_bytes(database_url: str) -> bytes:
    path = Path(database_url.removeprefix("sqlite+aiosqlite:///"))
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


@pytest.mark.skipif(ON_POSTGRES, reason="reads the SQLite file's bytes")
async def test_failed_download_leaves_no_token_in_logs_or_database(
    database_url: str, tmp_path: Path
) -> None:
    # A file, not a pipe: a full pipe would block the bot's logging at DEBUG.
    log = tmp_path / "bot.log"
    async with FakeTelegram() as tg, FakeVK(group_id=GROUP_ID) as vk:
        vk.add_chat_member(STAFF_PEER, 3401, is_admin=True)
        env = {
            **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
            "PYTHONPATH": str(PROJECT),
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "TELEGRAM_API_URL": tg.url,
            "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "VK_GROUP_TOKEN": VK_TOKEN,
            "VK_GROUP_ID": str(GROUP_ID),
            "VK_API_URL": vk.api_url,
            "VK_SECRET": VK_SECRET,
            "VK_STAFF_PEER_ID": str(STAFF_PEER),
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "DEBUG",
        }
        with log.open("wb") as stderr_file:
            bot = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=stderr_file,
            )
        try:
            await tg.wait_for("getUpdates", timeout=TIMEOUT)
            await vk.wait_until_polling(within=TIMEOUT)
            tg.inject_error(FILE_METHOD, error_code=500, description="Server Error", times=None)
            tg.push_message(RESIDENT, EMERGENCY, photo=True)
            # The intake tries the update four times, downloading each time.
            await tg.wait_for(FILE_METHOD, 4, timeout=TIMEOUT)
            await _inbox_failed(database_url)
            bot.send_signal(signal.SIGTERM)
            await asyncio.wait_for(bot.wait(), TIMEOUT)
        finally:
            if bot.returncode is None:
                bot.kill()
                await bot.wait()
    stderr = log.read_text(encoding="utf-8", errors="replace")
    assert bot.returncode == 0, stderr[-3000:]
    assert "Server Error" in stderr and MASK in stderr
    stored = database_bytes(database_url)
    assert MASK.encode() in stored
    for secret in (TELEGRAM_TOKEN, VK_TOKEN, WEBHOOK_SECRET, VK_SECRET):
        for form in {secret, quote(secret), quote(secret, safe=""), quote_plus(secret)}:
            assert form not in stderr, form
            assert form.encode() not in stored, form


async def _inbox_failed(database_url: str) -> None:
    database = Database(database_url)
    try:
        for _ in range(600):
            async with database.unit_of_work() as uow:
                row = await uow.session.scalar(select(InboxRow).where(InboxRow.status == "failed"))
            if row is not None:
                return
            await asyncio.sleep(0.1)
        raise TimeoutError("the failing update was not given up")
    finally:
        await database.dispose()
