from __future__ import annotations

import asyncio
import re
import shutil
import zipfile
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.reports.html_report import write_html
from bot.reports.report import ReportData, build_report
from bot.reports.tables import summary_rows
from bot.reports.xlsx_report import write_xlsx
from bot.storage.database import Database
from tests.reports.seed import CALENDAR, DISPLAY_NAMES, EXTERNAL_IDS, MSK, NOW, PHONE, seed

WEEK = (date(2026, 6, 8), date(2026, 6, 14))
SECTIONS = ["summary", "stats", "clusters", "faq", "appeals", "polls"]
HEATING_ANSWER = "Отопление включат 15 октября.\nСправки по телефону [телефон]."
TITLES = {"garbage": "Когда вывозят мусор?", "bus-fares": "Сколько стоит проезд в автобусе?"}


@pytest.fixture
async def report(database: Database) -> ReportData:
    await seed(database)
    return await build_report(database, CALENDAR, MSK, *WEEK, now=NOW, entry_titles=TITLES)


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
    # Named by the first question; an entry no longer in the knowledge base keeps its id.
    assert [e.title for e in report.faq_entries] == [
        "Когда вывозят мусор?",
        "Сколько стоит проезд в автобусе?",
        "family-certificate",
    ]
    assert [a.number for a in report.appeals if a.urgent] == ["2026-0006"]
    assert report.stats.appeals_urgent == 1
    assert [day.day.day for day in report.stats.daily if day.urgent] == [12]
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


async def test_the_previous_period_of_the_same_length(report: ReportData) -> None:
    previous = report.previous
    assert (previous.since, previous.until) == (date(2026, 6, 1), date(2026, 6, 7))
    # 2026-0002 alone: opened 1 June 10:00, answered after an hour, rated 1.
    assert (previous.questions, previous.appeals_opened, previous.appeals_urgent) == (0, 1, 0)
    assert previous.first_response_median == 1.0
    assert previous.deadline_share == 1.0 and previous.rating_average == 1.0


