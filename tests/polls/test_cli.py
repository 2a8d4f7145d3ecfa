from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.storage.database import Database
from bot.storage.records import PollStatus
from polls import PollService, VoteStatus
from tests.conftest import PROJECT
from tests.polls.conftest import telegram, vk


def run(tmp_path: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(PROJECT),
        "TIMEZONE": "Europe/Moscow",
    }
    return subprocess.run(
        [sys.executable, "-m", "polls", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_create_publish_vote_revote_results_and_export(
    tmp_path: Path, database: Database, database_url: str
) -> None:
    closes = (datetime.now(ZoneInfo("Europe/Moscow")) + timedelta(days=10)).strftime(
        "%Y-%m-%dT%H:%M"
    )
    poll_file = tmp_path / "poll.yaml"
    poll_file.write_text(
        "question: Довольны ли вы качеством мобильной связи в округе?\n"
        "options: [Да, Скорее да, Скорее нет, Нет]\n"
        f"other: true\ncloses_at: {closes}\n",
        encoding="utf-8",
    )
    created = run(tmp_path, database_url, "create", str(poll_file))
    assert created.returncode == 0, created.stderr
    poll_id = int(created.stdout.strip().splitlines()[-1])

    published = run(tmp_path, database_url, "publish", str(poll_id))
    assert published.returncode == 0, published.stderr
    service = PollService(database)
    poll = await service.get(poll_id)
    assert poll is not None and poll.status is PollStatus.SCHEDULED
    assert poll.publish_requested_at is not None

    now = datetime.now(UTC)
    assert (await service.vote(telegram(1), "Анна", poll_id, 1, None, now)).counted
    revote = await service.vote(telegram(1), "Анна", poll_id, 3, None, now)
    assert revote.status is VoteStatus.CHANGED
    await service.vote(vk(1), "Борис", poll_id, 3, None, now)
    await service.vote(vk(2), "Вера", poll_id, None, "Нет связи на даче", now)

    results = run(tmp_path, database_url, "results", str(poll_id))
    assert results.returncode == 0, results.stderr
    assert json.loads(results.stdout.strip().splitlines()[-1]) == {
        "poll_id": poll_id,
        "question": "Довольны ли вы качеством мобильной связи в округе?",
        "status": "scheduled",
        "total_voters": 3,
        "options": [
            {"text": "Да", "votes": 0},
            {"text": "Скорее да", "votes": 0},
            {"text": "Скорее нет", "votes": 2},
            {"text": "Нет", "votes": 0},
        ],
        "other_answers": 1,
    }

    exported = run(tmp_path, database_url, "export", str(poll_id), "--out", "results.csv")
    assert exported.returncode == 0, exported.stderr
    rows = list(
        csv.reader(io.StringIO((tmp_path / "results.csv").read_text("utf-8-sig")), delimiter=";")
    )
    assert ["Скорее нет", "2", "66,7"] in rows
    assert ["Нет связи на даче"] in rows

    failed = run(tmp_path, database_url, "close", "987654")
    assert failed.returncode != 0
    assert failed.stderr.strip().splitlines()[-1] == "error: no poll 987654"


def test_invalid_file_is_one_line_on_stderr(tmp_path: Path, database_url: str) -> None:
    poll_file = tmp_path / "bad.yaml"
    poll_file.write_text("question: Вопрос?\noptions: [Да]\nclosing: завтра\n", encoding="utf-8")
    result = run(tmp_path, database_url, "create", str(poll_file))
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"error: {poll_file}: unknown key(s) 'closing'; missing 'closes_at' (or 'closes_in'); "
        "expected 2 to 10 options, got 1"
    ]
