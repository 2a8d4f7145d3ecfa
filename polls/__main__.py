"""Command line for staff: `python -m polls create|publish|close|results|export`.

Settings (DATABASE_URL, TIMEZONE) come from the environment or `.env`, as for the bot; the
schema is migrated first. The bot itself sends published polls and closes them on time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bot.settings import Settings, SettingsError, load_settings
from bot.storage.database import Database
from polls.export import EXPORT_SUFFIXES, write_export
from polls.model import PollError
from polls.service import PollService
from polls.yaml_format import PollFileError, load_poll_file

logger = logging.getLogger("polls")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m polls", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create a draft poll from a YAML file")
    create.add_argument("file", type=Path)
    for name, text in (
        ("publish", "ask the running bot to send the poll (when it opens)"),
        ("close", "stop taking votes now"),
        ("results", "print counts; the last line is JSON"),
    ):
        commands.add_parser(name, help=text).add_argument("poll_id", type=int)
    export = commands.add_parser("export", help="write results to a .csv or .xlsx file")
    export.add_argument("poll_id", type=int)
    export.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        return _fail(str(error))
    logging.basicConfig(
        level=getattr(logging, settings.log_level),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return asyncio.run(_run(args, settings))
    except (PollError, PollFileError) as error:
        return _fail(str(error))
    except OSError as error:
        return _fail(f"{getattr(error, 'filename', None) or 'file'}: {error.strerror or error}")


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "export" and args.out.suffix.lower() not in EXPORT_SUFFIXES:
        raise PollError(f"{args.out}: expected a .csv or .xlsx file name")
    now = datetime.now(UTC)
    spec = load_poll_file(args.file, tz=settings.tz, now=now) if args.command == "create" else None
    database = Database(settings.database_url)
    try:
        await database.migrate()
        service = PollService(database)
        if spec is not None:
            print(await service.create(spec, now))
        elif args.command == "publish":
            poll = await service.request_publish(args.poll_id, now)
            opens = poll.opens_at.astimezone(settings.tz).isoformat(timespec="minutes")
            print(f"poll {poll.id}: {poll.status.value}, the bot sends it from {opens}")
        elif args.command == "close":
            closed = await service.close(args.poll_id, now)
            print(f"poll {args.poll_id}: {'closed' if closed else 'was already closed'}")
        elif args.command == "results":
            results = await service.results(args.poll_id)
            for option in results.options:
                print(f"{option.votes:>6}  {option.text}")
            print(f"{len(results.other_answers):>6}  (other answers)")
            print(json.dumps(results.to_json(), ensure_ascii=False))
        else:
            results = await service.results(args.poll_id)
            votes = await service.public_votes(args.poll_id)
            write_export(args.out, results, votes, settings.tz)
            print(args.out)
    finally:
        await database.dispose()
    return 0


def _fail(line: str) -> int:
    print(f"error: {line}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
