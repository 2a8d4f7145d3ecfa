"""Poll voting under load: distinct residents vote concurrently through `PollService.vote`.

Checks that no vote is lost or counted twice (ballot and choice rows against the tally) and
prints votes per second, the median of several runs. SQLite always (a temporary file);
PostgreSQL too when --database-url points at one (each run uses a new poll there).

All votes start at once; at most --in-flight of them hold a connection, like the bot's
HANDLER_CONCURRENCY workers (beyond the pool size, SQLAlchemy's 30 s pool timeout would fail
votes that merely queued).

Usage: python bench/polls_votes.py [--voters 10000] [--runs 3] [--in-flight 64]
                                   [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.messages import Platform, ResidentKey  # noqa: E402
from bot.storage.database import Database  # noqa: E402
from polls import PollService, PollSpec, VoteOutcome, VoteStatus  # noqa: E402

OPTIONS = ("Да", "Скорее да", "Скорее нет", "Нет")


async def one_run(url: str, voters: int, run: int, in_flight: int) -> float:
    database = Database(url)
    try:
        await database.migrate()
        service = PollService(database)
        now = datetime.now(UTC)
        spec = PollSpec(
            question="Довольны ли вы качеством мобильной связи в округе?",
            options=OPTIONS,
            opens_at=now,
            closes_at=now + timedelta(days=1),
        )
        poll_id = await service.create(spec, now)
        await service.request_publish(poll_id, now)
        residents = [
            ResidentKey(Platform.TELEGRAM if n % 2 else Platform.VK, f"bench-{run}-{n}")
            for n in range(voters)
        ]
        gate = asyncio.Semaphore(in_flight)

        async def vote(n: int, key: ResidentKey) -> VoteOutcome:
            async with gate:
                return await service.vote(key, None, poll_id, n % len(OPTIONS) + 1, None, now)

        started = time.perf_counter()
        outcomes = await asyncio.gather(*(vote(n, key) for n, key in enumerate(residents)))
        elapsed = time.perf_counter() - started
        async with database.unit_of_work() as uow:
            ballots, choices = await uow.polls.counts(poll_id)
        results = await service.results(poll_id)
        accepted = sum(outcome.status is VoteStatus.ACCEPTED for outcome in outcomes)
        counted = sum(option.votes for option in results.options)
        lost = voters - min(ballots, choices, results.total_voters, counted, accepted)
        doubled = max(ballots, choices, results.total_voters, counted) - voters
        print(
            f"  run {run + 1}: {voters} votes in {elapsed:.2f} s = {voters / elapsed:,.0f}/s; "
            f"ballots {ballots}, choices {choices}, voters {results.total_voters}, "
            f"lost {lost}, double-counted {doubled}"
        )
        if lost or doubled:
            raise SystemExit("vote counts do not match")
        return voters / elapsed
    finally:
        await database.dispose()


async def bench(name: str, urls: list[str], voters: int, in_flight: int) -> None:
    print(f"{name}:")
    rates = [await one_run(url, voters, run, in_flight) for run, url in enumerate(urls)]
    print(f"{name}: median {statistics.median(rates):,.0f} votes/s over {len(rates)} runs")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--voters", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--in-flight", type=int, default=64)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        urls = [f"sqlite+aiosqlite:///{folder}/bench-{run}.db" for run in range(args.runs)]
        asyncio.run(bench("SQLite", urls, args.voters, args.in_flight))
    if args.database_url.startswith("postgresql"):
        asyncio.run(
            bench("PostgreSQL", [args.database_url] * args.runs, args.voters, args.in_flight)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
