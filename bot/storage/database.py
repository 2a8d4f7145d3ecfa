"""Engine, unit of work and migrations."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.core.redaction import Redactor
from bot.storage.appeals import AppealRepository
from bot.storage.broadcasts import BroadcastRepository, SubscriptionRepository
from bot.storage.polls import PollRepository
from bot.storage.privacy import PrivacyRepository
from bot.storage.repositories import (
    ConversationStateRepository,
    ExchangeRepository,
    InboxRepository,
    ResidentRepository,
    TransportStateRepository,
)
from bot.storage.saved_replies import SavedReplyRepository
from bot.storage.topics import TopicRepository

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def create_engine(url: str) -> AsyncEngine:
    if make_url(url).get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True)
    engine = create_async_engine(url, connect_args={"timeout": 60})
    _serialise_sqlite_writers(engine)
    return engine


def _serialise_sqlite_writers(engine: AsyncEngine) -> None:
    """Every SQLite transaction takes the write lock at BEGIN.

    A deferred transaction that reads and then writes fails at once with "database is locked"
    when another writer committed meanwhile (WAL snapshots cannot be upgraded); taking the lock
    up front turns that into an orderly wait.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        # Deleted and overwritten content is zeroed, so erased personal data is not left in
        # free pages of the file.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _redact_parameters(engine: AsyncEngine, redact: Redactor) -> None:
    @event.listens_for(engine.sync_engine, "before_cursor_execute", retval=True)
    def _before_execute(
        _connection: Connection,
        _cursor: Any,
        statement: str,
        parameters: Any,
        _context: Any,
        executemany: bool,
    ) -> tuple[str, Any]:
        if executemany:
            return statement, [_redacted(row, redact) for row in parameters]
        return statement, _redacted(parameters, redact)


def _redacted(parameters: Any, redact: Redactor) -> Any:
    if isinstance(parameters, dict):
        return {k: redact(v) if isinstance(v, str) else v for k, v in parameters.items()}
    if isinstance(parameters, tuple | list):
        return type(parameters)(redact(v) if isinstance(v, str) else v for v in parameters)
    return parameters


class UnitOfWork:
    """One transaction and the repositories working in it. Nothing is kept unless the service
    calls `commit()`."""

    residents: ResidentRepository
    exchanges: ExchangeRepository
    inbox: InboxRepository
    transport_state: TransportStateRepository
    states: ConversationStateRepository
    appeals: AppealRepository
    privacy: PrivacyRepository
    polls: PollRepository
    broadcasts: BroadcastRepository
    subscriptions: SubscriptionRepository
    topics: TopicRepository
    saved_replies: SavedReplyRepository

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._before_commit: list[Callable[[], Awaitable[None]]] = []
        self._after_commit: list[Callable[[], Awaitable[None]]] = []

    def before_commit(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Run `callback` in this transaction right before it commits."""
        self._before_commit.append(callback)

    def after_commit(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Run `callback` once this transaction is committed; never if it is rolled back."""
        self._after_commit.append(callback)

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._sessions()
        await self.session.begin()
        self.residents = ResidentRepository(self.session)
        self.exchanges = ExchangeRepository(self.session)
        self.inbox = InboxRepository(self.session)
        self.transport_state = TransportStateRepository(self.session)
        self.states = ConversationStateRepository(self.session)
        self.appeals = AppealRepository(self.session)
        self.privacy = PrivacyRepository(self.session)
        self.polls = PollRepository(self.session)
        self.broadcasts = BroadcastRepository(self.session)
        self.subscriptions = SubscriptionRepository(self.session)
        self.topics = TopicRepository(self.session)
        self.saved_replies = SavedReplyRepository(self.session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            await self.session.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        before, self._before_commit = self._before_commit, []
        for callback in before:
            await callback()
        await self.session.commit()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            await callback()


class Database:
    def __init__(self, url: str, *, redact: Redactor | None = None) -> None:
        """`redact` masks secrets in every text written, so that no token reaches the
        database, whatever error or message carries it."""
        self.url = url
        self.engine = create_engine(url)
        self.redact = redact or Redactor()
        _redact_parameters(self.engine, self.redact)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self._sessions)

    async def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        async with self.engine.begin() as connection:
            await connection.run_sync(_upgrade)

    async def flush_erased(self) -> None:
        """Move the write-ahead log into the database file and truncate it, so no old page
        image with erased data stays in `-wal` (PostgreSQL keeps no such file of ours)."""
        if self.engine.dialect.name != "sqlite":
            return
        async with self.engine.connect() as connection:
            # The driver connection directly: a checkpoint cannot run inside the transaction
            # SQLAlchemy would begin.
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            cursor = await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            busy, _, _ = await cursor.fetchone()
            await cursor.close()
        if busy:
            logger.warning("WAL checkpoint after an erasure was blocked; it completes later")

    async def dispose(self) -> None:
        await self.engine.dispose()


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
