"""Inline SVG bar charts, drawn server-side so index.html renders offline with no script at all.

Hand-written on purpose: the environment's chart libraries either need a JavaScript runtime fetched
from a CDN to render (altair/vega-lite) or are not installed (matplotlib, pygal), and the page must
open from a file with no network. Amounts arrive as exact Decimals; they become floats here only to
place pixels, never to compute a figure that is printed (labels are formatted from the Decimals).
All text goes through ``markupsafe.escape``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

PALETTE = ("#1f4e79", "#c55a11", "#548235", "#7f6000", "#7030a0", "#2e75b6", "#a5a5a5", "#bf9000", "#843c0c")
FONT = "font-family='Segoe UI, Helvetica, Arial, sans-serif'"


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Decimal]


def money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _short(value: float) -> str:
    """Axis tick label: 12.3k, 1.2M."""
    magnitude = abs(value)
    if magnitude >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if magnitude >= 1_000:
        return f"{value / 1_000:.0f}k"
    return f"{value:.0f}"


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    span = (high - low) or 1.0
    raw = span / count
    exponent = 10 ** math.floor(math.log10(raw))
    step = next(m * exponent for m in (1, 2, 2.5, 5, 10) if m * exponent >= raw)
    first = (low // step) * step
    out = []
    v = first
    while v <= high + step / 2:
        out.append(v)
        v += step
    return out


def _legend(series: Sequence[Series], x: float, y: float) -> list[str]:
    parts = []
    for i, s in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        dx = x + i * 150
        parts.append(f"<rect x='{dx:.1f}' y='{y - 9:.1f}' width='10' height='10' fill='{color}'/>")
        parts.append(f"<text x='{dx + 14:.1f}' y='{y:.1f}' font-size='11' {FONT}>{escape(s.name)}</text>")
    return parts


def column_chart(
    chart_id: str, title: str, categories: Sequence[str], series: Sequence[Series], *, stacked: bool
) -> Markup:
    """Vertical columns per category (periods), stacked or side by side; negative values go below 0."""
    width, height = 760, 300
    left, right, top, bottom = 64, 16, 34, 70
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(categories), 1)
    if stacked:
        highs = [sum(float(max(s.values[i], 0)) for s in series) for i in range(len(categories))]
        lows = [sum(float(min(s.values[i], 0)) for s in series) for i in range(len(categories))]
    else:
        highs = [max([float(s.values[i]) for s in series] + [0.0]) for i in range(len(categories))]
        lows = [min([float(s.values[i]) for s in series] + [0.0]) for i in range(len(categories))]
    ticks = _ticks(min([*lows, 0.0]), max([*highs, 1.0]))
    lo, hi = ticks[0], ticks[-1]

    def y_of(v: float) -> float:
        return top + plot_h * (hi - v) / ((hi - lo) or 1.0)

    parts = [
        f"<svg id='{escape(chart_id)}' class='chart' role='img' viewBox='0 0 {width} {height}' "
        f"><title>{escape(title)}</title>"
    ]
    parts.extend(
        f"<line x1='{left}' x2='{width - right}' y1='{y_of(t):.1f}' y2='{y_of(t):.1f}' stroke='#e3e3e3'/>"
        f"<text x='{left - 6}' y='{y_of(t) + 4:.1f}' font-size='10' text-anchor='end' {FONT}>"
        f"{_short(t)}</text>"
        for t in ticks
    )
    slot = plot_w / n
    bar_w = slot * 0.7 / (1 if stacked else max(len(series), 1))
    for i, cat in enumerate(categories):
        x0 = left + i * slot + slot * 0.15
        pos, neg = 0.0, 0.0
        for k, s in enumerate(series):
            v = float(s.values[i])
            color = PALETTE[k % len(PALETTE)]
            if stacked:
                base = pos if v >= 0 else neg
                y1, y2 = y_of(base + v), y_of(base)
                if v >= 0:
                    pos += v
                else:
                    neg += v
                x = x0
            else:
                y1, y2 = y_of(max(v, 0.0)), y_of(min(v, 0.0))
                x = x0 + k * bar_w
            parts.append(
                f"<rect x='{x:.1f}' y='{min(y1, y2):.1f}' width='{bar_w:.1f}' height='{abs(y2 - y1):.1f}' "
                f"fill='{color}'><title>{escape(s.name)} {escape(cat)}: {money(s.values[i])}</title></rect>"
            )
        cx = left + i * slot + slot / 2
        parts.append(
            f"<text x='{cx:.1f}' y='{top + plot_h + 14}' font-size='10' text-anchor='end' "
            f"transform='rotate(-40 {cx:.1f} {top + plot_h + 14})' {FONT}>{escape(cat)}</text>"
        )
    parts.append(
        f"<line x1='{left}' x2='{width - right}' y1='{y_of(0):.1f}' y2='{y_of(0):.1f}' stroke='#555'/>"
    )
    parts.extend(_legend(series, left, height - 8))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text piece went through escape()


def bar_chart(chart_id: str, title: str, labels: Sequence[str], series: Sequence[Series]) -> Markup:
    """Horizontal bars per label (production orders, cost shares), side by side; negatives go left."""
    row_h = 12 * max(len(series), 1) + 8
    width = 760
    left, right, top = 240, 80, 10
    height = top + row_h * max(len(labels), 1) + 34
    plot_w = width - left - right
    values = [float(v) for s in series for v in s.values] or [0.0]
    ticks = _ticks(min([*values, 0.0]), max([*values, 1.0]), 4)
    lo, hi = ticks[0], ticks[-1]

    def x_of(v: float) -> float:
        return left + plot_w * (v - lo) / ((hi - lo) or 1.0)

    parts = [
        f"<svg id='{escape(chart_id)}' class='chart' role='img' viewBox='0 0 {width} {height}' "
        f"><title>{escape(title)}</title>"
    ]
    parts.extend(
        f"<line x1='{x_of(t):.1f}' x2='{x_of(t):.1f}' y1='{top}' y2='{height - 30}' stroke='#e3e3e3'/>"
        f"<text x='{x_of(t):.1f}' y='{height - 18}' font-size='10' text-anchor='middle' {FONT}>"
        f"{_short(t)}</text>"
        for t in ticks
    )
    for i, label in enumerate(labels):
        y0 = top + i * row_h + 4
        parts.append(
            f"<text x='{left - 6}' y='{y0 + row_h / 2:.1f}' font-size='11' text-anchor='end' {FONT}>"
            f"{escape(label)}</text>"
        )
        for k, s in enumerate(series):
            v = float(s.values[i])
            x1, x2 = x_of(min(v, 0.0)), x_of(max(v, 0.0))
            y = y0 + k * 12
            parts.append(
                f"<rect x='{x1:.1f}' y='{y:.1f}' width='{x2 - x1:.1f}' height='10' "
                f"fill='{PALETTE[k % len(PALETTE)]}'>"
                f"<title>{escape(label)} {escape(s.name)}: {money(s.values[i])}</title></rect>"
                f"<text x='{x2 + 4:.1f}' y='{y + 9:.1f}' font-size='10' {FONT}>{money(s.values[i])}</text>"
            )
    parts.append(f"<line x1='{x_of(0):.1f}' x2='{x_of(0):.1f}' y1='{top}' y2='{height - 30}' stroke='#555'/>")
    if len(series) > 1:
        parts.extend(_legend(series, left, height - 2))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text piece went through escape()
