"""Server-rendered SVG line charts: no chart JavaScript, readable by screen readers.

The SVG carries a ``<title>`` and ``<desc>`` and the template puts the same
numbers in a table, so the chart is never the only way to read the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 10, 30
#: Colours come from CSS custom properties, so the tenant's theme reaches the chart.
SERIES_STYLES = ("var(--authsvc-chart-1, #0d6efd)", "var(--authsvc-chart-2, #d63384)")


@dataclass
class Series:
    label: str
    points: list[tuple[date, int]]
    colour: str = SERIES_STYLES[0]
    path: str = ""


@dataclass
class Chart:
    title: str
    description: str
    series: list[Series]
    y_ticks: list[tuple[float, int]]
    x_labels: list[tuple[float, str]]
    days: list[date]
    width: int = WIDTH
    height: int = HEIGHT


def _nice_max(value: int) -> int:
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000):
        if value <= step * 4:
            return step * 4
    return value


def line_chart(title: str, data: dict[str, list[tuple[date, int]]]) -> Chart:
    """Lay out one line per label over shared days; ``data`` maps label -> (day, count)."""
    days = [day for day, _count in next(iter(data.values()))]
    top = _nice_max(max((c for points in data.values() for _d, c in points), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(index: int) -> float:
        return LEFT + (plot_w * index / max(len(days) - 1, 1))

    def y(count: int) -> float:
        return TOP + plot_h - plot_h * count / top

    series = []
    for number, (label, points) in enumerate(data.items()):
        path = " ".join(f"{x(i):.1f},{y(c):.1f}" for i, (_d, c) in enumerate(points))
        colour = SERIES_STYLES[number % len(SERIES_STYLES)]
        series.append(Series(label, points, colour, path))
    totals = ", ".join(f"{s.label}: {sum(c for _d, c in s.points)}" for s in series)
    every = max(1, len(days) // 7)
    return Chart(
        title=title,
        description=f"Daily counts from {days[0]:%d %b} to {days[-1]:%d %b}. Totals: {totals}.",
        series=series,
        y_ticks=[(y(top * i // 4), top * i // 4) for i in range(5)],
        x_labels=[(x(i), f"{d:%d %b}") for i, d in enumerate(days) if i % every == 0],
        days=days,
    )
