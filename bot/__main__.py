"""Entry point: `python -m bot [run|console|migrate]` and the `vmeste-bot` script."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.settings import Settings, SettingsError, load_settings
from bot.storage.database import Database
from faq import KnowledgeBaseError

logger = logging.getLogger("bot")

MISSING_TOKENS = (
    "No messenger configured: set TELEGRAM_BOT_TOKEN and/or VK_GROUP_TOKEN "
    "(or run `python -m bot console`)"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vmeste-bot", description=__doc__)
    parser.add_argument(
        "command",
        nargs="?",
        default="run",
        choices=["run", "console", "migrate"],
        help="run: every messenger whose token is set (default); console: chat in the "
        "terminal; migrate: bring the database schema up to date",
    )
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        return _fail(str(error))
    _configure_logging(settings, console=args.command == "console")
    try:
        return asyncio.run(_dispatch(args.command, settings))
    except KnowledgeBaseError as error:
        more = len(error.errors) - 1
        tail = f" (and {more} more; see `python -m faq check`)" if more > 0 else ""
        return _fail(f"Knowledge base error: {error.errors[0]}{tail}")
    except KeyboardInterrupt:
        return 0


async def _dispatch(command: str, settings: Settings) -> int:
    from bot import app

    if command == "migrate":
        database = Database(settings.database_url)
        await database.migrate()
        await database.dispose()
        return 0
    if command == "run" and not (settings.telegram_enabled or settings.vk_enabled):
        if not app.stdin_is_terminal():
            return _fail(MISSING_TOKENS)
        command = "console"
    if command == "console":
        await app.run_console_channel(settings, sys.stdin, sys.stdout)
        return 0
    await app.run_messengers(settings)
    return 0


def _configure_logging(settings: Settings, *, console: bool) -> None:
    """Logs go to stderr; in the console they would interleave with the dialog, so only
    warnings are shown there."""
    level = logging.WARNING if console else getattr(logging, settings.log_level)
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("aiogram.event").setLevel(max(level, logging.WARNING))


def _fail(line: str) -> int:
    print(line, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
