"""The command-line ends of reporting: `python -m bot report` and `python -m faq suggest`."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from bot.core.workcalendar import WorkCalendar
from bot.reports.html_report import write_html
from bot.reports.pdf_report import PdfUnavailable, write_pdf
from bot.reports.report import build_report
from bot.reports.suggest import draft_entries, write_drafts
from bot.reports.xlsx_report import write_xlsx
from bot.settings import Settings
from bot.storage.database import Database
from faq import KnowledgeBaseError, load_knowledge_base

logger = logging.getLogger(__name__)

WRITERS = {".html": write_html, ".htm": write_html, ".pdf": write_pdf, ".xlsx": write_xlsx}


class ReportError(Exception):
    """A bad request for a report; the message is one line for the user."""


def check_period(since: date, until: date) -> None:
    if until < since:
        raise ReportError(f"--until {until} is before --since {since}")


def check_out(out: Path) -> None:
    """Before the database work: a report that cannot be written is not built."""
    if not out.parent.is_dir():
        raise ReportError(f"--out {out}: directory {out.parent.absolute()} does not exist")


async def write_report(settings: Settings, since: date, until: date, out: Path) -> None:
    """The report of local days `since`..`until`; the format follows the extension."""
    check_period(since, until)
    writer = WRITERS.get(out.suffix.lower())
    if writer is None:
        raise ReportError(f"--out must end in .html, .pdf or .xlsx, got {out.name}")
    check_out(out)
    calendar = WorkCalendar(
        settings.tz,
        settings.office,
        extra_holidays=settings.extra_holidays,
        extra_workdays=settings.extra_workdays,
    )
    database = Database(settings.database_url)
    try:
        await database.migrate()
        data = await build_report(
            database, calendar, settings.tz, since, until, entry_titles=entry_titles(settings)
        )
    finally:
        await database.dispose()
    try:
        writer(data, out)
    except PdfUnavailable as error:
        raise ReportError(str(error)) from error


def entry_titles(settings: Settings) -> dict[str, str]:
    """Each knowledge-base entry's first question, which names it in the report; a broken
    knowledge base leaves the entries named by their ids rather than stopping the report."""
    try:
        kb = load_knowledge_base([settings.faq_path], optional=[settings.faq_local_path])
    except KnowledgeBaseError as error:
        logger.warning("FAQ entries named by id: %s", error.errors[0])
        return {}
    return {entry.id: entry.questions[0] for entry in kb.entries}


async def write_suggestions(settings: Settings, since: date, until: date, out: Path) -> int:
    """Draft knowledge-base entries from the period's answered clusters; returns how many."""
    check_period(since, until)
    check_out(out)
    database = Database(settings.database_url)
    try:
        await database.migrate()
        entries = await draft_entries(database, settings.tz, since, until)
    finally:
        await database.dispose()
    write_drafts(entries, out, period=(since, until))
    return len(entries)