async def test_summary_rows_compare_with_the_previous_period(report: ReportData) -> None:
    rows = {
        row.name: (row.current, row.previous, row.change, row.tone) for row in summary_rows(report)
    }
    assert rows == {
        "Вопросов жителей": (9, 0, "+9", ""),
        "Ответил FAQ сам, %": (33.3, "—", "—", ""),
        "Обращений к сотрудникам": (5, 1, "+4", ""),
        "Экстренных обращений": (1, 0, "+1", ""),
        "Первый ответ сотрудника (медиана), раб. ч": (3.0, 1.0, "+2 ч", "worse"),
        "Ответов в срок, %": (50.0, 100.0, "−50 п. п.", "worse"),
        "Средняя оценка ответа (1–5)": (4.0, 1.0, "+3", "better"),
        "Отметок «Не помогло»": (1, 0, "+1", "worse"),
    }


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
        "Коротко",
        "Ключевые показатели",
        "Вопросы без ответа: кандидаты в FAQ",
        "Ответы FAQ: что переписать",
        "Обращения",
        "Опросы",
    ]
    assert page.scripts == 0
    assert page.urls and all(url.startswith("data:image/png;base64,") for url in page.urls)
    assert "<h1>Отчёт чат-бота за 8–14 июня 2026</h1>" in text
    assert _row(page.rows, "Показатель")[1:3] == [
        "За период (8–14 июня 2026)",
        "Предыдущий период (1–7 июня 2026)",
    ]
    assert _row(page.rows, "Вопросов жителей") == ["Вопросов жителей", "9", "0", "+9"]
    assert _row(page.rows, "Ответов в срок, %") == ["Ответов в срок, %", "50", "100", "−50 п. п."]
    assert '<td class="num worse">−50 п. п.</td>' in text
    assert "Экстренные обращения за период: 1." in text
    assert "№ 2026-0006, 12.06.2026 12:00, новое" in text
    # Only the days with questions or emergencies; Sunday 14 June had small talk only.
    days = [row[0] for row in page.rows if re.fullmatch(r"\d\d\.06\.2026, \w\w", row[0])]
    weekdays = ["пн", "вт", "ср", "чт", "пт", "сб"]
    assert days == [f"{8 + n:02d}.06.2026, {name}" for n, name in enumerate(weekdays)]
    assert _row(page.rows, "12.06.2026, пт") == ["12.06.2026, пт", "2", "0", "0", "2", "1"]
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
    assert _row(page.rows, "Сколько стоит проезд в автобусе?") == [
        "Сколько стоит проезд в автобусе?",
        "1",
        "0",
        "1",
        "100",
    ]
    assert "bus-fares" not in text and _row(page.rows, "family-certificate")
    assert _row(page.rows, "2026-0006")[1] == "экстренное"
    assert '<tr class="urgent missed"><td>2026-0006</td>' in text
    assert _row(page.rows, "2026-0004") == [
        "2026-0004",
        "",
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
        "Сводка",
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
    summary = list(workbook["Сводка"].iter_rows(values_only=True))
    assert summary[0][0] == "Отчёт чат-бота за 8–14 июня 2026"
    assert summary[2] == ("Вопросов жителей", 9, 0, "+9")
    assert workbook["Сводка"]["D7"].font.color.rgb.endswith("B71C1C")  # a slower first answer
    sheet = workbook["По дням"]
    daily = list(sheet.iter_rows(values_only=True))
    assert len(daily) == 1 + 7  # every day: the chart needs the quiet ones too
    assert daily[3] == (datetime(2026, 6, 10), 0, 3, 0, 3, 0)
    assert sheet["A4"].is_date and sheet["A4"].number_format == "DD.MM.YYYY"
    assert daily[5][-1] == 1 and sheet["A6"].fill.fgColor.rgb.endswith("FFEBEE")
    clusters = list(workbook["Без ответа"].iter_rows(values_only=True))
    assert [row[1] for row in clusters[1:]] == [3, 2, 1]
    assert clusters[1][4] == f"{HEATING_ANSWER}\nОтопление включат 15 октября."
    faq = list(workbook["FAQ"].iter_rows(values_only=True))
    assert faq[1:] == [
        ("Когда вывозят мусор?", 2, 1, 0, 0),
        ("Сколько стоит проезд в автобусе?", 1, 0, 1, 100),
        ("family-certificate", 1, 1, 0, 0),
    ]
    appeals = list(workbook["Обращения"].iter_rows(values_only=True))
    assert [row[0] for row in appeals[1:]] == [f"2026-000{n}" for n in range(3, 8)]
    assert appeals[3][6] == 3 and appeals[3][9] == "в срок"
    assert appeals[3][5] == datetime(2026, 6, 11, 16, 0)
    assert workbook["Обращения"]["F4"].number_format == "DD.MM.YYYY HH:MM"
    assert [row[1] for row in appeals[1:]] == [None, None, None, "экстренное", None]
    polls = list(workbook["Опросы"].iter_rows(values_only=True))
    assert polls[1][2:6] == (
        datetime(2026, 6, 1, 9, 0),
        datetime(2026, 6, 10, 18, 0),
        "Сквер у школы",
        2,
    )
    assert polls[-1][4:6] == ("Всего проголосовали", 3)
    cells = " ".join(
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
    )
    _assert_no_personal_data(cells)
    charts = _charts(path)
    assert [sheet for sheet, _ in charts] == ["По дням", "Опросы"]
    daily_chart, poll_chart = (xml for _, xml in charts)
    assert '<barDir val="col" /><grouping val="stacked" />' in daily_chart
    assert "<f>'По дням'!$A$2:$A$8</f>" in daily_chart  # the date cells are the categories
    assert "<f>'По дням'!$D$2:$D$8</f>" in daily_chart  # passed to staff, the third series
    assert '<barDir val="bar" />' in poll_chart
    assert "<f>'Опросы'!$E$2:$E$4</f>" in poll_chart and "<f>'Опросы'!$F$2:$F$4</f>" in poll_chart


def _charts(path: Path) -> list[tuple[str, str]]:
    """Each native chart of the workbook, read from the file itself: its sheet's name and
    the chart's XML (sheet → drawing → chart, through the package's relationships)."""
    found: list[tuple[str, str]] = []
    with zipfile.ZipFile(path) as archive:
        sheets = re.findall(r'<sheet name="([^"]+)"', archive.read("xl/workbook.xml").decode())
        for index, sheet in enumerate(sheets, start=1):
            rels = f"xl/worksheets/_rels/sheet{index}.xml.rels"
            if rels not in archive.namelist():
                continue
            for drawing in re.findall(
                r'Target="/(xl/drawings/[^"]+)"', archive.read(rels).decode()
            ):
                drawing_rels = drawing.replace("drawings/", "drawings/_rels/") + ".rels"
                for chart in re.findall(
                    r'Target="/(xl/charts/[^"]+)"', archive.read(drawing_rels).decode()
                ):
                    found.append((sheet, archive.read(chart).decode()))
    return found


async def test_empty_report_still_has_every_section(database: Database, tmp_path: Path) -> None:
    data = await build_report(database, CALENDAR, MSK, *WEEK, now=NOW)
    write_html(data, tmp_path / "empty.html")
    write_xlsx(data, tmp_path / "empty.xlsx")
    page = _Page()
    page.feed((tmp_path / "empty.html").read_text(encoding="utf-8"))
    assert page.sections == SECTIONS
    assert len(load_workbook(tmp_path / "empty.xlsx").sheetnames) == 7


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
    assert dom.count("<img") == 3  # questions per day, appeal topics, the poll
