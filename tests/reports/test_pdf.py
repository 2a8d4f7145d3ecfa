"""The PDF report: the HTML report laid out by WeasyPrint on A4 pages."""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path

import pytest
from weasyprint import HTML

from bot.reports.html_report import render_html
from bot.reports.pdf_report import write_pdf
from bot.reports.report import ReportData, build_report
from bot.storage.database import Database
from tests.reports.seed import CALENDAR, MSK, NOW, seed
from tests.reports.test_report import TITLES, WEEK

A4_POINTS = (595, 842)


@pytest.fixture
async def report(database: Database) -> ReportData:
    await seed(database)
    return await build_report(database, CALENDAR, MSK, *WEEK, now=NOW, entry_titles=TITLES)


async def test_a4_pages_with_the_summary_first(report: ReportData, tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    write_pdf(report, path)
    pdf = path.read_bytes()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    document = HTML(string=render_html(report)).render()
    assert len(document.pages) >= 2
    assert all(
        (round(page.width * 0.75), round(page.height * 0.75)) == A4_POINTS
        for page in document.pages
    )


PDFTOTEXT = shutil.which("pdftotext")


@pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext is not installed (poppler-utils)")
async def test_the_first_page_reads_in_russian(report: ReportData, tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    write_pdf(report, path)
    assert PDFTOTEXT is not None
    process = await asyncio.create_subprocess_exec(
        PDFTOTEXT, "-f", "1", "-l", "1", "-layout", str(path), "-", stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0
    first = out.decode("utf-8")
    assert "Отчёт чат-бота за 8–14 июня 2026" in first
    assert "Коротко" in first and "Экстренные обращения за период: 1." in first
    assert "Вопросов жителей" in first and "−50 п. п." in first
    assert re.search(r"\b1 ?/ ?\d\b", first)  # the page number in the margin
