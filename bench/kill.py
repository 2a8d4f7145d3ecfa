"""kill -9 in the middle of a burst, then restart: is anything lost or done twice?

For each repetition: a fresh database (an SQLite file, or a new database on the PostgreSQL
server given by --database-url), a fake platform server in this process and the bot as a
subprocess (`python -m bot run`). Every one of --messages residents sends one FAQ question from
`faq/sample`; the fake answers `sendMessage` / `messages.send` after --latency seconds so that
handling the burst takes a while. After the first reply the bot gets SIGKILL at a random moment
within the kill window (by default 60% of the burst's duration, measured by a calibration run
without a kill), the inbox is read, the bot is restarted, and once every resident has a reply
and the inbox is drained it gets SIGTERM. Then, from the fake's recorded sends and the database:

- unanswered: residents without a reply (must be 0);
- lost at kill: updates the platform considered delivered (Telegram: below the confirmed
  offset; VK: before the stored long-poll ts) that were not in the inbox (must be 0);
- duplicate effects: inbound exchange rows beyond one per resident, and inbox rows not done
  (must be 0);
- duplicate replies: replies beyond one per resident. Only a reply in flight at the kill may
  repeat: "in flight" is the number of updates stored but not done at the kill, "sent" the
  residents among them whose reply had already reached the fake (the only ones that can get
  a second reply); a duplicate outside "sent" is reported as unexpected.

Usage: python bench/kill.py [--transport telegram|vk|both] [--messages 500] [--reps 10]
                            [--concurrency 16] [--latency 0.005] [--kill-window SECONDS]
                            [--database-url postgresql+asyncpg://...] [--seed N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from _common import (
    ROOT,
    clean_environment,
    database_kind,
    extra,
    faq_questions,
    fmt,
    fresh_database,
    inbox_state,
    median,
    table,
)

from bot.storage.database import Database
from tests.fakes.telegram import FakeTelegram
from tests.fakes.vk import FakeVK

TELEGRAM_TOKEN = "4242:BENCH-TOKEN"
VK_TOKEN = "vk-bench-group-token"
VK_GROUP_ID = 229_000_777
FIRST_RESIDENT = 7000
START_TIMEOUT = 120.0
STOP_TIMEOUT = 90.0
DRAIN_TIMEOUT = 120.0


class Platform(Protocol):
    """What a repetition needs from one messenger's fake."""

    name: str
    transport: str

    def fake(self) -> contextlib.AbstractAsyncContextManager[Any]: ...

    def env(self, fake: Any, database_url: str) -> dict[str, str]: ...

    async def wait_polling(self, fake: Any) -> None: ...

    def polls(self, fake: Any) -> int:
        """How many polls for updates the fake has seen."""
        ...

    def push(self, fake: Any, resident: int, text: str) -> tuple[str, int]:
        """Queue a message; returns its inbox update key and its position on the platform."""
        ...

    def replies(self, fake: Any) -> Counter[int]:
        """Successful sends per resident."""
        ...

    async def confirmed(self, fake: Any, database_url: str) -> int:
        """Positions below this one the platform will not deliver again."""
        ...

    def ordering_key(self, resident: int) -> str: ...


class TelegramPlatform:
    name = "Telegram"
    transport = "telegram"

    def __init__(self, latency: float) -> None:
        self._latency = latency

    @contextlib.asynccontextmanager
    async def fake(self) -> AsyncIterator[FakeTelegram]:
        async with FakeTelegram(token=TELEGRAM_TOKEN) as tg:
            tg.set_latency("sendMessage", self._latency)
            yield tg

    def env(self, fake: FakeTelegram, database_url: str) -> dict[str, str]:
        return {
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "TELEGRAM_API_URL": fake.url,
            "TELEGRAM_STAFF_CHAT_ID": "-100777",
        }

    async def wait_polling(self, fake: FakeTelegram) -> None:
        await fake.wait_for("getUpdates", timeout=START_TIMEOUT)

    def polls(self, fake: FakeTelegram) -> int:
        return len(fake.calls("getUpdates"))

    def push(self, fake: FakeTelegram, resident: int, text: str) -> tuple[str, int]:
        update_id = int(
            fake.push_message(resident, text, first_name=f"Житель {resident}")["update_id"]
        )
        return str(update_id), update_id

    def replies(self, fake: FakeTelegram) -> Counter[int]:
        return Counter(int(r.params["chat_id"]) for r in fake.calls("sendMessage") if r.ok)

    async def confirmed(self, fake: FakeTelegram, database_url: str) -> int:
        return fake.confirmed_up_to + 1

    def ordering_key(self, resident: int) -> str:
        return f"telegram:{resident}"


