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


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a start refused with exit 2."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"TELEGRAM_BOT_TOKEN": "not-a-token"}, "TELEGRAM_BOT_TOKEN"),
        ({"TELEGRAM_BOT_TOKEN": "123456:with space"}, "TELEGRAM_BOT_TOKEN"),
        ({"DATABASE_URL": "sqlite+aiosqlite:///./missing/vmeste.db"}, "missing"),
        ({"DATABASE_URL": "sqlite:///./vmeste.db"}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql://user:hunter2@db/vmeste"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql://user:hunter2@db/vmeste"}, "DATABASE_URL"),
    ],
)
def test_common_mistakes_are_one_line_and_exit_2(
    tmp_path: Path, env: dict[str, str], named: str
) -> None:
    line = one_line(run_bot(["console"], env, tmp_path))
    assert named in line and "Value error" not in line
    # Secrets stay out of the message.
    assert "hunter2" not in line and "with space" not in line
    assert not (tmp_path / "vmeste.db").exists()


def test_database_in_a_missing_directory_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "data" / "bot.db"
    line = one_line(
        run_bot(["console"], {"DATABASE_URL": f"sqlite+aiosqlite:///{missing}"}, tmp_path)
    )
    assert "DATABASE_URL" in line and str(missing.parent) in line


def test_report_into_a_missing_directory_is_one_line(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'report.db'}"
    out = tmp_path / "reports" / "june.html"
    args = ["report", "--since", "2026-06-01", "--until", "2026-06-30", "--out", str(out)]
    line = one_line(run_bot(args, {"DATABASE_URL": database}, tmp_path))
    assert str(out.parent) in line
    assert not (tmp_path / "report.db").exists()


@pytest.mark.parametrize(
    "env",
    [
        {"TELEGRAM_BOT_TOKEN": "4242:TEST-TOKEN"},
        {"VK_GROUP_TOKEN": "vk-token", "VK_GROUP_ID": "1"},
        {"TELEGRAM_BOT_TOKEN": "4242:TEST-TOKEN", "VK_GROUP_TOKEN": "vk-token", "VK_GROUP_ID": "1"},
    ],
)
def test_messengers_refuse_to_start_without_a_staff_chat(
    tmp_path: Path, env: dict[str, str]
) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    # The API URLs point nowhere: the refusal comes before any network call.
    unreachable = {"TELEGRAM_API_URL": "http://127.0.0.1:9", "VK_API_URL": "http://127.0.0.1:9/"}
    line = one_line(run_bot([], {**env, **unreachable, "DATABASE_URL": database}, tmp_path))
    assert "TELEGRAM_STAFF_CHAT_ID" in line and "VK_STAFF_PEER_ID" in line
    assert not (tmp_path / "bot.db").exists()


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


def test_routine_logs_stay_below_the_default_level(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'quiet.db'}"
    quiet = run_bot(["migrate"], {"DATABASE_URL": database, "LOG_LEVEL": "INFO"}, tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    assert "alembic" not in quiet.stderr and "Running upgrade" not in quiet.stderr
    verbose = f"sqlite+aiosqlite:///{tmp_path / 'verbose.db'}"
    debug = run_bot(["migrate"], {"DATABASE_URL": verbose, "LOG_LEVEL": "DEBUG"}, tmp_path)
    assert debug.returncode == 0, debug.stderr
    assert "Running upgrade" in debug.stderr


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL run only")
def test_migrate_command_on_postgres(tmp_path: Path) -> None:
    result = run_bot(["migrate"], {"DATABASE_URL": SERVER_URL}, tmp_path)
    assert result.returncode == 0, result.stderr
