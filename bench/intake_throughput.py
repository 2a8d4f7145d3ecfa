"""What the durable intake costs: messages answered per second with the inbox and without it.

In one process and one run, against an in-process fake Telegram (no added latency):

- inbox: the real `TelegramChannel` (updates stored in the inbox before the offset moves past
  them, handled from the inbox, each finished in the handler's transaction);
- plain: the same dispatcher and services (`build_dispatcher`) driven by aiogram's own
  `Dispatcher.start_polling(bot, handle_signals=False)` with at most HANDLER_CONCURRENCY
  handlers at once, like the inbox: no inbox rows, the dialog records the exchanges only.

Each measurement uses a fresh database (an SQLite file, or a new database on the PostgreSQL
server given by --database-url) and --messages residents sending one FAQ question each, all
queued at once; the rate is from the first push to the last reply. The two modes alternate
(which goes first swaps every run); the medians over --runs and the inbox cost
(1 - inbox/plain) are printed. A short warm-up of both modes comes first and is not counted.

Usage: python bench/intake_throughput.py [--messages 2000] [--runs 3] [--concurrency 16]
                                          [--database-url postgresql+asyncpg://...]
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from _common import (
    database_kind,
    faq_questions,
    fresh_database,
    inbox_state,
    median,
    scrub_environment,
    table,
)
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.app import Core, build_core
from bot.settings import Settings
from bot.storage.models import ExchangeRow
from handlers.telegram import app as telegram_app
from handlers.telegram.messenger import TelegramMessenger
from tests.fakes.telegram import FakeTelegram

TOKEN = "4242:BENCH-TOKEN"
FIRST_RESIDENT = 7000
TIMEOUT = 600.0
WARMUP_MESSAGES = 100


class ErrorLog(logging.Handler):
    """Remembers the first error the bot logs: a failing handler makes the figures worthless
    (the intake would retry it for seconds), so the measurement stops at once."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.first: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self.first is None:
            self.first = record.getMessage() + (
                f": {record.exc_info[1]!r}" if record.exc_info and record.exc_info[1] else ""
            )


ERRORS = ErrorLog()

Mode = Callable[[Core, FakeTelegram], Awaitable[Callable[[], Awaitable[None]]]]


def settings_for(database_url: str, api_url: str, concurrency: int) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        telegram_bot_token=SecretStr(TOKEN),
        telegram_api_url=api_url,
        handler_concurrency=concurrency,
        log_level="WARNING",
    )


def dispatcher_for(core: Core, bot: Any, messenger: TelegramMessenger) -> Any:
    """`build_dispatcher` whatever order its parameters come in now."""
    build = telegram_app.build_dispatcher
    known = {"core": core, "bot": bot, "messenger": messenger, "telegram": messenger}
    parameters = inspect.signature(build).parameters
    missing = [name for name in parameters if name not in known]
    if missing:
        raise SystemExit(f"build_dispatcher{inspect.signature(build)}: cannot supply {missing}")
    return build(**{name: known[name] for name in parameters})


async def start_inbox(core: Core, tg: FakeTelegram) -> Callable[[], Awaitable[None]]:
    channel = telegram_app.TelegramChannel(core, poll_timeout=1)
    task = asyncio.create_task(channel.run(), name="inbox")

    async def stop() -> None:
        await channel.stop(30)
        await asyncio.gather(task, return_exceptions=True)

    return stop


async def start_plain(core: Core, tg: FakeTelegram) -> Callable[[], Awaitable[None]]:
    settings = core.settings
    assert settings.telegram_bot_token is not None
    bot = telegram_app.create_bot(
        settings.telegram_api_url, settings.telegram_bot_token.get_secret_value()
    )
    messenger = TelegramMessenger(bot, topic_interval=settings.telegram_topic_interval)
    core.messengers.register(messenger)
    dispatcher = dispatcher_for(core, bot, messenger)
    task = asyncio.create_task(
        dispatcher.start_polling(
            bot,
            handle_signals=False,
            polling_timeout=1,
            tasks_concurrency_limit=settings.handler_concurrency,
        ),
        name="plain",
    )

    async def stop() -> None:
        # aiogram's polling stops once a getUpdates answers; its tasks finish on their own.
        await dispatcher.stop_polling()
        await asyncio.gather(task, return_exceptions=True)
        await bot.session.close()

    return stop


MODES: dict[str, Mode] = {"inbox": start_inbox, "plain": start_plain}