class VkPlatform:
    name = "VK"
    transport = "vk"

    def __init__(self, latency: float, rate_limit: float) -> None:
        self._latency = latency
        self._rate_limit = rate_limit

    @contextlib.asynccontextmanager
    async def fake(self) -> AsyncIterator[FakeVK]:
        async with FakeVK(group_id=VK_GROUP_ID) as vk:
            vk.set_latency("messages.send", self._latency)
            yield vk

    def env(self, fake: FakeVK, database_url: str) -> dict[str, str]:
        env = {
            "VK_GROUP_TOKEN": VK_TOKEN,
            "VK_GROUP_ID": str(VK_GROUP_ID),
            "VK_API_URL": fake.api_url,
            "VK_STAFF_PEER_ID": "2000000001",
        }
        if self._rate_limit > 0:
            env["VK_RATE_LIMIT"] = str(self._rate_limit)
        return env

    async def wait_polling(self, fake: FakeVK) -> None:
        await fake.wait_until_polling(within=START_TIMEOUT)

    def polls(self, fake: FakeVK) -> int:
        return len(fake.polls)

    def push(self, fake: FakeVK, resident: int, text: str) -> tuple[str, int]:
        event = fake.message_new(resident, text)
        (ts,) = fake.push(event)
        return str(event["event_id"]), ts

    def replies(self, fake: FakeVK) -> Counter[int]:
        return Counter(int(r.params["peer_id"]) for r in fake.calls("messages.send") if r.ok)

    async def confirmed(self, fake: FakeVK, database_url: str) -> int:
        database = Database(database_url)
        try:
            async with database.unit_of_work() as uow:
                value = await uow.transport_state.get(f"vk:{VK_GROUP_ID}:ts")
        finally:
            await database.dispose()
        return int(value) if value is not None else 0

    def ordering_key(self, resident: int) -> str:
        return f"vk:{resident}"


@dataclass
class Rep:
    number: int
    kill_after: float | None = None
    answered_at_kill: int = 0
    stored_at_kill: int = 0
    in_flight: int = 0
    sent_in_flight: int = 0
    lost_at_kill: int = 0
    recovery: float = 0.0
    burst: float = 0.0
    unanswered: int = 0
    duplicate_replies: int = 0
    unexpected_duplicates: int = 0
    duplicate_effects: int = 0
    missing_effects: int = 0
    not_done: int = 0
    exit_code: int | None = None
    failure: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (
            self.failure
            or self.unanswered
            or self.lost_at_kill
            or self.unexpected_duplicates
            or self.duplicate_effects
            or self.missing_effects
            or self.not_done
            or self.exit_code != 0
        )


async def start_bot(
    platform: Platform,
    fake: Any,
    database_url: str,
    concurrency: int,
    workdir: Path,
    log: Path,
) -> asyncio.subprocess.Process:
    env = {
        **clean_environment(),
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "HANDLER_CONCURRENCY": str(concurrency),
        "LOG_LEVEL": "WARNING",
        **platform.env(fake, database_url),
    }
    with log.open("ab") as stderr:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            env=env,
            cwd=workdir,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=stderr,
        )


async def wait_until(
    condition: Callable[[], bool | Awaitable[bool]],
    within: float,
    *,
    interval: float = 0.02,
    process: asyncio.subprocess.Process | None = None,
) -> bool:
    """Poll `condition` until it holds (True), or `within` seconds pass or the process exits
    (False)."""
    deadline = time.monotonic() + within
    while True:
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return True
        if time.monotonic() >= deadline or (process is not None and process.returncode is not None):
            return False
        await asyncio.sleep(interval)


def answered_or_stuck(
    platform: Platform, fake: Any, url: str, wanted: set[int]
) -> Callable[[], Awaitable[bool]]:
    """Every resident has a reply, or the inbox holds nothing more to handle (the handlers
    gave up on some update): waiting longer would not change the outcome."""
    checked = 0.0

    async def condition() -> bool:
        nonlocal checked
        if set(platform.replies(fake)) >= wanted:
            return True
        if time.monotonic() - checked < 1.0:
            return False
        checked = time.monotonic()
        state = await inbox_state(url, platform.transport, platform.transport)
        return state.stored >= len(wanted) and state.pending == 0

    return condition


async def stop_bot(process: asyncio.subprocess.Process) -> int | None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    try:
        return await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
        return None


