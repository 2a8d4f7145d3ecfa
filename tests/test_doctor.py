"""`python -m bot doctor` against the fake Telegram and VK servers: a good setup passes, and
each thing a newcomer gets wrong is one ✗ line naming it."""

from __future__ import annotations

import asyncio
import io
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.doctor import run_doctor
from bot.settings import Settings
from bot.storage.database import Database
from handlers.telegram.doctor import telegram_checks
from handlers.vk.doctor import vk_checks
from tests.conftest import PROJECT
from tests.fakes.telegram import FakeTelegram
from tests.fakes.vk import FakeVK

STAFF_CHAT = -1001234567890
VK_GROUP = 229_000_077
VK_STAFF_PEER = 2_000_000_005
VK_TOKEN = "vk-doctor-token"


@dataclass
class Setup:
    tg: FakeTelegram
    vk: FakeVK
    settings: Settings

    def with_(self, **changes: Any) -> Setup:
        return Setup(self.tg, self.vk, self.settings.model_copy(update=changes))

    async def doctor(self) -> tuple[int, list[str]]:
        output = io.StringIO()
        code = await run_doctor(self.settings, [telegram_checks, vk_checks], output)
        return code, output.getvalue().splitlines()


@pytest.fixture
async def setup(settings: Settings, database: Database) -> AsyncIterator[Setup]:
    """Both platforms configured as the README says; the database migrated."""
    async with FakeTelegram() as tg, FakeVK(group_id=VK_GROUP, token=VK_TOKEN) as vk:
        tg.add_chat(STAFF_CHAT, title="Пресс-служба", is_forum=True)
        tg.add_member(STAFF_CHAT, tg.bot_id, "administrator")
        configured = settings.model_copy(
            update={
                "telegram_bot_token": SecretStr(tg.token),
                "telegram_api_url": tg.url,
                "telegram_staff_chat_id": STAFF_CHAT,
                "vk_group_token": SecretStr(VK_TOKEN),
                "vk_group_id": VK_GROUP,
                "vk_api_url": vk.api_url,
            }
        )
        yield Setup(tg, vk, configured)


def failures(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("✗")]


async def test_a_good_setup_passes_every_check(setup: Setup) -> None:
    code, lines = await setup.doctor()
    assert code == 0, lines
    assert not failures(lines)
    checked = "\n".join(lines)
    for expected in (
        "✓ Telegram: токен действителен, бот @vmeste_test_bot",
        "✓ Чат сотрудников «Пресс-служба» доступен",
        "✓ Чат сотрудников: бот — администратор",
        "✓ Чат сотрудников: режим тем включён",
        "✓ VK: ключ действителен",
        "✓ VK: Long Poll API включён, версия 5.199",
        "✓ База данных доступна для записи, миграции применены",
        "✓ База знаний в порядке",
    ):
        assert expected in checked
    assert lines[-1] == "Всё готово к запуску: `python -m bot`."
    # The real clients asked the platforms themselves.
    member = setup.tg.calls("getChatMember")
    assert [(int(r.params["chat_id"]), int(r.params["user_id"])) for r in member] == [
        (STAFF_CHAT, setup.tg.bot_id)
    ]
    assert [r.params["group_id"] for r in setup.vk.calls("groups.getLongPollSettings")] == [
        VK_GROUP
    ]
    assert setup.vk.calls("groups.getTokenPermissions")


async def test_forum_mode_off_is_reported_and_fine(setup: Setup) -> None:
    setup.tg.add_chat(STAFF_CHAT, title="Пресс-служба", is_forum=False)
    code, lines = await setup.doctor()
    assert code == 0, lines
    assert "✓ Чат сотрудников: режим тем выключен — обращения идут в общую ленту" in lines


async def test_telegram_token_rejected(setup: Setup) -> None:
    setup.tg.inject_error("getMe", error_code=401, description="Unauthorized")
    code, lines = await setup.doctor()
    assert code == 1
    assert failures(lines) == [
        "✗ Telegram: токен отклонён — проверьте TELEGRAM_BOT_TOKEN у @BotFather"
    ]
    assert not setup.tg.calls("getChat")


async def test_telegram_api_unreachable(setup: Setup) -> None:
    code, lines = await setup.with_(telegram_api_url="http://127.0.0.1:9").doctor()
    assert code == 1
    [line] = failures(lines)
    assert line.startswith("✗ Telegram: API недоступен (TELEGRAM_API_URL)")


