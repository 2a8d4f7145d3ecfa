"""The report as one self-contained HTML file: inline CSS, charts as data: URIs, no scripts
and no external resources, so it opens anywhere offline and prints cleanly."""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence
from pathlib import Path

from bot.reports import texts
from bot.reports.charts import categories_chart, stats_chart
from bot.reports.report import ReportData
from bot.reports.stats import format_number, period_label, platform_name
from bot.reports.tables import (
    appeal_rows,
    daily_rows,
    faq_rows,
    figure_rows,
    poll_option_rows,
)

__all__ = ["render_html", "write_html"]

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
tr.missed td { background: #ffebee; }
ul { margin: 0.2em 0; padding-left: 1.2em; }
li { white-space: pre-line; }
img { max-width: 100%; height: auto; }
section { page-break-inside: auto; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  h2 { page-break-after: avoid; }
  tr, img { page-break-inside: avoid; }
}
"""


def _e(value: object) -> str:
    return html.escape(str(value))


def _image(png: bytes, alt: str) -> str:
    encoded = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{encoded}" alt="{_e(alt)}">'


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f'<td class="num">{_e(format_number(value))}</td>'
    if isinstance(value, int) and not isinstance(value, bool):
        return f'<td class="num">{value}</td>'
    return f"<td>{_e(value)}</td>"


def _table(
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    row_classes: Sequence[str] | None = None,
) -> str:
    head = "".join(f"<th>{_e(title)}</th>" for title in header)
    body: list[str] = []
    for index, row in enumerate(rows):
        css = row_classes[index] if row_classes else ""
        attribute = f' class="{css}"' if css else ""
        body.append(f"<tr{attribute}>{''.join(_cell(value) for value in row)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _list(items: Iterable[str]) -> str:
    entries = "".join(f"<li>{_e(item)}</li>" for item in items)
    return f"<ul>{entries}</ul>" if entries else ""


def _stats_section(data: ReportData) -> str:
    stats = data.stats
    parts = [
        _table(texts.FIGURE_HEADER, figure_rows(stats)),
        _image(stats_chart(stats), texts.CHART_TITLE),
    ]
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
    parts.append(_table(texts.DAILY_HEADER, daily_rows(stats)))
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
    classes = ["missed" if line.deadline == "missed" else "" for line in data.appeals]
    return _table(texts.APPEAL_HEADER, appeal_rows(data), classes)


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
        parts.append(f'<h3>{_e(poll.question)}</h3><p class="muted">{_e(meta)}</p>')
        parts.append(_table(texts.POLL_HEADER, poll_option_rows(poll)))
    return "".join(parts)


def render_html(data: ReportData) -> str:
    period = period_label(data.since, data.until)
    title = texts.REPORT_TITLE.format(period=period)
    generated = texts.REPORT_GENERATED.format(
        moment=data.generated_at.astimezone(data.tz).strftime("%d.%m.%Y %H:%M")
    )
    sections = (
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
    return (
        "<!DOCTYPE html>\n"
        '<html lang="ru"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head>"
        f'<body><h1>{_e(title)}</h1><p class="muted">{_e(generated)}</p>{body}</body></html>\n'
    )


def write_html(data: ReportData, path: Path | str) -> None:
    Path(path).write_text(render_html(data), encoding="utf-8")
