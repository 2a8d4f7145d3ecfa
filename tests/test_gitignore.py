"""The database's side files stay out of commits: SQLite in WAL mode keeps `-wal` and `-shm`
files next to the database while the bot runs."""

from __future__ import annotations

from fnmatch import fnmatch

import pytest

from tests.conftest import PROJECT


def ignored(name: str) -> bool:
    lines = (PROJECT / ".gitignore").read_text(encoding="utf-8").splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return any(fnmatch(name, pattern) for pattern in patterns)


@pytest.mark.parametrize("name", ["vmeste.db", "vmeste.db-wal", "vmeste.db-shm", "test.db-wal"])
def test_database_files_are_ignored(name: str) -> None:
    assert ignored(name)


def test_sources_are_not_ignored() -> None:
    assert not ignored("vmeste.py")