async def test_staff_chat_unreachable(setup: Setup) -> None:
    setup.tg.inject_error("getChat", error_code=400, description="Bad Request: chat not found")
    code, lines = await setup.doctor()
    assert code == 1
    assert failures(lines) == [
        f"✗ Чат сотрудников {STAFF_CHAT} недоступен: Bad Request: chat not found — добавьте "
        "бота в группу и проверьте id"
    ]


async def test_bot_not_an_administrator(setup: Setup) -> None:
    setup.tg.add_member(STAFF_CHAT, setup.tg.bot_id, "member")
    code, lines = await setup.doctor()
    assert code == 1
    [line] = failures(lines)
    assert line.startswith("✗ Чат сотрудников: бот не администратор")


async def test_forum_without_the_topics_right(setup: Setup) -> None:
    setup.tg.add_member(
        STAFF_CHAT, setup.tg.bot_id, "administrator", rights={"can_manage_topics": False}
    )
    code, lines = await setup.doctor()
    assert code == 1
    assert failures(lines) == [
        "✗ Чат сотрудников: режим тем включён, но у бота нет права «Управление темами»"
    ]


async def test_route_chats_are_checked_too(setup: Setup) -> None:
    code, lines = await setup.with_(staff_routes={"ЖКХ": -100999}).doctor()
    assert code == 1
    [line] = failures(lines)
    assert line.startswith("✗ Чат сотрудников «ЖКХ» (STAFF_ROUTES): бот не администратор")


async def test_no_staff_chat(setup: Setup) -> None:
    code, lines = await setup.with_(telegram_staff_chat_id=None).doctor()
    assert code == 1
    [line] = failures(lines)
    assert "TELEGRAM_STAFF_CHAT_ID" in line and "VK_STAFF_PEER_ID" in line


async def test_telegram_staff_chat_without_a_telegram_token(setup: Setup) -> None:
    code, lines = await setup.with_(telegram_bot_token=None).doctor()
    assert code == 1
    [line] = failures(lines)
    assert line.startswith("✗ Чат сотрудников в Telegram (TELEGRAM_STAFF_CHAT_ID)")
    assert not setup.tg.calls("getMe")


async def test_vk_token_rejected(setup: Setup) -> None:
    code, lines = await setup.with_(vk_group_token=SecretStr("wrong")).doctor()
    assert code == 1
    assert failures(lines) == ["✗ VK: ключ отклонён — проверьте VK_GROUP_TOKEN"]


async def test_vk_api_unreachable(setup: Setup) -> None:
    code, lines = await setup.with_(vk_api_url="http://127.0.0.1:9/method/").doctor()
    assert code == 1
    [line] = failures(lines)
    assert line.startswith("✗ VK: API недоступен (VK_API_URL)")


async def test_vk_token_of_another_community(setup: Setup) -> None:
    code, lines = await setup.with_(vk_group_id=1).doctor()
    assert code == 1
    assert failures(lines) == [
        f"✗ VK: ключ выдан другому сообществу ([{VK_GROUP}]), а VK_GROUP_ID=1"
    ]


async def test_vk_token_without_rights(setup: Setup) -> None:
    setup.vk.token_permissions = {"messages", "manage"}
    code, lines = await setup.doctor()
    assert code == 1
    assert failures(lines) == [
        "✗ VK: у ключа нет прав: фотографии, документы — создайте новый ключ"
    ]


async def test_vk_long_poll_off(setup: Setup) -> None:
    setup.vk.long_poll.enabled = False
    code, lines = await setup.doctor()
    assert code == 1
    assert failures(lines) == ["✗ VK: Long Poll API выключен — «Работа с API» → «Long Poll API»"]


async def test_vk_long_poll_events_and_version(setup: Setup) -> None:
    setup.vk.long_poll.events = {"message_new"}
    setup.vk.long_poll.api_version = "5.131"
    code, lines = await setup.doctor()
    assert code == 1
    assert failures(lines) == [
        "✗ VK: Long Poll API на версии API 5.131, нужна 5.199",
        "✗ VK: Long Poll API: в «Типах событий» не отмечены: действие с сообщением (message_event)",
    ]


async def test_vk_settings_unreadable_without_manage_right(setup: Setup) -> None:
    setup.vk.token_permissions = {"messages", "photos", "docs"}
    code, lines = await setup.doctor()
    assert code == 0, lines
    [line] = [line for line in lines if line.startswith("?")]
    assert "«управление сообществом»" in line and "message_event" in line


