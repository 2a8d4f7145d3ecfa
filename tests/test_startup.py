"""Start-up as a user or a service manager sees it: the real `python -m bot` in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from faq import FaqLibrary, Thresholds
from tests.conftest import ON_POSTGRES, PROJECT, SAMPLE_FAQ, SERVER_URL

START_TIMEOUT = 60


def run_bot(
    args: list[str], env: dict[str, str], cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL"}}
    clean["PYTHONPATH"] = str(PROJECT)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env={**clean, **env},
        cwd=cwd,
        timeout=START_TIMEOUT,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"TELEGRAM_STAFF_CHAT_ID": "not-a-number"}, "TELEGRAM_STAFF_CHAT_ID"),
        ({"TIMEZONE": "Europe/Atlantis"}, "TIMEZONE"),
    ],
)
def test_malformed_setting_stops_start_with_one_line(
    tmp_path: Path, env: dict[str, str], named: str
) -> None:
    result = run_bot([], env, tmp_path)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert named in lines[0]
    assert "Traceback" not in result.stderr


def test_broken_knowledge_base_stops_start_with_one_line(tmp_path: Path) -> None:
    kb = tmp_path / "kb.yaml"
    kb.write_text(
        "- id: heating\n  questions:\n    - Когда отопление\n  answr: опечатка в ключе\n",
        encoding="utf-8",
    )
    result = run_bot(["console"], {"FAQ_PATH": str(kb)}, tmp_path)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "kb.yaml" in lines[0] and "answr" in lines[0]


def test_no_token_and_no_terminal_says_what_is_missing(tmp_path: Path) -> None:
    result = run_bot([], {}, tmp_path)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "TELEGRAM_BOT_TOKEN" in lines[0] and "VK_GROUP_TOKEN" in lines[0]


def test_console_chats_with_the_core_and_records(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
    dialog = "Когда дадут отопление?\n1\nкакой-то вопрос про курс криптовалюты на бирже\n"
    result = run_bot(["console"], {"DATABASE_URL": database}, tmp_path, stdin=dialog)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Здравствуйте" in out
    heating = FaqLibrary(paths=[SAMPLE_FAQ], thresholds=Thresholds()).entry("heating-season")
    assert heating is not None
    assert heating.answer.strip() in out
    assert "[1] Помогло" in out
    assert "Спасибо за оценку" in out
    with create_engine(f"sqlite:///{tmp_path / 'console.db'}").connect() as connection:
        rows = connection.execute(
            text("SELECT direction, outcome, feedback FROM exchanges ORDER BY id")
        ).all()
    inbound = [row for row in rows if row.direction == "in"]
    assert len(inbound) == 4
    assert inbound[1].outcome == "answer" and inbound[1].feedback == "helpful"


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL run only")
def test_migrate_command_on_postgres(tmp_path: Path) -> None:
    result = run_bot(["migrate"], {"DATABASE_URL": SERVER_URL}, tmp_path)
    assert result.returncode == 0, result.stderr
