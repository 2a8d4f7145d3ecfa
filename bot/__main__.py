"""Entry point: `python -m bot [run|console|doctor|migrate|announce FILE|report]` and the
`vmeste-bot` script."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import date
from pathlib import Path

from bot.core.announcements import AnnouncementFileError
from bot.core.dates import date_argument
from bot.core.redaction import Redactor, redact_logs
from bot.settings import Settings, SettingsError, load_settings
from bot.storage.database import Database
from faq import KnowledgeBaseError
from faq.semantic import EncoderError

logger = logging.getLogger("bot")

MISSING_TOKENS = (
    "No messenger configured: set TELEGRAM_BOT_TOKEN and/or VK_GROUP_TOKEN "
    "(or run `python -m bot console`)"
)
ROUTINE_LOGGERS = ("pymorphy3", "alembic")
NO_STAFF_CHAT = (
    "No staff chat: set TELEGRAM_STAFF_CHAT_ID or VK_STAFF_PEER_ID, otherwise residents' "
    "appeals reach nobody (`python -m bot doctor` checks the setup)"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vmeste-bot", description=__doc__)
    parser.add_argument(
        "command",
        nargs="?",
        default="run",
        choices=["run", "console", "doctor", "migrate", "announce", "report"],
        help="run: every messenger whose token is set (default); console: chat in the "
        "terminal; doctor: check the settings, platforms and database; migrate: bring the "
        "database schema up to date; announce FILE.yaml: queue "
        "an announcement for the running bot to send; report: write a report",
    )
    parser.add_argument("file", nargs="?", type=Path, help="announce: the announcement file")
    days = "2026-11-01, 01.11.2026 or «1 ноября 2026»"
    parser.add_argument("--since", type=date_argument, help=f"report: first day, {days}")
    parser.add_argument("--until", type=date_argument, help=f"report: last day, {days}")
    parser.add_argument("--out", type=Path, help="report: FILE.html, FILE.pdf or FILE.xlsx")
    args = parser.parse_args(argv)
    if (args.command == "announce") != (args.file is not None):
        parser.error("a FILE goes with announce, and only with it")
    if args.command == "report" and not (args.since and args.until and args.out):
        parser.error("report needs --since, --until and --out")
    try:
        settings = load_settings()
    except SettingsError as error:
        if args.command == "doctor":
            print(f"✗ {error}")
            return 1
        return _fail(str(error))
    _configure_logging(settings, console=args.command in {"console", "doctor"})
    if args.command == "report":
        return _report(settings, args.since, args.until, args.out)
    try:
        return asyncio.run(_dispatch(args.command, settings, args.file))
    except KnowledgeBaseError as error:
        more = len(error.errors) - 1
        tail = f" (and {more} more; see `python -m faq check`)" if more > 0 else ""
        return _fail(f"Knowledge base error: {error.errors[0]}{tail}")
    except (AnnouncementFileError, EncoderError) as error:
        return _fail(str(error))
    except KeyboardInterrupt:
        return 0


async def _dispatch(command: str, settings: Settings, file: Path | None = None) -> int:
    from bot import app

    if command == "announce" and file is not None:
        return await app.announce_file(settings, file, sys.stdout)
    if command == "doctor":
        from bot.doctor import run_doctor
        from handlers.telegram.doctor import telegram_checks
        from handlers.vk.doctor import vk_checks

        return await run_doctor(settings, [telegram_checks, vk_checks], sys.stdout)
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
    if app.staff_chat(settings) is None:
        return _fail(NO_STAFF_CHAT)
    return await app.run_messengers(settings)


def _report(settings: Settings, since: date, until: date, out: Path) -> int:
    from bot.reports.cli import ReportError, write_report

    try:
        asyncio.run(write_report(settings, since, until, out))
    except ReportError as error:
        return _fail(f"Report: {error}")
    print(out)
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
    # Loading the dictionaries and each migration step are routine: they count as DEBUG.
    for routine in ROUTINE_LOGGERS:
        logging.getLogger(routine).setLevel(level if level <= logging.DEBUG else logging.WARNING)
    redact_logs(Redactor(settings.secret_values()))


def _fail(line: str) -> int:
    print(line, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