async def repetition(
    platform: Platform,
    number: int,
    args: argparse.Namespace,
    questions: list[str],
    kill_after: float | None,
) -> Rep:
    """One burst; `kill_after` None is the calibration run (no kill)."""
    rep = Rep(number, kill_after)
    residents = [FIRST_RESIDENT + n for n in range(args.messages)]
    wanted = set(residents)
    sent_in_flight: set[int] = set()
    label = f"{platform.transport}-{number}"
    with tempfile.TemporaryDirectory(prefix=f"bench-kill-{label}-") as folder:
        workdir = Path(folder)
        log = workdir / "bot.log"
        async with (
            fresh_database(args.database_url, label) as url,
            platform.fake() as fake,
        ):
            bot = await start_bot(platform, fake, url, args.concurrency, workdir, log)
            try:
                await platform.wait_polling(fake)
                positions: dict[str, int] = {}
                for index, resident in enumerate(residents):
                    key, position = platform.push(fake, resident, questions[index % len(questions)])
                    positions[key] = position
                if not await wait_until(
                    lambda: bool(platform.replies(fake)), START_TIMEOUT, process=bot
                ):
                    raise RuntimeError(
                        f"no reply within {START_TIMEOUT:.0f} s (bot exit code {bot.returncode})"
                    )
                first_reply = time.monotonic()
                if kill_after is None:
                    await wait_until(
                        answered_or_stuck(platform, fake, url, wanted), args.timeout, process=bot
                    )
                    rep.burst = time.monotonic() - first_reply
                else:
                    await asyncio.sleep(kill_after)
                    bot.send_signal(signal.SIGKILL)
                    await bot.wait()
                    # A send on the wire at the kill is still answered (and recorded) by the fake.
                    await asyncio.sleep(args.latency + 0.2)
                    before = platform.replies(fake)
                    at_kill = await inbox_state(url, platform.transport, platform.transport)
                    confirmed = await platform.confirmed(fake, url)
                    sent_in_flight = {
                        r for r in before if platform.ordering_key(r) in at_kill.pending_orderings
                    }
                    rep.answered_at_kill = len(before)
                    if len(before) >= len(wanted):
                        rep.notes.append("the kill came after the burst: nothing was in flight")
                    rep.stored_at_kill = at_kill.stored
                    rep.in_flight = at_kill.pending
                    rep.sent_in_flight = len(sent_in_flight)
                    rep.lost_at_kill = sum(
                        position < confirmed and key not in at_kill.stored_keys
                        for key, position in positions.items()
                    )
                    restarted = time.monotonic()
                    polls = platform.polls(fake)
                    bot = await start_bot(platform, fake, url, args.concurrency, workdir, log)
                    # SIGTERM before the bot handles signals would kill it: wait until it polls.
                    if not await wait_until(
                        lambda: platform.polls(fake) > polls, START_TIMEOUT, process=bot
                    ):
                        raise RuntimeError(
                            f"the restarted bot did not poll (exit {bot.returncode})"
                        )
                    if not await wait_until(
                        answered_or_stuck(platform, fake, url, wanted), args.timeout, process=bot
                    ):
                        rep.notes.append("timed out waiting for every resident's reply")
                    rep.recovery = time.monotonic() - restarted

                async def drained() -> bool:
                    state = await inbox_state(url, platform.transport, platform.transport)
                    return state.pending == 0 and state.stored >= len(residents)

                if not await wait_until(drained, DRAIN_TIMEOUT, interval=0.5, process=bot):
                    rep.notes.append("inbox not drained before SIGTERM")
            except Exception as error:
                # Reported with the bot's log below; the other repetitions still run.
                rep.failure = repr(error)
            finally:
                rep.exit_code = await stop_bot(bot)
            replies = platform.replies(fake)
            final = await inbox_state(url, platform.transport, platform.transport)
        rep.unanswered = len(wanted - set(replies))
        rep.duplicate_replies = extra(replies)
        rep.unexpected_duplicates = sum(
            count - 1 for r, count in replies.items() if count > 1 and r not in sent_in_flight
        )
        rep.duplicate_effects = extra(final.inbound)
        rep.missing_effects = len({str(r) for r in residents} - set(final.inbound))
        rep.not_done = final.not_done + max(0, len(residents) - final.stored)
        if not rep.clean or args.verbose:
            text = log.read_text(errors="replace").strip()
            if text:
                tail = "\n".join(text.splitlines()[-20:])
                rep.notes.append(f"bot stderr (last lines):\n{tail}")
    return rep


