"""Helpers shared by the durable-intake benchmarks (`bench/kill.py`, `bench/intake_throughput.py`):
fresh databases, realistic resident messages, and what the database says about the inbox."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.settings import DEFAULT_FAQ_PATH, Settings  # noqa: E402
from bot.storage.database import Database  # noqa: E402
from bot.storage.models import ExchangeRow, InboxRow, ResidentRow  # noqa: E402
from faq import FaqLibrary, Outcome, Thresholds  # noqa: E402

SETTING_NAMES = frozenset(name.upper() for name in Settings.model_fields)


def clean_environment() -> dict[str, str]:
    """The process environment without any bot setting: a benchmark must not pick up a
    developer's DATABASE_URL or token."""
    return {k: v for k, v in os.environ.items() if k.upper() not in SETTING_NAMES}


def scrub_environment() -> None:
    """Remove every bot setting from this process's environment (Settings read it too)."""
    for name in list(os.environ):
        if name.upper() in SETTING_NAMES:
            del os.environ[name]


def faq_questions() -> list[str]:
    """Questions of the sample knowledge base that the bot answers from the FAQ with the
    default thresholds: each resident asks one, as residents really do."""
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    library = FaqLibrary(
        paths=[DEFAULT_FAQ_PATH],
        thresholds=Thresholds(
            answer=defaults.faq_answer_threshold,
            suggest=defaults.faq_suggest_threshold,
            margin=defaults.faq_margin,
        ),
    )
    questions = [
        question
        for entry in library.entries
        for question in entry.questions
        if library.decide(question).outcome is Outcome.ANSWER
    ]
    return questions or ["/help"]


@asynccontextmanager
async def fresh_database(server_url: str, label: str) -> AsyncIterator[str]:
    """A new empty database: an SQLite file in a temporary folder, or a new database on the
    PostgreSQL server at `server_url` (dropped afterwards)."""
    if not server_url.startswith("postgresql"):
        with tempfile.TemporaryDirectory(prefix=f"bench-{label}-") as folder:
            yield f"sqlite+aiosqlite:///{folder}/bench.db"
        return
    import asyncpg

    url = make_url(server_url)
    name = f"bench_{label}_{uuid.uuid4().hex[:8]}".replace("-", "_")
    admin = await asyncpg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        database=url.database,
    )
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def database_kind(url: str) -> str:
    return "PostgreSQL" if url.startswith("postgresql") else "SQLite"


@dataclass(frozen=True)
class InboxState:
    """The inbox and the inbound exchanges of one platform, as the database has them."""

    statuses: Counter[str]
    stored_keys: frozenset[str]
    pending_orderings: frozenset[str]
    inbound: Counter[str]

    @property
    def stored(self) -> int:
        return sum(self.statuses.values())

    @property
    def pending(self) -> int:
        return self.statuses.get("pending", 0)

    @property
    def not_done(self) -> int:
        return self.stored - self.statuses.get("done", 0)


async def inbox_state(url: str, transport: str, platform: str) -> InboxState:
    """Read without migrating: the bot created the schema (an empty state if it never did)."""
    database = Database(url)
    try:
        async with database.unit_of_work() as uow:
            session = uow.session
            rows = (
                await session.execute(
                    select(InboxRow.status, InboxRow.update_key, InboxRow.ordering_key).where(
                        InboxRow.transport == transport
                    )
                )
            ).all()
            inbound = Counter(
                (
                    await session.execute(
                        select(ResidentRow.external_id)
                        .join(ExchangeRow, ExchangeRow.resident_id == ResidentRow.id)
                        .where(ExchangeRow.direction == "in", ResidentRow.platform == platform)
                    )
                ).scalars()
            )
    except Exception as error:
        if "no such table" not in str(error) and "does not exist" not in str(error):
            raise
        return InboxState(Counter(), frozenset(), frozenset(), Counter())
    finally:
        await database.dispose()
    return InboxState(
        statuses=Counter(row.status for row in rows),
        stored_keys=frozenset(row.update_key for row in rows),
        pending_orderings=frozenset(row.ordering_key for row in rows if row.status == "pending"),
        inbound=inbound,
    )


def extra(counter: Counter[str] | Counter[int]) -> int:
    """Occurrences beyond the first of each key."""
    return sum(count - 1 for count in counter.values() if count > 1)


def median(values: Iterable[float]) -> float:
    items = list(values)
    return statistics.median(items) if items else 0.0


def fmt(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.1f}"


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [list(map(str, header)), *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines)
