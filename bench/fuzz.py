"""The fuzzer of `tests/test_fuzz.py` at ten times its CI size, run by hand.

Hypothesis generates updates of every kind for Telegram and VK (random Unicode, 10,000-character
texts, edits, channel posts, bots, forged button data), which go through the fake servers and
the real aiogram and vkbottle clients into one bot with both channels on a temporary SQLite
file. Prints what was sent and what held: ERROR records, failed inbox rows, stopped channels,
residents left without a reply, and the time taken.

Usage: python bench/fuzz.py [--updates 10000] [--batch 200]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._common import scrub_environment  # noqa: E402
from bot.settings import DEFAULT_FAQ_PATH, Settings  # noqa: E402
from tests.fuzzing import generate, run_fuzz  # noqa: E402


async def main(updates: int, batch: int) -> int:
    scrub_environment()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(  # type: ignore[call-arg]
            database_url=f"sqlite+aiosqlite:///{Path(folder) / 'fuzz.db'}",
            faq_path=DEFAULT_FAQ_PATH,
            faq_local_path=Path(folder) / "faq-local.yaml",
            _env_file=None,
        )
        specs = generate(updates)
        outcome = await run_fuzz(settings, specs, batch=batch)
    total = sum(outcome.sent.values())
    print(f"updates sent: {total} in {outcome.seconds:.1f} s ({total / outcome.seconds:.0f}/s)")
    for platform in ("telegram", "vk"):
        kinds = sorted((k, n) for k, n in outcome.sent.items() if k.startswith(platform))
        print(f"  {platform}: " + ", ".join(f"{k.split(':', 1)[1]} {n}" for k, n in kinds))
    print(f"inbox rows: {outcome.inbox_rows}, not done: {outcome.failed_rows}")
    print(f"ERROR records: {len(outcome.errors)}")
    for line in outcome.errors[:10]:
        print(f"  {line[:200]}")
    print(f"channels stopped: {outcome.stopped or 'none'}")
    print(
        f"residents who wrote text within the flood limit: {len(outcome.expected)}, "
        f"left without a reply: {len(outcome.unanswered)}"
    )
    ok = not (outcome.errors or outcome.failed_rows or outcome.stopped or outcome.unanswered)
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    sys.exit(asyncio.run(main(args.updates, args.batch)))
