"""The report as one self-contained HTML file: inline CSS, charts as data: URIs, no scripts
and no external resources, so it opens anywhere offline and prints cleanly. The same page,
laid out by WeasyPrint, is the PDF report."""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path

from bot.reports import texts
from bot.reports.charts import categories_chart, poll_chart, stats_chart
from bot.reports.report import ReportData
from bot.reports.stats import format_number, period_label, period_words, platform_name
from bot.reports.tables import (
    Value,
    appeal_rows,
    daily_rows,
    faq_rows,
    figure_rows,
    poll_option_rows,
    summary_periods,
    summary_rows,
)

__all__ = ["render_html", "write_html"]

# Shares of the page width for the appeal table's columns (texts.APPEAL_HEADER).
_APPEAL_WIDTHS = (10, 10, 12, 10, 8, 11, 7, 11, 7, 8, 6)

_CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; color: #212121; margin: 2em auto;
       max-width: 60em; padding: 0 1em; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 2px solid #1565c0; padding-bottom: 0.2em;
     margin-top: 2em; }
h3 { font-size: 1.05em; margin: 1.2em 0 0.4em; }
.muted { color: #616161; }
table { border-collapse: collapse; width: 100%; margin: 0.6em 0 1em; font-size: 0.92em; }
th, td { border: 1px solid #bdbdbd; padding: 0.3em 0.5em; text-align: left;
         vertical-align: top; }
th { background: #e3f2fd; }
td.num { text-align: right; white-space: nowrap; }
table.wide { table-layout: fixed; font-size: 0.8em; }
table.wide th, table.wide td { padding: 0.25em 0.3em; hyphens: auto;
                               overflow-wrap: break-word; }
.poll { page-break-inside: avoid; }
td.better { color: #1b5e20; font-weight: bold; }
td.worse { color: #b71c1c; font-weight: bold; }
tr.missed td { background: #ffebee; }
tr.urgent td:first-child { border-left: 4px solid #b71c1c; }
tr.urgent td:nth-child(2) { color: #b71c1c; font-weight: bold; }
tr.urgent-day td:last-child { color: #b71c1c; font-weight: bold; }
.alert { border: 2px solid #b71c1c; background: #ffebee; padding: 0.5em 0.8em;
         margin: 0.8em 0; }
.alert p { margin: 0; font-weight: bold; color: #b71c1c; }
ul { margin: 0.2em 0; padding-left: 1.2em; }
li { white-space: pre-line; }
img { max-width: 100%; height: auto; }
section { page-break-inside: auto; }
@page { size: A4; margin: 14mm 12mm 16mm;
        @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt;
                        font-family: "DejaVu Sans", Arial, sans-serif; color: #616161; } }
@media print {
  body { margin: 0; max-width: none; font-size: 9.5pt; }
  h2 { page-break-after: avoid; }
  tr, img, .alert { page-break-inside: avoid; }
}
"""


def _e(value: object) -> str:
    return html.escape(str(value))


def _image(png: bytes, alt: str) -> str:
    encoded = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{encoded}" alt="{_e(alt)}">'


def _text(value: Value) -> str:
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, date):
        return f"{value.strftime('%d.%m.%Y')}, {texts.WEEKDAYS_SHORT[value.weekday()]}"
    if isinstance(value, float):
        return format_number(value)
    return str(value)


def _cell(value: Value, css: str = "") -> str:
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    classes = " ".join(
        dict.fromkeys(name for name in ("num" if numeric else "", *css.split()) if name)
    )
    attribute = f' class="{classes}"' if classes else ""
    return f"<td{attribute}>{_e(_text(value))}</td>"


def _table(
    header: Sequence[str],
    rows: Iterable[Sequence[Value]],
    row_classes: Sequence[str] | None = None,
    *,
    widths: Sequence[int] = (),
) -> str:
    """`widths` (percentages) lay out a table of many columns that must share the width of a
    printed page."""
    head = "".join(f"<th>{_e(title)}</th>" for title in header)
    body: list[str] = []
    for index, row in enumerate(rows):
        css = row_classes[index] if row_classes else ""
        attribute = f' class="{css}"' if css else ""
        body.append(f"<tr{attribute}>{''.join(_cell(value) for value in row)}</tr>")
    table = "<table>"
    if widths:
        columns = "".join(f'<col style="width: {width}%">' for width in widths)
        table = f'<table class="wide"><colgroup>{columns}</colgroup>'
    return f"{table}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _list(items: Iterable[str]) -> str:
    entries = "".join(f"<li>{_e(item)}</li>" for item in items)
    return f"<ul>{entries}</ul>" if entries else ""


def _urgent_banner(data: ReportData) -> str:
    urgent = [line for line in data.appeals if line.urgent]
    if not urgent:
        return ""
    items = [
        texts.URGENT_ITEM.format(
            number=line.number,
            moment=_text(line.opened_at.astimezone(data.tz).replace(tzinfo=None)),
            status=texts.APPEAL_STATUS_NAMES.get(line.status, line.status),
        )
        for line in urgent
    ]
    banner = texts.URGENT_BANNER.format(count=len(urgent))
    return f'<div class="alert"><p>{_e(banner)}</p>{_list(items)}</div>'


def _summary_section(data: ReportData) -> str:
    current, previous = summary_periods(data)
    head = "".join(
        f"<th>{_e(title)}</th>"
        for title in (
            texts.SUMMARY_HEADER[0],
            f"{texts.SUMMARY_HEADER[1]} ({current})",
            f"{texts.SUMMARY_HEADER[2]} ({previous})",
            texts.SUMMARY_HEADER[3],
        )
    )
    body = "".join(
        f"<tr><td>{_e(row.name)}</td>{_cell(row.current, 'num')}{_cell(row.previous, 'num')}"
        f"{_cell(row.change, 'num ' + row.tone if row.tone else 'num')}</tr>"
        for row in summary_rows(data)
    )
    parts = [
        _urgent_banner(data),
        f'<p class="muted">{_e(texts.SUMMARY_HINT.format(previous=previous))}</p>',
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>",
        _image(stats_chart(data.stats), texts.CHART_TITLE),
    ]
    return "".join(parts)


def _stats_section(data: ReportData) -> str:
    stats = data.stats
    parts = [_table(texts.FIGURE_HEADER, figure_rows(stats))]
    if stats.categories:
        parts.append(_table(texts.CATEGORY_HEADER, stats.categories))
        chart = categories_chart(stats)
        if chart is not None:
            parts.append(_image(chart, texts.CATEGORY_HEADER[0]))
    if stats.platforms:
        parts.append(
            _table(
                texts.PLATFORM_HEADER,
                [
                    (platform_name(item.platform), item.questions, item.appeals)
                    for item in stats.platforms
                ],
            )
        )
    parts.append(f"<h3>{_e(texts.SHEET_DAILY)}</h3>")
    days = daily_rows(stats)
    if days:
        parts.append(f'<p class="muted">{_e(texts.DAILY_HINT)}</p>')
        urgent = ["urgent-day" if row[-1] else "" for row in days]
        parts.append(_table(texts.DAILY_HEADER, days, urgent))
    else:
        parts.append(f"<p>{_e(texts.NO_ACTIVITY)}</p>")
    return "".join(parts)


def _clusters_section(data: ReportData) -> str:
    if not data.clusters:
        return f"<p>{_e(texts.NOTHING)}</p>"
    header = "".join(f"<th>{_e(title)}</th>" for title in texts.CLUSTER_HEADER)
    rows = [
        "<tr>"
        f'<td class="num">{number}</td>'
        f'<td class="num">{cluster.size}</td>'
        f"<td>{_e(cluster.category or texts.NO_VALUE)}</td>"
        f"<td>{_list(cluster.examples)}</td>"
        f"<td>{_list(cluster.staff_answers) or _e(texts.NO_VALUE)}</td>"
        "</tr>"
        for number, cluster in enumerate(data.clusters, start=1)
    ]
    return (
        f'<p class="muted">{_e(texts.CLUSTERS_HINT)}</p>'
        f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _faq_section(data: ReportData) -> str:
    if not data.faq_entries:
        return f"<p>{_e(texts.NOTHING)}</p>"
    return f'<p class="muted">{_e(texts.FAQ_HINT)}</p>' + _table(texts.FAQ_HEADER, faq_rows(data))


def _appeals_section(data: ReportData) -> str:
    if not data.appeals:
        return f"<p>{_e(texts.NOTHING)}</p>"
    classes = [
        " ".join(
            name
            for name in ("urgent" if line.urgent else "", line.deadline or "")
            if name in ("urgent", "missed")
        )
        for line in data.appeals
    ]
    return _table(texts.APPEAL_HEADER, appeal_rows(data), classes, widths=_APPEAL_WIDTHS)


def _polls_section(data: ReportData) -> str:
    if data.polls is None:
        return f"<p>{_e(texts.POLLS_UNAVAILABLE)}</p>"
    if not data.polls:
        return f"<p>{_e(texts.NOTHING)}</p>"
    parts: list[str] = []
    for poll in data.polls:
        meta = texts.POLL_META.format(
            status=texts.POLL_STATUS_NAMES.get(poll.status, poll.status),
            opens=poll.opens_at.astimezone(data.tz).strftime("%d.%m.%Y %H:%M"),
            closes=poll.closes_at.astimezone(data.tz).strftime("%d.%m.%Y %H:%M"),
            voters=poll.voters,
        )
        parts.append(
            f'<div class="poll"><h3>{_e(poll.question)}</h3><p class="muted">{_e(meta)}</p>'
            f"{_image(poll_chart(poll), poll.question)}"
            f"{_table(texts.POLL_HEADER, poll_option_rows(poll))}</div>"
        )
    return "".join(parts)


def render_html(data: ReportData) -> str:
    title = texts.REPORT_TITLE.format(period=period_words(data.since, data.until))
    generated = texts.REPORT_GENERATED.format(
        moment=data.generated_at.astimezone(data.tz).strftime("%d.%m.%Y %H:%M")
    )
    sections = (
        ("summary", texts.SECTION_SUMMARY, _summary_section(data)),
        ("stats", texts.SECTION_STATS, _stats_section(data)),
        ("clusters", texts.SECTION_CLUSTERS, _clusters_section(data)),
        ("faq", texts.SECTION_FAQ, _faq_section(data)),
        ("appeals", texts.SECTION_APPEALS, _appeals_section(data)),
        ("polls", texts.SECTION_POLLS, _polls_section(data)),
    )
    body = "".join(
        f'<section id="{anchor}"><h2>{_e(heading)}</h2>{content}</section>'
        for anchor, heading, content in sections
    )
    period = period_label(data.since, data.until)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="ru"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(texts.REPORT_TITLE.format(period=period))}</title><style>{_CSS}</style>"
        f'</head><body><h1>{_e(title)}</h1><p class="muted">{_e(generated)}</p>{body}'
        "</body></html>\n"
    )


def write_html(data: ReportData, path: Path | str) -> None:
    Path(path).write_text(render_html(data), encoding="utf-8")
