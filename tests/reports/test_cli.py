"""`python -m bot report` and `python -m faq suggest` as a press-service employee runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import yaml

from bot.storage.database import Database
from faq import load_knowledge_base
from tests.conftest import PROJECT
from tests.reports.seed import seed


def run(
    module: str, args: list[str], database_url: str, cwd: Path
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(PYTHONPATH=str(PROJECT), DATABASE_URL=database_url, TIMEZONE="Europe/Moscow")
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


async def test_report_and_suggest_commands(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    await seed(database)
    period = ["--since", "2026-06-08", "--until", "2026-06-14"]

    html = run("bot", ["report", *period, "--out", "week.html"], database_url, tmp_path)
    assert html.returncode == 0, html.stderr
    page = (tmp_path / "week.html").read_text(encoding="utf-8")
    assert "<img" in page and "data:image/png;base64," in page
    assert "100500" not in page

    xlsx = run("bot", ["report", *period, "--out", "week.xlsx"], database_url, tmp_path)
    assert xlsx.returncode == 0, xlsx.stderr
    workbook = openpyxl.load_workbook(tmp_path / "week.xlsx")
    assert len(workbook.sheetnames) >= 5

    wrong = run("bot", ["report", *period, "--out", "week.pdf"], database_url, tmp_path)
    assert wrong.returncode != 0 and "html" in wrong.stderr

    drafts = run("faq", ["suggest", *period, "--out", "drafts.yaml"], database_url, tmp_path)
    assert drafts.returncode == 0, drafts.stderr
    entries = yaml.safe_load((tmp_path / "drafts.yaml").read_text(encoding="utf-8"))
    assert entries, "the seeded week has an answered cluster"
    assert load_knowledge_base([tmp_path / "drafts.yaml"]).entries