def describe(rep: Rep, messages: int) -> str:
    if rep.kill_after is None:
        head = f"calibration: first reply to last {rep.burst:.2f} s, no kill"
    else:
        head = (
            f"rep {rep.number:2d}: kill +{rep.kill_after:.2f} s after the first reply, "
            f"{rep.answered_at_kill}/{messages} answered, {rep.stored_at_kill} stored, "
            f"in flight {rep.in_flight} (sent {rep.sent_in_flight}), "
            f"lost at kill {rep.lost_at_kill}; restart -> all answered {rep.recovery:.1f} s"
        )
    tail = (
        f"unanswered {rep.unanswered}, dup replies {rep.duplicate_replies} "
        f"(unexpected {rep.unexpected_duplicates}), dup effects {rep.duplicate_effects}, "
        f"missing effects {rep.missing_effects}, inbox not done {rep.not_done}, "
        f"exit {rep.exit_code}"
    )
    if rep.failure:
        tail = f"FAILED: {rep.failure}; {tail}"
    line = f"  {head}; {tail}{'' if rep.clean else '  <-- PROBLEM'}"
    return "\n".join([line, *("    " + n.replace("\n", "\n    ") for n in rep.notes)])


SUMMARY_FIELDS = (
    ("answered at kill", "answered_at_kill"),
    ("in flight at kill", "in_flight"),
    ("sent, not committed", "sent_in_flight"),
    ("lost at kill", "lost_at_kill"),
    ("unanswered", "unanswered"),
    ("duplicate replies", "duplicate_replies"),
    ("unexpected duplicates", "unexpected_duplicates"),
    ("duplicate effects", "duplicate_effects"),
    ("missing effects", "missing_effects"),
    ("inbox not done", "not_done"),
    ("restart -> answered, s", "recovery"),
)


def summary(platform: Platform, reps: list[Rep]) -> str:
    rows = []
    for title, name in SUMMARY_FIELDS:
        values = [float(getattr(rep, name)) for rep in reps]
        total = "-" if name == "recovery" else fmt(sum(values))
        rows.append((title, total, fmt(median(values)), fmt(max(values))))
    clean = sum(rep.clean for rep in reps)
    return f"{platform.name}: {clean}/{len(reps)} repetitions clean\n" + table(
        ("", f"total ({len(reps)} reps)", "median/rep", "max/rep"), rows
    )


async def bench(platform: Platform, args: argparse.Namespace, rng: random.Random) -> list[Rep]:
    questions = faq_questions()
    print(
        f"{platform.name}: {args.messages} residents, one FAQ question each; "
        f"{database_kind(args.database_url)}; HANDLER_CONCURRENCY={args.concurrency}; "
        f"send latency {args.latency * 1000:.0f} ms",
        flush=True,
    )
    window = args.kill_window
    if window is None:
        calibration = await repetition(platform, 0, args, questions, None)
        print(describe(calibration, args.messages), flush=True)
        window = max(0.05, 0.6 * calibration.burst)
    print(f"  kill window: 0-{window:.2f} s after the first reply", flush=True)
    reps = []
    for number in range(1, args.reps + 1):
        rep = await repetition(platform, number, args, questions, rng.uniform(0, window))
        print(describe(rep, args.messages), flush=True)
        reps.append(rep)
    return reps


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--transport", choices=["telegram", "vk", "both"], default="both")
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=16, help="HANDLER_CONCURRENCY")
    parser.add_argument(
        "--latency", type=float, default=0.005, help="seconds the fake takes to answer a send"
    )
    parser.add_argument(
        "--kill-window",
        type=float,
        default=None,
        help="kill at a random moment this many seconds after the first reply at most "
        "(default: 60%% of a calibration run's burst)",
    )
    parser.add_argument(
        "--vk-rate-limit",
        type=float,
        default=100.0,
        help="VK_RATE_LIMIT for the bot (calls/s; 0 = the bot's default of 20)",
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for replies")
    parser.add_argument("--database-url", default="", help="a PostgreSQL server instead of SQLite")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--verbose", action="store_true", help="show the bot's stderr always")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1_000_000)
    print(f"seed {seed}")
    rng = random.Random(seed)
    platforms: list[Platform] = []
    if args.transport in ("telegram", "both"):
        platforms.append(TelegramPlatform(args.latency))
    if args.transport in ("vk", "both"):
        platforms.append(VkPlatform(args.latency, args.vk_rate_limit))
    results = [(platform, asyncio.run(bench(platform, args, rng))) for platform in platforms]
    print()
    for platform, reps in results:
        print(summary(platform, reps))
        print()
    return 0 if all(rep.clean for _, reps in results for rep in reps) else 1


if __name__ == "__main__":
    sys.exit(main())
