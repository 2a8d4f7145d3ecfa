"""`python -m bot doctor`: a checklist of what the bot needs, in the words of the README.

The platform-neutral checks live here (staff chat configured, database, knowledge base); each
messenger adapter adds its own (token, staff chat rights, community settings). Nothing is
changed: the database is neither created nor migrated, no message is sent.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TextIO

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.settings import Settings
from bot.storage.database import alembic_config, create_engine
from faq import FaqLibrary, KnowledgeBaseError, Thresholds


class Status(Enum):
    OK = "✓"
    FAIL = "✗"
    # Could not be verified from here (for example a right the token lacks): look by hand.
    UNKNOWN = "?"


@dataclass(frozen=True)
class Check:
    status: Status
    text: str


def ok(text: str) -> Check:
    return Check(Status.OK, text)


def fail(text: str) -> Check:
    return Check(Status.FAIL, text)


def unknown(text: str) -> Check:
    return Check(Status.UNKNOWN, text)


PlatformChecks = Callable[[Settings], Awaitable[list[Check]]]

MIGRATE_HINT = "выполните `python -m bot migrate`"


def staff_chat_checks(settings: Settings) -> list[Check]:
    if not (settings.telegram_enabled or settings.vk_enabled):
        return [
            fail(
                "Мессенджеры не настроены: задайте TELEGRAM_BOT_TOKEN и/или VK_GROUP_TOKEN "
                "(без них работает только консоль)"
            )
        ]
    if settings.telegram_staff_chat_id is None and settings.vk_staff_peer_id is None:
        return [
            fail(
                "Чат сотрудников не задан: укажите TELEGRAM_STAFF_CHAT_ID или "
                "VK_STAFF_PEER_ID, иначе обращения никто не увидит"
            )
        ]
    if settings.telegram_staff_chat_id is not None and not settings.telegram_enabled:
        return [
            fail(
                "Чат сотрудников в Telegram (TELEGRAM_STAFF_CHAT_ID), но TELEGRAM_BOT_TOKEN "
                "не задан: боту нечем туда писать"
            )
        ]
    return []


def sqlite_file_checks(settings: Settings) -> list[Check]:
    """Before connecting: SQLite would create a missing file, and a doctor changes nothing."""
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return []
    path = Path(url.database or "").absolute()
    if not path.exists():
        return [fail(f"База данных {path} ещё не создана: {MIGRATE_HINT}")]
    if not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
        return [fail(f"База данных {path}: нет прав на запись в файл или его папку")]
    return []


async def database_checks(settings: Settings) -> list[Check]:
    problems = sqlite_file_checks(settings)
    if problems:
        return problems
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            current = await connection.run_sync(_current_revision)
            head = ScriptDirectory.from_config(alembic_config()).get_current_head()
            if current != head:
                found = current or "нет"
                return [
                    fail(
                        f"База данных: схема устарела (версия {found}, нужна {head}): "
                        f"{MIGRATE_HINT}"
                    )
                ]
            # A write that changes nothing, rolled back: proves the database takes writes.
            await connection.execute(text("UPDATE alembic_version SET version_num = version_num"))
            await connection.rollback()
    except (SQLAlchemyError, OSError) as error:
        return [fail(f"База данных недоступна: {_first_line(error)}")]
    finally:
        await engine.dispose()
    return [ok(f"База данных доступна для записи, миграции применены ({head})")]


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def knowledge_base_checks(settings: Settings) -> list[Check]:
    try:
        faq = FaqLibrary(
            paths=[settings.faq_path],
            optional_paths=[settings.faq_local_path],
            thresholds=Thresholds(),
        )
    except KnowledgeBaseError as error:
        more = len(error.errors) - 1
        tail = f" (и ещё {more}; подробно: `python -m faq check`)" if more > 0 else ""
        return [fail(f"База знаний с ошибкой: {error.errors[0]}{tail}")]
    return [ok(f"База знаний в порядке: {len(faq.entries)} статей ({settings.faq_path})")]


async def run_doctor(
    settings: Settings, platforms: Sequence[PlatformChecks], output: TextIO
) -> int:
    """Print the checklist; 0 only when nothing needed is missing."""
    checks = staff_chat_checks(settings)
    for platform in platforms:
        checks += await platform(settings)
    checks += await database_checks(settings)
    checks += knowledge_base_checks(settings)
    write_checks(checks, output)
    failed = sum(check.status is Status.FAIL for check in checks)
    if failed:
        output.write(f"\nНе готово: проблем — {failed}.\n")
        return 1
    output.write("\nВсё готово к запуску: `python -m bot`.\n")
    return 0


def write_checks(checks: Sequence[Check], output: TextIO) -> None:
    for check in checks:
        output.write(f"{check.status.value} {check.text}\n")
    output.flush()


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