async def test_vk_callback_server(setup: Setup) -> None:
    callback = setup.with_(vk_transport="callback")
    code, lines = await callback.doctor()
    assert code == 1
    [line] = failures(lines)
    assert line.startswith("✗ VK: в «Callback API» нет сервера")

    server = setup.vk.add_callback_server("https://bot.example/vk/callback", status="failed")
    code, lines = await callback.doctor()
    assert code == 1
    [line] = failures(lines)
    assert "не подтверждён (статус failed)" in line

    server.status = "ok"
    server.settings.events = {"message_event"}
    code, lines = await callback.doctor()
    assert failures(lines) == [
        "✗ VK: Callback API: в «Типах событий» не отмечены: входящее сообщение (message_new)"
    ]
    server.settings.events = {"message_new", "message_event"}
    code, lines = await callback.doctor()
    assert code == 0, lines
    assert [r.params["server_id"] for r in setup.vk.calls("groups.getCallbackSettings")] == [1, 1]


async def test_vk_staff_conversation(setup: Setup) -> None:
    on_vk = setup.with_(telegram_staff_chat_id=None, vk_staff_peer_id=VK_STAFF_PEER)
    code, lines = await on_vk.doctor()
    assert code == 1
    [line] = failures(lines)
    assert line.startswith(f"✗ VK: беседа сотрудников {VK_STAFF_PEER} недоступна")

    setup.vk.add_chat_member(VK_STAFF_PEER, 501, is_admin=True)
    code, lines = await on_vk.doctor()
    assert code == 0, lines
    assert "✓ VK: беседа сотрудников доступна, участников: 1" in lines


async def test_database_not_created_is_not_created(setup: Setup, tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    code, lines = await setup.with_(database_url=f"sqlite+aiosqlite:///{path}").doctor()
    assert code == 1
    assert failures(lines) == [
        f"✗ База данных {path} ещё не создана: выполните `python -m bot migrate`"
    ]
    assert not path.exists()


async def test_database_not_migrated(setup: Setup, tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    code, lines = await setup.with_(database_url=f"sqlite+aiosqlite:///{path}").doctor()
    assert code == 1
    [line] = failures(lines)
    assert line.startswith("✗ База данных: схема устарела (версия нет")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only files")
async def test_database_read_only(setup: Setup, tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    url = f"sqlite+aiosqlite:///{path}"
    database = Database(url)
    await database.migrate()
    await database.dispose()
    path.chmod(0o444)
    code, lines = await setup.with_(database_url=url).doctor()
    assert code == 1
    assert failures(lines) == [f"✗ База данных {path}: нет прав на запись в файл или его папку"]


async def test_broken_knowledge_base(setup: Setup, tmp_path: Path) -> None:
    kb = tmp_path / "kb.yaml"
    kb.write_text("- id: heating\n  questions: [Когда отопление]\n  answr: x\n", encoding="utf-8")
    code, lines = await setup.with_(faq_path=kb).doctor()
    assert code == 1
    [line] = failures(lines)
    assert line.startswith("✗ База знаний с ошибкой:") and "answr" in line


async def test_the_command_prints_the_checklist_and_exits_1(setup: Setup) -> None:
    """`python -m bot doctor` itself, with settings from the environment."""
    setup.tg.add_member(STAFF_CHAT, setup.tg.bot_id, "member")
    s = setup.settings
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "PYTHONPATH": str(PROJECT),
        "TELEGRAM_BOT_TOKEN": setup.tg.token,
        "TELEGRAM_API_URL": setup.tg.url,
        "TELEGRAM_STAFF_CHAT_ID": str(STAFF_CHAT),
        "DATABASE_URL": s.database_url,
        "FAQ_PATH": str(s.faq_path),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "doctor",
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1, stderr.decode()
    lines = stdout.decode().splitlines()
    assert failures(lines) == [
        "✗ Чат сотрудников: бот не администратор — назначьте его администратором, чтобы он "
        "видел сообщения сотрудников"
    ]
    assert lines[-1] == "Не готово: проблем — 1."
    assert not stderr.decode().strip()


async def test_the_command_reports_a_malformed_setting(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "PYTHONPATH": str(PROJECT),
        "TELEGRAM_BOT_TOKEN": "oops",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "doctor",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    [line] = stdout.decode().splitlines()
    assert line.startswith("✗ Invalid setting TELEGRAM_BOT_TOKEN")
