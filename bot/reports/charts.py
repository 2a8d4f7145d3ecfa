"""PNG charts for /stats and the reports.

Figures are built with the object API on the Agg canvas, never through pyplot: pyplot keeps
global state and picks a GUI backend, neither of which a bot process should have.
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.reports import texts
from bot.reports.stats import Stats

__all__ = ["categories_chart", "stats_chart"]

_COLOURS = {"answer": "#2e7d32", "suggest": "#f9a825", "escalate": "#c62828"}
_DPI = 100
# Past this many days a label per bar would overlap.
_MAX_DAY_LABELS = 16


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI, bbox_inches="tight")
    return buffer.getvalue()


def stats_chart(stats: Stats) -> bytes:
    """Questions per day as bars stacked by what the FAQ did with them."""
    figure = Figure(figsize=(8, 3.6))
    axes = figure.add_subplot()
    days = [figures.day for figures in stats.daily]
    positions = list(range(len(days)))
    bottom = [0] * len(days)
    series = {
        "answer": [figures.answered for figures in stats.daily],
        "suggest": [figures.suggested for figures in stats.daily],
        "escalate": [figures.escalated for figures in stats.daily],
    }
    for outcome, values in series.items():
        axes.bar(
            positions,
            values,
            bottom=bottom,
            color=_COLOURS[outcome],
            label=texts.OUTCOME_NAMES[outcome],
            width=0.8,
        )
        bottom = [low + value for low, value in zip(bottom, values, strict=True)]
    step = max(1, -(-len(days) // _MAX_DAY_LABELS))
    axes.set_xticks(positions[::step], [day.strftime("%d.%m") for day in days[::step]])
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel(texts.CHART_Y)
    axes.set_title(texts.CHART_TITLE)
    if not any(bottom):
        axes.text(0.5, 0.5, texts.CHART_EMPTY, transform=axes.transAxes, ha="center", va="center")
        axes.set_ylim(0, 1)
    else:
        axes.legend(loc="upper left", fontsize="small", frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def categories_chart(stats: Stats) -> bytes | None:
    """Appeals by category as horizontal bars; None when no appeal was opened."""
    if not stats.categories:
        return None
    names = [name for name, _ in reversed(stats.categories)]
    counts = [count for _, count in reversed(stats.categories)]
    figure = Figure(figsize=(8, 0.5 + 0.45 * len(names)))
    axes = figure.add_subplot()
    axes.barh(names, counts, color="#1565c0")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel(texts.CATEGORY_HEADER[1])
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)
