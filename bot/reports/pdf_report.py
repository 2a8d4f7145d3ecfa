"""The report as a PDF: the HTML report laid out on A4 pages by WeasyPrint.

WeasyPrint draws text with the system's Pango and HarfBuzz libraries (Debian:
libpango-1.0-0, libpangoft2-1.0-0, libharfbuzz-subset0) and needs a font with Cyrillic
letters (fonts-dejavu-core); it is imported only when a PDF is asked for, so the bot and
the other formats run without them.
"""

from __future__ import annotations

from pathlib import Path

from bot.reports.html_report import render_html
from bot.reports.report import ReportData

__all__ = ["PdfUnavailable", "render_pdf", "write_pdf"]

SYSTEM_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core"


class PdfUnavailable(RuntimeError):
    """WeasyPrint or the system libraries it draws with are missing."""


def render_pdf(data: ReportData) -> bytes:
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as error:
        raise PdfUnavailable(
            f"PDF needs WeasyPrint and Pango ({error}); on Debian/Ubuntu: "
            f"apt-get install {SYSTEM_PACKAGES}"
        ) from error
    return bytes(HTML(string=render_html(data)).write_pdf())


def write_pdf(data: ReportData, path: Path | str) -> None:
    Path(path).write_bytes(render_pdf(data))
