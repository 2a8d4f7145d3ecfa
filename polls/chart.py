"""Poll results as a PNG bar chart sized for a Telegram or VK photo."""

from __future__ import annotations

import io
import textwrap

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from polls import texts
from polls.model import PollResults

WIDTH_INCHES, HEIGHT_INCHES, DPI = 12.8, 7.2, 100
BAR_COLOUR = "#2f6db5"
OTHER_COLOUR = "#8aa9cf"
TEXT_COLOUR = "#222222"
# DejaVu Sans ships with matplotlib and has Cyrillic, so no system fonts are needed.
FONT = "DejaVu Sans"


def render_chart(results: PollResults) -> bytes:
    """Horizontal bars (long Russian options stay readable), first option on top, each bar
    labelled with its count and share of voters."""
    rows = [(option.text, option.votes, False) for option in results.options]
    if results.poll.other:
        rows.append((texts.OTHER, len(results.other_answers), True))
    labels = [textwrap.fill(text, 28, max_lines=3, placeholder="…") for text, _, _ in rows]
    votes = [count for _, count, _ in rows]
    colours = [OTHER_COLOUR if other else BAR_COLOUR for _, _, other in rows]

    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(rows)))[::-1]
    bars = axes.barh(positions, votes, color=colours, height=0.62)
    axes.set_yticks(positions, labels, fontsize=15, family=FONT, color=TEXT_COLOUR)
    top = max(votes, default=0)
    axes.set_xlim(0, max(top, 1) * 1.22)
    for bar, count in zip(bars, votes, strict=True):
        share = results.percent(count)
        axes.text(
            bar.get_width() + max(top, 1) * 0.015,
            bar.get_y() + bar.get_height() / 2,
            f"{count} ({share:.0f}%)",
            va="center",
            fontsize=15,
            family=FONT,
            color=TEXT_COLOUR,
        )
    axes.xaxis.set_visible(False)
    for side in ("top", "right", "bottom"):
        axes.spines[side].set_visible(False)
    figure.suptitle(
        textwrap.fill(results.poll.question, 70, max_lines=3, placeholder="…"),
        fontsize=20,
        family=FONT,
        color=TEXT_COLOUR,
        fontweight="bold",
    )
    if results.total_voters == 0:
        footer = texts.CHART_NO_VOTES
    elif results.poll.multiple:
        footer = texts.CHART_VOTERS_MULTIPLE.format(voters=results.total_voters)
    else:
        footer = texts.CHART_VOTERS.format(voters=results.total_voters)
    figure.text(0.5, 0.03, footer, ha="center", fontsize=14, family=FONT, color="#555555")
    figure.tight_layout(rect=(0.02, 0.07, 0.98, 0.93))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()
