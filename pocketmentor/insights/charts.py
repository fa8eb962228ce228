"""The weekly chart, drawn on the server as SVG: no JavaScript, readable on a phone.

The drawing is 360 units wide, about a phone's width in CSS pixels, so its text stays
legible when the SVG is scaled to the page; on a laptop it grows to the column's width.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from pocketmentor.insights.templatetags.insights import percent

WIDTH, HEIGHT = 360, 200
LEFT, RIGHT, TOP, BOTTOM = 34, 352, 14, 172


@dataclass(frozen=True)
class Bar:
    week: int
    x: float
    y: float
    width: float
    height: float
    percent: int
    label_x: float
    show_label: bool
    running: bool


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    grid: list[tuple[float, int]]  # (y, percent) of each horizontal line
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = RIGHT
    bottom: int = BOTTOM
    summary: str = ""


def weekly_chart(points, *, running_week: int | None = None) -> Chart:
    """Bars of the weekly rate, 0–100 %; the week under way is drawn lighter."""
    count = max(len(points), 1)
    slot = (RIGHT - LEFT) / count
    width = min(slot * 0.7, 40)
    every = 1 if count <= 13 else 2 if count <= 26 else 4
    bars = []
    for index, point in enumerate(points):
        height = (BOTTOM - TOP) * point.rate
        x = LEFT + slot * index + (slot - width) / 2
        bars.append(
            Bar(
                week=point.week,
                x=round(x, 1),
                y=round(BOTTOM - height, 1),
                width=round(width, 1),
                height=round(height, 1),
                percent=point.percent,
                label_x=round(x + width / 2, 1),
                show_label=index % every == 0 or index == count - 1,
                running=point.week == running_week,
            )
        )
    grid = [(round(BOTTOM - (BOTTOM - TOP) * p / 100, 1), p) for p in (0, 25, 50, 75, 100)]
    summary = ", ".join(
        _("week %(week)s: %(percent)s") % {"week": p.week, "percent": percent(p.percent)}
        for p in points
    )
    return Chart(bars=bars, grid=grid, summary=summary)
