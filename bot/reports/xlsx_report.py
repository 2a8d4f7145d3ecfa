"""The report as an XLSX workbook with a sheet per section, for staff who sort and filter."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.reports import texts
from bot.reports.report import ReportData
from bot.reports.stats import period_label, platform_name
from bot.reports.tables import (
    Value,
    appeal_rows,
    daily_rows,
    faq_rows,
    figure_rows,
    local_moment,
    poll_option_rows,
)

__all__ = ["write_xlsx"]

_MAX_WIDTH = 80
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")


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
    for index, column in enumerate(sheet.iter_cols(values_only=True), start=1):
        longest = max(len(line) for value in column for line in str(value or "").split("\n"))
        sheet.column_dimensions[get_column_letter(index)].width = min(_MAX_WIDTH, longest + 2)
    return sheet


def write_xlsx(data: ReportData, path: Path | str) -> None:
    workbook = Workbook()
    default = workbook.active
    if default is not None:
        workbook.remove(default)
    stats = data.stats

    figures = _sheet(workbook, texts.SHEET_STATS, texts.FIGURE_HEADER, figure_rows(stats))
    figures.insert_rows(1)
    figures["A1"] = texts.REPORT_TITLE.format(period=period_label(data.since, data.until))
    figures["A1"].font = _BOLD
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

    _sheet(workbook, texts.SHEET_DAILY, texts.DAILY_HEADER, daily_rows(stats))

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
    _sheet(workbook, texts.SHEET_APPEALS, texts.APPEAL_HEADER, appeal_rows(data))

    poll_rows: list[tuple[Value, ...]] = []
    for poll in data.polls or ():
        meta: tuple[Value, ...] = (
            poll.question,
            texts.POLL_STATUS_NAMES.get(poll.status, poll.status),
            local_moment(poll.opens_at, data.tz),
            local_moment(poll.closes_at, data.tz),
        )
        poll_rows.extend((*meta, *option) for option in poll_option_rows(poll))
        poll_rows.append((*meta, texts.POLL_VOTERS, poll.voters, texts.NO_VALUE))
    polls = _sheet(workbook, texts.SHEET_POLLS, texts.POLL_SHEET_HEADER, poll_rows)
    if data.polls is None:
        polls.append([texts.POLLS_UNAVAILABLE])

    workbook.save(Path(path))
