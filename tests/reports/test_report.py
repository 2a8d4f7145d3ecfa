from __future__ import annotations

import asyncio
import re
import shutil
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.reports.html_report import write_html
from bot.reports.report import ReportData, build_report
from bot.reports.xlsx_report import write_xlsx
from bot.storage.database import Database
from tests.reports.seed import CALENDAR, DISPLAY_NAMES, EXTERNAL_IDS, MSK, NOW, PHONE, seed

WEEK = (date(2026, 6, 8), date(2026, 6, 14))
SECTIONS = ["stats", "clusters", "faq", "appeals", "polls"]
HEATING_ANSWER = "Отопление включат 15 октября.\nСправки по телефону [телефон]."


@pytest.fixture
async def report(database: Database) -> ReportData:
    await seed(database)
    return await build_report(database, CALENDAR, MSK, *WEEK, now=NOW)


async def test_report_data(report: ReportData) -> None:
    assert report.stats.questions == 9
    sizes = [(cluster.size, cluster.category) for cluster in report.clusters]
    assert sizes == [(3, "ЖКХ"), (2, None), (1, None)]
    heating, kindergarten, bus = report.clusters
    assert heating.examples == (
        "Когда включат отопление? Мой телефон [телефон]",
        "когда дадут отопление в домах",
        "Почему нет отопления, когда включат?",
    )
    assert heating.staff_answers == (HEATING_ANSWER, "Отопление включат 15 октября.")
    assert kindergarten.staff_answers == () and len(kindergarten.examples) == 2
    assert bus.examples == ("Сколько стоит проезд в автобусе",)
    entries = [(e.entry_id, e.hits, e.helpful, e.not_helpful) for e in report.faq_entries]
    assert entries == [
        ("garbage", 2, 1, 0),
        ("bus-fares", 1, 0, 1),
        ("family-certificate", 1, 1, 0),
    ]
    appeals = [
        (a.number, a.first_response_hours, a.closing_hours, a.deadline, a.rating)
        for a in report.appeals
    ]
    assert appeals == [
        ("2026-0003", 3.0, 9.0, "met", 5),
        ("2026-0004", 13.0, None, "missed", None),
        ("2026-0005", 3.0, 5.0, "met", 3),
        ("2026-0006", None, None, "missed", None),
        ("2026-0007", None, None, None, None),
    ]
    assert report.polls is not None and len(report.polls) == 1
    poll = report.polls[0]
    assert poll.question == "Какой сквер благоустроить первым?"
    assert [(o.text, o.votes) for o in poll.options] == [
        ("Сквер у школы", 2),
        ("Парк Победы", 1),
        ("Набережная", 0),
    ]
    assert poll.voters == 3


