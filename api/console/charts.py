"""Bar charts as SVG, drawn on the server: no script, no style attribute (the console's
Content-Security-Policy allows neither inline), only classes that console.css colours.

Coordinates across are percentages of the chart's width, coordinates down are pixels: a
chart fills its column at any screen width while its text keeps its size (a ``viewBox``
would shrink the labels on a phone). Each chart is an ``<svg role="img">`` named by its
``<title>`` and ``<desc>``; each bar has a ``<title>`` of its own (a tooltip, and what a
screen reader says). A ``Bar`` may carry a ``marker`` — a target such as a quota — drawn as
a line across the bar's place, so the Forecast page draws revenue against quota with the
same two functions.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

ROW = 34  # px per bar of a horizontal chart
BAR = 20  # px: a horizontal bar's thickness
LABELS = 30  # % of the width: the label column of a horizontal chart
SPAN = 54  # % of the width: the longest horizontal bar (the rest is for its value)
PLOT_TOP, PLOT_BOTTOM = 22, 26  # px above and below a vertical chart's bars


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str  # the value as written beside the bar: "42", "€ 12,345.00"
    tone: str = ""  # a class of console.css: "", "good", "bad", "muted"
    marker: float | None = None  # a target drawn across the bar's place
    marker_shown: str = ""  # the target as written in the bar's title


def horizontal(title: str, bars: Sequence[Bar], description: str = "") -> Markup:
    """One bar per row, its label on the left and its value at its end."""
    height = ROW * len(bars) + 4
    scale = _scale(bars)
    rows = [_row(i, bar, scale) for i, bar in enumerate(bars)]
    return _svg(title, description, height, "horizontal", rows)


def vertical(title: str, bars: Sequence[Bar], description: str = "", height: int = 220
             ) -> Markup:
    """Columns side by side, labels below, values above."""
    plot, scale = height - PLOT_TOP - PLOT_BOTTOM, _scale(bars)
    slot = 100 / max(len(bars), 1)
    columns = [_column(i, bar, scale, slot, plot) for i, bar in enumerate(bars)]
    base = PLOT_TOP + plot
    axis = Markup('<line class="axis" x1="0" x2="100%" y1="{0}" y2="{0}"/>').format(base)
    return _svg(title, description, height, "vertical", [*columns, axis])


def _scale(bars: Sequence[Bar]) -> float:
    """The value the longest bar (or highest marker) stands for; never zero."""
    values = [b.value for b in bars] + [b.marker for b in bars if b.marker is not None]
    return max([v for v in values if v > 0], default=1.0)


def _row(index: int, bar: Bar, scale: float) -> Markup:
    top = index * ROW + (ROW - BAR) // 2
    middle = top + BAR / 2
    length = SPAN * max(bar.value, 0) / scale
    parts = [
        Markup('<text class="label" x="0" y="{}" dy="0.35em">{}</text>').format(middle, bar.label),
        Markup('<rect class="{}" x="{}%" y="{}" width="{:.2f}%" height="{}" rx="3"/>')
        .format(_bar_class(bar), LABELS, top, length, BAR),
        Markup('<text class="value" x="{:.2f}%" y="{}" dx="8" dy="0.35em">{}</text>')
        .format(LABELS + length, middle, bar.shown),
    ]
    if bar.marker is not None:
        at = LABELS + SPAN * bar.marker / scale
        parts.append(Markup('<line class="marker" x1="{0:.2f}%" x2="{0:.2f}%" y1="{1}" y2="{2}"/>')
                     .format(at, top - 4, top + BAR + 4))
    return _group(bar, parts)


def _column(index: int, bar: Bar, scale: float, slot: float, plot: int) -> Markup:
    tall = plot * max(bar.value, 0) / scale
    top, centre = PLOT_TOP + plot - tall, slot * index + slot / 2
    parts = [
        Markup('<rect class="{}" x="{:.2f}%" y="{:.1f}" width="{:.2f}%" height="{:.1f}" rx="3"/>')
        .format(_bar_class(bar), slot * index + slot * 0.2, top, slot * 0.6, tall),
        Markup('<text class="value" x="{:.2f}%" y="{:.1f}" dy="-6" text-anchor="middle">{}</text>')
        .format(centre, top, bar.shown),
        Markup('<text class="label" x="{:.2f}%" y="{}" dy="18" text-anchor="middle">{}</text>')
        .format(centre, PLOT_TOP + plot, bar.label),
    ]
    if bar.marker is not None:
        y = PLOT_TOP + plot - plot * bar.marker / scale
        parts.append(Markup('<line class="marker" x1="{0:.2f}%" x2="{1:.2f}%" y1="{2:.1f}" y2="{2:.1f}"/>')
                     .format(slot * index + slot * 0.1, slot * (index + 1) - slot * 0.1, y))
    return _group(bar, parts)


def _bar_class(bar: Bar) -> str:
    return f"bar {bar.tone}".strip()


def _group(bar: Bar, parts: list[Markup]) -> Markup:
    said = f"{bar.label}: {bar.shown}"
    if bar.marker is not None:
        said += f" (target {bar.marker_shown})"
    return Markup("<g><title>{}</title>{}</g>").format(said, Markup("").join(parts))


def _svg(title: str, description: str, height: int, kind: str, parts: list[Markup]) -> Markup:
    name = "chart-" + re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return Markup(
        '<svg class="chart chart-{kind}" width="100%" height="{height}" role="img" '
        'aria-labelledby="{name}-title {name}-desc" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{name}-title">{title}</title><desc id="{name}-desc">{description}</desc>'
        '{parts}</svg>').format(kind=kind, height=height, name=name, title=title,
                                description=description or title, parts=Markup("").join(parts))


def meter(fraction: float | None, label: str) -> Markup:
    """A thin bar filled to ``fraction`` (0-1) of its width: a rate beside its number in a
    table. Nothing when there is no rate."""
    if fraction is None:
        return Markup("")
    filled = min(max(fraction, 0.0), 1.0) * 100
    return Markup('<svg class="meter" width="100%" height="8" role="img" aria-label="{}">'
                  '<rect class="track" width="100%" height="8" rx="4"/>'
                  '<rect class="fill" width="{:.2f}%" height="8" rx="4"/></svg>').format(label, filled)
