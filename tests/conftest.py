"""Shared fixtures: a fresh real database per test (an SQLite file, or a new PostgreSQL
database when DATABASE_URL points at a server) and settings pointing at it."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bot.settings import Settings
from bot.storage.database import Database

PROJECT = Path(__file__).resolve().parent.parent
SAMPLE_FAQ = PROJECT / "faq" / "sample"
SERVER_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = SERVER_URL.startswith("postgresql")

# Settings must come from each test, never from a developer's .env or shell.
_SETTING_NAMES = [name.upper() for name in Settings.model_fields]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in _SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    # Bots started by tests serve their health endpoint on a free port, never on one that
    # another bot on this machine may hold.
    monkeypatch.setenv("HEALTH_PORT", "0")
    monkeypatch.chdir(tmp_path)
    yield


@pytest.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[str]:
    if not ON_POSTGRES:
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    url = make_url(SERVER_URL)
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        database=url.database,
    )
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    await db.migrate()
    yield db
    await db.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, faq_path=SAMPLE_FAQ, _env_file=None)
