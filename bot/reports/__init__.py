"""Reports that close the loop: key figures for /stats, period reports in HTML and XLSX, and
knowledge-base drafts from the questions the FAQ could not answer."""

from __future__ import annotations

from bot.reports.charts import stats_chart
from bot.reports.html_report import write_html
from bot.reports.masking import mask_personal_data
from bot.reports.pdf_report import write_pdf
from bot.reports.report import ReportData, build_report
from bot.reports.stats import Stats, compute_stats, parse_period, stats_text
from bot.reports.suggest import draft_entries, write_drafts
from bot.reports.xlsx_report import write_xlsx

__all__ = [
    "ReportData",
    "Stats",
    "build_report",
    "compute_stats",
    "draft_entries",
    "mask_personal_data",
    "parse_period",
    "stats_chart",
    "stats_text",
    "write_drafts",
    "write_html",
    "write_pdf",
    "write_xlsx",
]
