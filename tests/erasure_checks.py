"""The erasure check the tests share: search the database file's bytes (and its `-wal`) for
what identifies a resident, in every form the database may store it."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.app import Core
from bot.storage.models import Base


def database_files(core: Core) -> list[Path]:
    """The SQLite file and its write-ahead log, as far as they exist."""
    path = Path(str(make_url(core.database.url).database))
    return [file for file in (path, path.with_name(path.name + "-wal")) if file.exists()]


def forms(needle: str) -> set[bytes]:
    """UTF-8 as text columns keep it, and JSON-escaped as JSON columns keep it."""
    return {needle.encode(), json.dumps(needle)[1:-1].encode()}


def found_in_files(core: Core, needles: list[str]) -> list[str]:
    """The needles present anywhere in the bytes of the database files."""
    data = b"".join(file.read_bytes() for file in database_files(core))
    return [needle for needle in needles if any(form in data for form in forms(needle))]


async def found_in_rows(core: Core, needles: list[str]) -> list[str]:
    """The needles present in any value of any row of any table (PostgreSQL has no single
    file to search, so this is the check there)."""
    values: list[str] = []
    async with core.database.unit_of_work() as uow:
        for table in Base.metadata.sorted_tables:
            for row in await uow.session.execute(select(table)):
                values += [
                    json.dumps(value, ensure_ascii=False, default=str)
                    for value in row
                    if value is not None
                ]
    text = "\n".join(values)
    return [needle for needle in needles if needle in text]
