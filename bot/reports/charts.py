"""PNG charts for /stats and the reports.

Figures are built with the object API on the Agg canvas, never through pyplot: pyplot keeps
global state and picks a GUI backend, neither of which a bot process should have.
"""

from __future__ import annotations

import io
import textwrap
from datetime import date, timedelta

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import date2num, num2date
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

from bot.reports import texts
from bot.reports.report import PollResult
from bot.reports.stats import Stats

__all__ = ["categories_chart", "day_ticks", "poll_chart", "stats_chart"]

_COLOURS = {"answer": "#2e7d32", "suggest": "#f9a825", "escalate": "#c62828"}
_URGENT = "#b71c1c"
_POLL_BAR = "#1565c0"
_DPI = 100
# At most this many labelled days, so labels never run into each other.
_MAX_DAY_LABELS = 12


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI, bbox_inches="tight")
    return buffer.getvalue()


def day_ticks(first: date, last: date) -> list[date]:
    """Days to label on an axis from `first` to `last`: every day for a short period, then
    every Monday, then the 1st and 15th, then the 1st of each month."""
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    rules = (
        lambda day: True,
        lambda day: day.weekday() == 0,
        lambda day: day.day in (1, 15),
        lambda day: day.day == 1,
    )
    for rule in rules:
        chosen = [day for day in days if rule(day)]
        if 2 <= len(chosen) <= _MAX_DAY_LABELS or (rule is rules[0] and len(days) < 2):
            return chosen
    step = max(1, -(-len(days) // _MAX_DAY_LABELS))
    return days[::step]


def _day_label(value: float, _position: int | None = None) -> str:
    """«8 июн»; the year only when January starts, so a long axis keeps its bearings."""
    day = num2date(value).date()
    label = f"{day.day} {texts.MONTHS_SHORT[day.month - 1]}"
    return f"{label}\n{day.year}" if day.month == 1 and day.day == 1 else label


def stats_chart(stats: Stats) -> bytes:
    """Questions per day as bars stacked by what the FAQ did with them, on a date axis with
    Russian labels; days with an emergency appeal carry a red mark above their bar."""
    figure = Figure(figsize=(9, 3.6))
    axes = figure.add_subplot()
    days = [figures.day for figures in stats.daily]
    positions = [float(date2num(day)) for day in days]
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
    top = max(bottom, default=0)
    urgent = [
        (position, height)
        for position, height, figures in zip(positions, bottom, stats.daily, strict=True)
        if figures.urgent
    ]
    if urgent:
        lift = max(top, 1) * 0.06
        axes.scatter(
            [position for position, _ in urgent],
            [height + lift for _, height in urgent],
            marker="v",
            s=70,
            color=_URGENT,
            zorder=3,
            label=texts.CHART_URGENT,
        )
    if days:
        axes.set_xlim(positions[0] - 0.6, positions[-1] + 0.6)
        axes.xaxis.set_major_locator(
            FixedLocator([float(date2num(day)) for day in day_ticks(days[0], days[-1])])
        )
        axes.xaxis.set_major_formatter(FuncFormatter(_day_label))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel(texts.CHART_Y)
    axes.set_title(texts.CHART_TITLE)
    if not top and not urgent:
        axes.text(0.5, 0.5, texts.CHART_EMPTY, transform=axes.transAxes, ha="center", va="center")
        axes.set_ylim(0, 1)
    else:
        axes.set_ylim(0, max(top, 1) * 1.18)
        axes.legend(loc="upper left", fontsize="small", frameon=False, ncols=4)
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


def poll_chart(poll: PollResult) -> bytes:
    """A poll's options as horizontal bars, first option on top, each labelled with its
    votes and share of voters."""
    rows = [(option.text, option.votes) for option in poll.options]
    if poll.other_answers:
        rows.append((texts.POLL_OTHER, poll.other_answers))
    labels = [textwrap.fill(text, 32, max_lines=2, placeholder="…") for text, _ in rows]
    votes = [count for _, count in rows]
    figure = Figure(figsize=(8, 0.7 + 0.5 * len(rows)))
    axes = figure.add_subplot()
    positions = list(range(len(rows)))[::-1]
    bars = axes.barh(positions, votes, color=_POLL_BAR, height=0.6)
    axes.set_yticks(positions, labels)
    top = max(votes, default=0)
    axes.set_xlim(0, max(top, 1) * 1.25)
    for bar, count in zip(bars, votes, strict=True):
        axes.text(
            bar.get_width() + max(top, 1) * 0.02,
            bar.get_y() + bar.get_height() / 2,
            f"{count} ({poll.share(count) * 100:.0f}%)",
            va="center",
        )
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel(texts.POLL_CHART_X)
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)
