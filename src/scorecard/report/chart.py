"""Inline SVG charts for the statement page: drawn here, nothing fetched.

A line of monthly values against a dashed threshold line (a step when the
rule set changed), with breaching months marked. Every text in the SVG is
escaped; values are numbers we computed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 520, 210
LEFT, RIGHT, TOP, BOTTOM = 52, 14, 16, 30
INK, GRID, LINE, BAD, LIMIT = "#1f2937", "#e5e7eb", "#1d4ed8", "#b42318", "#b42318"


@dataclass(frozen=True, slots=True)
class Point:
    label: str  # x label (a period)
    value: float | None  # None: not assessable / not assessed
    threshold: float | None
    breached: bool = False
    note: str = ""  # said on hover where a breach has no value to draw


def nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round tick values covering [low, high]."""
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks = []
    v = start
    while v <= high + step * 1e-9:
        ticks.append(round(v, 10))
        v += step
    if ticks[-1] < high:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def line_chart(
    points: Sequence[Point],
    title: str,
    tick_text: Callable[[float], str],
    *,
    floor: float | None = 0.0,
    ceiling: float | None = None,
) -> Markup:
    values = [v for p in points for v in (p.value, p.threshold) if v is not None]
    low = min([*values, floor] if floor is not None else values or [0.0])
    high = max(values or [1.0])
    top = high * 1.08 if high > 0 else 1.0
    if ceiling is not None:
        top = max(min(top, ceiling), high)
    ticks = nice_ticks(low, top)
    y0, y1 = ticks[0], ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(len(points), 1)
    step = plot_w / n

    def x(i: int) -> float:
        return LEFT + step * (i + 0.5)

    def y(v: float) -> float:
        return TOP + plot_h * (1 - (v - y0) / (y1 - y0))

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in ticks:
        ty = y(tick)
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="{GRID}"/>')
        out.append(
            f'<text x="{LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end" class="tick">{escape(tick_text(tick))}</text>'
        )
    for i, p in enumerate(points):
        out.append(f'<text x="{x(i):.1f}" y="{HEIGHT - 10}" text-anchor="middle" class="tick">{escape(p.label)}</text>')
    # threshold: a dashed step line, one flat segment per month
    for i, p in enumerate(points):
        if p.threshold is not None:
            ty = y(p.threshold)
            out.append(
                f'<line x1="{x(i) - step / 2:.1f}" x2="{x(i) + step / 2:.1f}" y1="{ty:.1f}" y2="{ty:.1f}" '
                f'stroke="{LIMIT}" stroke-width="1.5" stroke-dasharray="5 4"/>'
            )
    # values: a polyline per run of consecutive known months
    run: list[str] = []
    runs = []
    for i, p in enumerate(points):
        if p.value is None:
            if run:
                runs.append(run)
            run = []
        else:
            run.append(f"{x(i):.1f},{y(p.value):.1f}")
    if run:
        runs.append(run)
    for r in runs:
        out.append(f'<polyline points="{" ".join(r)}" fill="none" stroke="{LINE}" stroke-width="2.2"/>')
    for i, p in enumerate(points):
        if p.value is None and p.breached:
            # breached with no value to draw (complaints on a base of 0): a cross on the threshold line
            cy = y(p.threshold if p.threshold is not None else y1)
            out.append(
                f'<path d="M{x(i) - 5:.1f},{cy - 5:.1f}L{x(i) + 5:.1f},{cy + 5:.1f}M{x(i) - 5:.1f},{cy + 5:.1f}'
                f'L{x(i) + 5:.1f},{cy - 5:.1f}" stroke="{BAD}" stroke-width="2.4" class="breach-no-value">'
                f"<title>{escape(p.label)}: {escape(p.note)}</title></path>"
            )
        if p.value is not None:
            colour = BAD if p.breached else LINE
            out.append(
                f'<circle cx="{x(i):.1f}" cy="{y(p.value):.1f}" r="{4.2 if p.breached else 3.2}" '
                f'fill="{colour}">'
                f"<title>{escape(p.label)}: {escape(tick_text(p.value))}</title></circle>"
            )
    out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" stroke="{INK}"/>')
    out.append("</svg>")
    return Markup("".join(out))
