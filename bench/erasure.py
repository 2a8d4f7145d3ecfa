"""How long one erasure holds the database when the inbox is full: the inbox step reads
every stored update to find the ones that hold something of the resident.

Fills a fresh SQLite file with --updates Telegram-like inbox rows of other residents (about
1 KB each, as real updates are) plus one resident's conversation, then times
`PrivacyRepository.erase` and the WAL checkpoint after it; prints the median of --runs.

Usage: python bench/erasure.py [--updates 20000] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.messages import Platform, ResidentKey  # noqa: E402
from bot.storage.database import Database  # noqa: E402
from bot.storage.records import InboxItem  # noqa: E402

NOW = datetime(2026, 11, 26, 8, tzinfo=UTC)
SUBJECT = 48151623


def update(update_id: int, user_id: int, text: str) -> dict[str, object]:
    person = {"id": user_id, "is_bot": False, "first_name": "Имя", "last_name": "Фамилия"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1764144000,
            "chat": {**person, "type": "private"},
            "from": {**person, "language_code": "ru"},
            "text": text,
            "entities": [],
        },
    }


async def one_run(updates: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
        try:
            await database.migrate()
            text = "на улице Ленина 5 третий день нет воды, примите меры! " * 8
            async with database.unit_of_work() as uow:
                items = [
                    InboxItem(str(n), f"telegram:{n}", update(n, n, text)) for n in range(updates)
                ]
                items.append(
                    InboxItem("subject", f"telegram:{SUBJECT}", update(0, SUBJECT, "мой вопрос"))
                )
                for record in await uow.inbox.add_new("telegram", items, NOW):
                    await uow.inbox.mark_done(record.id, NOW)
                resident = await uow.residents.touch(
                    ResidentKey(Platform.TELEGRAM, str(SUBJECT)), "Анна Петрова", "anna", NOW
                )
                await uow.commit()
            started = time.perf_counter()
            async with database.unit_of_work() as uow:
                subject = await uow.privacy.subject(resident.id, NOW)
                assert subject is not None
                await uow.privacy.erase(subject)
                await uow.commit()
            erased = time.perf_counter()
            await database.flush_erased()
            return erased - started, time.perf_counter() - erased
        finally:
            await database.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    runs = [await one_run(args.updates) for _ in range(args.runs)]
    erase = statistics.median(run[0] for run in runs)
    checkpoint = statistics.median(run[1] for run in runs)
    print(
        f"{args.updates} inbox rows: erasure {erase * 1000:.0f} ms, "
        f"checkpoint {checkpoint * 1000:.0f} ms (median of {args.runs})"
    )


if __name__ == "__main__":
    asyncio.run(main())
