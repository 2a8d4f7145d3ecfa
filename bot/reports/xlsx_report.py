"""The report as an XLSX workbook with a sheet per section, for staff who sort and filter.

Dates and times are real date cells with a Russian number format, so they sort and filter
as dates; the daily figures and each poll have a native Excel chart drawn from the cells.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.reports import texts
from bot.reports.report import ReportData
from bot.reports.stats import period_words, platform_name
from bot.reports.tables import (
    BETTER,
    WORSE,
    Value,
    appeal_rows,
    daily_rows,
    faq_rows,
    figure_rows,
    local_moment,
    poll_option_rows,
    summary_periods,
    summary_rows,
)

__all__ = ["write_xlsx"]

_MAX_WIDTH = 80
_DATE_FORMAT = "DD.MM.YYYY"
_MOMENT_FORMAT = "DD.MM.YYYY HH:MM"
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")
_URGENT_FILL = PatternFill("solid", fgColor="FFEBEE")
_TONE_FONTS = {BETTER: Font(bold=True, color="1B5E20"), WORSE: Font(bold=True, color="B71C1C")}
_SERIES_COLOURS = ("2E7D32", "F9A825", "C62828")


def _width(value: object) -> int:
    if isinstance(value, datetime):
        return len("31.12.2026 23:59")
    if isinstance(value, date):
        return len("31.12.2026")
    return max(len(line) for line in str(value if value is not None else "").split("\n"))


def _formats(sheet: Worksheet) -> None:
    """Date and moment cells get their number formats; column widths follow the content."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, datetime):
                cell.number_format = _MOMENT_FORMAT
            elif isinstance(cell.value, date):
                cell.number_format = _DATE_FORMAT
    for index, column in enumerate(sheet.iter_cols(values_only=True), start=1):
        longest = max((_width(value) for value in column), default=0)
        sheet.column_dimensions[get_column_letter(index)].width = min(_MAX_WIDTH, longest + 2)


def _sheet(
    workbook: Workbook, title: str, header: Sequence[str], rows: Iterable[Sequence[Value]]
) -> Worksheet:
    sheet = workbook.create_sheet(title)
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = _BOLD
    for row in rows:
        sheet.append(list(row))
    sheet.freeze_panes = "A2"
    _formats(sheet)
    return sheet


def _summary_sheet(workbook: Workbook, data: ReportData) -> None:
    current, previous = summary_periods(data)
    header = (
        texts.SUMMARY_HEADER[0],
        f"{texts.SUMMARY_HEADER[1]} ({current})",
        f"{texts.SUMMARY_HEADER[2]} ({previous})",
        texts.SUMMARY_HEADER[3],
    )
    rows = summary_rows(data)
    sheet = _sheet(
        workbook,
        texts.SHEET_SUMMARY,
        header,
        [(row.name, row.current, row.previous, row.change) for row in rows],
    )
    for index, row in enumerate(rows, start=2):
        if row.tone:
            sheet.cell(row=index, column=4).font = _TONE_FONTS[row.tone]
    sheet.insert_rows(1)
    sheet["A1"] = texts.REPORT_TITLE.format(period=period_words(data.since, data.until))
    sheet["A1"].font = _BOLD
    sheet.freeze_panes = None


def _daily_sheet(workbook: Workbook, data: ReportData) -> None:
    """Every day of the period (a chart needs the quiet days too), with a stacked chart."""
    rows = daily_rows(data.stats, active_only=False)
    sheet = _sheet(workbook, texts.SHEET_DAILY, texts.DAILY_HEADER, rows)
    for index, row in enumerate(rows, start=2):
        if row[-1]:
            for cell in sheet[index]:
                cell.fill = _URGENT_FILL
    if not rows:
        return
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = texts.CHART_TITLE
    chart.y_axis.title = texts.CHART_Y
    chart.y_axis.majorGridlines = None
    chart.x_axis.number_format = "DD.MM"
    chart.height, chart.width = 8, 22
    last = len(rows) + 1
    chart.add_data(
        Reference(sheet, min_col=2, max_col=4, min_row=1, max_row=last), titles_from_data=True
    )
    chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=last))
    for series, colour in zip(chart.series, _SERIES_COLOURS, strict=True):
        series.graphicalProperties.solidFill = colour
        series.graphicalProperties.line.solidFill = colour
    sheet.add_chart(chart, "H2")


