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
    module: str, args: list[str], database_url: str, cwd: Path, **extra: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(PYTHONPATH=str(PROJECT), DATABASE_URL=database_url, TIMEZONE="Europe/Moscow")
    env.update(extra)
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
    kb = tmp_path / "kb.yaml"
    kb.write_text(
        "- id: bus-fares\n  questions:\n    - Сколько стоит проезд в автобусе?\n"
        "  answer: 30 рублей.\n",
        encoding="utf-8",
    )

    russian = ["--since", "8 июня 2026", "--until", "14.06.2026"]
    html = run(
        "bot", ["report", *russian, "--out", "week.html"], database_url, tmp_path, FAQ_PATH=str(kb)
    )
    assert html.returncode == 0, html.stderr
    page = (tmp_path / "week.html").read_text(encoding="utf-8")
    assert "<img" in page and "data:image/png;base64," in page
    assert "100500" not in page
    assert "<h1>Отчёт чат-бота за 8–14 июня 2026</h1>" in page
    assert "<td>Сколько стоит проезд в автобусе?</td>" in page and "bus-fares" not in page

    pdf = run("bot", ["report", *period, "--out", "week.pdf"], database_url, tmp_path)
    assert pdf.returncode == 0, pdf.stderr
    assert (tmp_path / "week.pdf").read_bytes().startswith(b"%PDF-")

    bad_date = run(
        "bot",
        ["report", "--since", "8 июнб 2026", *period[2:], "--out", "w.html"],
        database_url,
        tmp_path,
    )
    assert bad_date.returncode == 2 and "not a date: '8 июнб 2026'" in bad_date.stderr

    xlsx = run("bot", ["report", *period, "--out", "week.xlsx"], database_url, tmp_path)
    assert xlsx.returncode == 0, xlsx.stderr
    workbook = openpyxl.load_workbook(tmp_path / "week.xlsx")
    assert len(workbook.sheetnames) >= 5

    wrong = run("bot", ["report", *period, "--out", "week.doc"], database_url, tmp_path)
    assert wrong.returncode != 0 and ".html, .pdf or .xlsx" in wrong.stderr

    drafts = run("faq", ["suggest", *period, "--out", "drafts.yaml"], database_url, tmp_path)
    assert drafts.returncode == 0, drafts.stderr
    entries = yaml.safe_load((tmp_path / "drafts.yaml").read_text(encoding="utf-8"))
    assert entries, "the seeded week has an answered cluster"
    assert load_knowledge_base([tmp_path / "drafts.yaml"]).entries