class _Page(HTMLParser):
    """Section ids and headings, table rows as cell texts, and every URL-bearing attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.headings: list[str] = []
        self.rows: list[list[str]] = []
        self.urls: list[str] = []
        self.scripts = 0
        self._cell: list[str] | None = None
        self._heading: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "section":
            self.sections.append(values.get("id") or "")
        elif tag == "h2":
            self._heading = []
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "script":
            self.scripts += 1
        for name in ("src", "href"):
            if values.get(name):
                self.urls.append(values[name] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "h2" and self._heading is not None:
            self.headings.append("".join(self._heading))
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._heading is not None:
            self._heading.append(data)


def _row(rows: list[list[str]], first: str) -> list[str]:
    return next(row for row in rows if row and row[0] == first)


def _assert_no_personal_data(text: str) -> None:
    for secret in (PHONE, "123-45-67", *EXTERNAL_IDS, *DISPLAY_NAMES, "2-34-56"):
        assert secret not in text


async def test_html_report(report: ReportData, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    write_html(report, path)
    text = path.read_text(encoding="utf-8")
    page = _Page()
    page.feed(text)
    assert page.sections == SECTIONS
    assert page.headings == [
        "Ключевые показатели",
        "Вопросы без ответа: кандидаты в FAQ",
        "Ответы FAQ: что переписать",
        "Обращения",
        "Опросы",
    ]
    assert page.scripts == 0
    assert page.urls and all(url.startswith("data:image/png;base64,") for url in page.urls)
    assert _row(page.rows, "Вопросов") == ["Вопросов", "9"]
    assert _row(page.rows, "Медиана первого ответа, раб. ч") == [
        "Медиана первого ответа, раб. ч",
        "3",
    ]
    assert _row(page.rows, "90-й процентиль первого ответа, раб. ч")[1] == "11"
    assert _row(page.rows, "Доля ответов в срок, %")[1] == "50"
    assert _row(page.rows, "Средняя оценка (1–5)")[1] == "4"
    cluster = _row(page.rows, "1")
    assert cluster[1:3] == ["3", "ЖКХ"]
    assert "Мой телефон [телефон]" in cluster[3]
    assert "Отопление включат 15 октября." in cluster[4]
    assert _row(page.rows, "bus-fares") == ["bus-fares", "1", "0", "1", "100"]
    assert _row(page.rows, "2026-0004") == [
        "2026-0004",
        "ЖКХ",
        "ВКонтакте",
        "дан ответ",
        "09.06.2026 11:00",
        "13",
        "—",
        "—",
        "просрочено",
        "—",
    ]
    assert _row(page.rows, "Сквер у школы") == ["Сквер у школы", "2", "66,7"]
    assert "проголосовали: 3" in text
    _assert_no_personal_data(re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text))


async def test_xlsx_report(report: ReportData, tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    write_xlsx(report, path)
    workbook = load_workbook(path)
    assert workbook.sheetnames == [
        "Показатели",
        "По дням",
        "Без ответа",
        "FAQ",
        "Обращения",
        "Опросы",
    ]
    figures = {row[0]: row[1] for row in workbook["Показатели"].iter_rows(values_only=True)}
    assert figures["Вопросов"] == 9
    assert figures["Обращений открыто"] == 5
    assert figures["Медиана первого ответа, раб. ч"] == 3
    assert figures["90-й процентиль первого ответа, раб. ч"] == 11
    assert figures["Доля ответов в срок, %"] == 50
    assert figures["Просрочено сейчас"] == 2
    assert figures["Благоустройство"] == 2
    assert figures["Telegram"] == 6
    daily = list(workbook["По дням"].iter_rows(values_only=True))
    assert daily[3] == ("10.06.2026", 0, 3, 0)
    clusters = list(workbook["Без ответа"].iter_rows(values_only=True))
    assert [row[1] for row in clusters[1:]] == [3, 2, 1]
    assert clusters[1][4] == f"{HEATING_ANSWER}\nОтопление включат 15 октября."
    faq = list(workbook["FAQ"].iter_rows(values_only=True))
    assert faq[1:] == [
        ("garbage", 2, 1, 0, 0),
        ("bus-fares", 1, 0, 1, 100),
        ("family-certificate", 1, 1, 0, 0),
    ]
    appeals = list(workbook["Обращения"].iter_rows(values_only=True))
    assert [row[0] for row in appeals[1:]] == [f"2026-000{n}" for n in range(3, 8)]
    assert appeals[3][5] == 3 and appeals[3][8] == "в срок"
    polls = list(workbook["Опросы"].iter_rows(values_only=True))
    assert polls[1][4:6] == ("Сквер у школы", 2)
    assert polls[-1][4:6] == ("Всего проголосовали", 3)
    cells = " ".join(
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
    )
    _assert_no_personal_data(cells)


async def test_empty_report_still_has_every_section(database: Database, tmp_path: Path) -> None:
    data = await build_report(database, CALENDAR, MSK, *WEEK, now=NOW)
    write_html(data, tmp_path / "empty.html")
    write_xlsx(data, tmp_path / "empty.xlsx")
    page = _Page()
    page.feed((tmp_path / "empty.html").read_text(encoding="utf-8"))
    assert page.sections == SECTIONS
    assert len(load_workbook(tmp_path / "empty.xlsx").sheetnames) == 6


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
async def test_html_report_opens_in_headless_chromium(report: ReportData, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    write_html(report, path)
    assert CHROMIUM is not None
    process = await asyncio.create_subprocess_exec(
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
        "--dump-dom",
        path.as_uri(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    dom, log = out.decode("utf-8"), err.decode("utf-8", "replace")
    assert process.returncode == 0, log[-2000:]
    console = [
        line
        for line in log.splitlines()
        if re.search(r"CONSOLE|Uncaught|console\.|Failed to load|net::ERR", line)
    ]
    assert console == []
    for anchor in SECTIONS:
        assert f'<section id="{anchor}">' in dom
    assert "Вопросы без ответа: кандидаты в FAQ" in dom
    assert dom.count("<img") == 2