def _polls_sheet(workbook: Workbook, data: ReportData) -> None:
    """One block per poll (question, dates, options), each with its own bar chart."""
    sheet = workbook.create_sheet(texts.SHEET_POLLS)
    if data.polls is None:
        sheet.append([texts.POLLS_UNAVAILABLE])
        return
    sheet.append(list(texts.POLL_SHEET_HEADER))
    for cell in sheet[1]:
        cell.font = _BOLD
    sheet.freeze_panes = "A2"
    charts: list[tuple[BarChart, int]] = []
    for poll in data.polls:
        meta: tuple[Value, ...] = (
            poll.question,
            texts.POLL_STATUS_NAMES.get(poll.status, poll.status),
            local_moment(poll.opens_at, data.tz),
            local_moment(poll.closes_at, data.tz),
        )
        first = sheet.max_row + 1
        options = poll_option_rows(poll)
        for option in options:
            sheet.append([*meta, *option])
        sheet.append([*meta, texts.POLL_VOTERS, poll.voters, texts.NO_VALUE])
        if options:
            chart = BarChart()
            chart.type = "bar"
            chart.title = poll.question
            chart.legend = None
            chart.x_axis.scaling.orientation = "maxMin"  # first option on top, as in the bot
            chart.height, chart.width = 2 + 1.0 * len(options), 16
            last = first + len(options) - 1
            chart.add_data(Reference(sheet, min_col=6, min_row=first, max_row=last))
            chart.set_categories(Reference(sheet, min_col=5, min_row=first, max_row=last))
            charts.append((chart, first))
    _formats(sheet)
    column = get_column_letter(len(texts.POLL_SHEET_HEADER) + 2)
    anchor = 2
    for chart, first in charts:
        anchor = max(anchor, first)
        sheet.add_chart(chart, f"{column}{anchor}")
        anchor += int(chart.height * 2) + 2  # rows are about half a centimetre high


def write_xlsx(data: ReportData, path: Path | str) -> None:
    workbook = Workbook()
    default = workbook.active
    if default is not None:
        workbook.remove(default)
    stats = data.stats

    _summary_sheet(workbook, data)

    figures = _sheet(workbook, texts.SHEET_STATS, texts.FIGURE_HEADER, figure_rows(stats))
    figures.freeze_panes = None
    start = figures.max_row + 2
    for header, rows in (
        (texts.CATEGORY_HEADER, [tuple(item) for item in stats.categories]),
        (
            texts.PLATFORM_HEADER,
            [
                (platform_name(item.platform), item.questions, item.appeals)
                for item in stats.platforms
            ],
        ),
    ):
        for offset, row in enumerate([header, *rows]):
            for column, value in enumerate(row, start=1):
                cell = figures.cell(row=start + offset, column=column, value=value)
                if offset == 0:
                    cell.font = _BOLD
        start += len(rows) + 2

    _daily_sheet(workbook, data)

    clusters = _sheet(
        workbook,
        texts.SHEET_CLUSTERS,
        texts.CLUSTER_HEADER,
        [
            (
                number,
                cluster.size,
                cluster.category or texts.NO_VALUE,
                "\n".join(cluster.examples),
                "\n".join(cluster.staff_answers) or texts.NO_VALUE,
            )
            for number, cluster in enumerate(data.clusters, start=1)
        ],
    )
    for row in clusters.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = _WRAP

    _sheet(workbook, texts.SHEET_FAQ, texts.FAQ_HEADER, faq_rows(data))
    appeals = _sheet(workbook, texts.SHEET_APPEALS, texts.APPEAL_HEADER, appeal_rows(data))
    for index, line in enumerate(data.appeals, start=2):
        if line.urgent:
            for cell in appeals[index]:
                cell.fill = _URGENT_FILL

    _polls_sheet(workbook, data)
    workbook.save(Path(path))