async def measure(
    mode: str, messages: int, questions: list[str], args: argparse.Namespace, label: str
) -> float:
    """Messages answered per second for one fresh bot and database."""
    async with (
        fresh_database(args.database_url, label) as url,
        FakeTelegram(token=TOKEN) as tg,
    ):
        core = await build_core(settings_for(url, tg.url, args.concurrency))
        try:
            stop = await MODES[mode](core, tg)
            try:
                await tg.wait_for("getUpdates", timeout=TIMEOUT)
                residents = [FIRST_RESIDENT + n for n in range(messages)]
                started = time.perf_counter()
                for index, resident in enumerate(residents):
                    tg.push_message(
                        resident,
                        questions[index % len(questions)],
                        first_name=f"Житель {resident}",
                    )
                await tg.wait_for(
                    lambda requests: (
                        ERRORS.first is not None or len(tg.calls("sendMessage")) >= messages
                    ),
                    timeout=TIMEOUT,
                )
                if ERRORS.first is not None:
                    raise SystemExit(f"{mode} ({label}): the bot failed: {ERRORS.first}")
                elapsed = time.perf_counter() - started
                # The last reply is on the wire before its transaction commits.
                await settle(core, messages)
            finally:
                await stop()
        finally:
            await core.database.dispose()
        sends = tg.calls("sendMessage")
        answered = {int(r.params["chat_id"]) for r in sends if r.ok}
        state = await inbox_state(url, "telegram", "telegram")
    problems = []
    if answered != set(residents) or len(sends) != messages:
        problems.append(f"{len(answered)} residents answered by {len(sends)} sends")
    if sum(state.inbound.values()) != messages or len(state.inbound) != messages:
        problems.append(f"{sum(state.inbound.values())} inbound exchanges")
    expected_inbox = messages if mode == "inbox" else 0
    if state.stored != expected_inbox or state.not_done:
        problems.append(f"inbox {dict(state.statuses)}")
    if problems:
        raise SystemExit(f"{mode} ({label}): " + "; ".join(problems))
    return messages / elapsed


async def settle(core: Core, messages: int) -> None:
    """Wait (briefly) until every handler committed, so the checks see everything."""
    for _ in range(500):
        async with core.database.unit_of_work() as uow:
            pending, _ = await uow.inbox.depth()
            inbound = await uow.session.scalar(
                select(func.count(ExchangeRow.id)).where(ExchangeRow.direction == "in")
            )
        if not pending and inbound == messages:
            return
        await asyncio.sleep(0.02)


async def bench(args: argparse.Namespace) -> None:
    questions = faq_questions()
    kind = database_kind(args.database_url)
    print(
        f"{args.messages} residents, one FAQ question each; {kind}; "
        f"HANDLER_CONCURRENCY={args.concurrency}; {os.cpu_count()} CPUs; "
        f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}",
        flush=True,
    )
    if args.warmup:
        for mode in MODES:
            await measure(mode, WARMUP_MESSAGES, questions, args, f"warmup-{mode}")
    rates: dict[str, list[float]] = {mode: [] for mode in MODES}
    for run in range(args.runs):
        order = list(MODES) if run % 2 == 0 else list(reversed(MODES))
        line = []
        for mode in order:
            rate = await measure(mode, args.messages, questions, args, f"{mode}-{run}")
            rates[mode].append(rate)
            line.append(f"{mode} {rate:,.0f}/s")
        cost = 1 - rates["inbox"][-1] / rates["plain"][-1]
        print(f"  run {run + 1}: {', '.join(line)}; inbox cost {cost:.0%}", flush=True)
    inbox, plain = median(rates["inbox"]), median(rates["plain"])
    rows = [
        (mode, f"{median(values):,.0f}", ", ".join(f"{v:,.0f}" for v in values))
        for mode, values in rates.items()
    ]
    print(table(("mode", "median msg/s", "runs"), rows))
    cost = 1 - inbox / plain
    verdict = "within" if cost < 0.30 else "ABOVE"
    print(
        f"inbox/plain = {inbox / plain:.2f}; inbox cost = {cost:.0%} "
        f"({verdict} the 30% target); load average after: "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16, help="HANDLER_CONCURRENCY")
    parser.add_argument("--database-url", default="", help="a PostgreSQL server instead of SQLite")
    parser.add_argument("--no-warmup", dest="warmup", action="store_false")
    args = parser.parse_args()
    scrub_environment()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    logging.getLogger().addHandler(ERRORS)
    asyncio.run(bench(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
