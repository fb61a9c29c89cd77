"""Execution monitoring (双监控): actual cumulative spending beside the plan at each milestone,
the gap, and a chart that is plain SVG so that it prints anywhere."""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from perfbudget.lib.numbers import format_number
from projects.models import BudgetYear, Project

LAG_LIMIT = Decimal(10)


@dataclass(frozen=True)
class Milestone:
    month: int
    planned: Decimal  # cumulative plan in force at the milestone (0 before the first planned one)
    planned_entered: bool
    actual: Decimal | None
    carried: bool = False  # no plan of its own: an earlier milestone's stays in force

    @property
    def label(self) -> str:
        return BudgetYear.milestone_label(self.month)

    @property
    def gap(self) -> Decimal | None:
        return None if self.actual is None else self.actual - self.planned

    @property
    def lagging(self) -> bool:
        """Execution more than 10 points behind the plan."""
        return self.actual is not None and self.planned - self.actual > LAG_LIMIT


def milestones(project: Project, months: list[int]) -> list[Milestone]:
    """The plan and the actual at each milestone, from the project's prefetched schedule."""
    entries = {e.month: e for e in project.schedule.all()}
    out, plan, any_entered = [], Decimal(0), False
    for month in sorted(set(months) | set(entries)):
        entry = entries.get(month)
        entered = entry is not None and entry.planned_percent is not None
        if entered:
            plan = entry.planned_percent
        actual = entry.actual_percent if entry is not None else None
        out.append(Milestone(month, plan, entered, actual, carried=any_entered and not entered))
        any_entered = any_entered or entered
    return out


def chart_svg(points: list[Milestone], *, width: int = 560, height: int = 240) -> SafeString:
    """Plan (blue) against actual (red where lagging) as an SVG line chart, 0–100%, the
    milestones placed by their month on a January-to-December axis; the legend above the
    plot, and room on the right for the last month's label."""
    left, right, top, bottom = 44, 28, 30, 36
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(i: int) -> float:
        return round(left + plot_w * points[i].month / 12, 1)

    def y(value: Decimal) -> float:
        return round(top + plot_h * (1 - float(value) / 100), 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="schedule-chart" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        'aria-label="资金支出计划与实际执行">'
    ]
    for level in (0, 25, 50, 75, 100):
        level_y = y(Decimal(level))
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{level_y}" y2="{level_y}" '
            f'stroke="#d9e2ec" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{level_y + 4}" font-size="11" text-anchor="end" '
            f'fill="#616e7c">{level}%</text>'
        )
    for i, point in enumerate(points):
        parts.append(
            f'<text x="{x(i)}" y="{height - 12}" font-size="12" text-anchor="middle" '
            f'fill="#1f2933">{escape(point.label)}</text>'
        )
    plan = " ".join(f"{x(i)},{y(p.planned)}" for i, p in enumerate(points))
    parts.append(f'<polyline points="{plan}" fill="none" stroke="#1d4e89" stroke-width="2"/>')
    actual = [(i, p) for i, p in enumerate(points) if p.actual is not None]
    if actual:
        line = " ".join(f"{x(i)},{y(p.actual)}" for i, p in actual)
        parts.append(
            f'<polyline points="{line}" fill="none" stroke="#a4161a" stroke-width="2" '
            f'stroke-dasharray="6 3"/>'
        )
    for i, p in actual:
        colour = "#d64545" if p.lagging else "#2f7d32"
        css = "actual-point lagging" if p.lagging else "actual-point"
        parts.append(
            f'<circle cx="{x(i)}" cy="{y(p.actual)}" r="4" fill="{colour}" class="{css}"/>'
            f'<text x="{x(i)}" y="{y(p.actual) - 8}" font-size="11" text-anchor="middle" '
            f'fill="{colour}">{format_number(p.actual)}%</text>'
        )
    legend_x, legend_y = width - right - 120, 12
    parts.append(
        f'<g font-size="11"><line x1="{legend_x}" x2="{legend_x + 18}" y1="{legend_y}" '
        f'y2="{legend_y}" stroke="#1d4e89" stroke-width="2"/>'
        f'<text x="{legend_x + 22}" y="{legend_y + 4}">计划</text>'
        f'<line x1="{legend_x + 60}" x2="{legend_x + 78}" y1="{legend_y}" y2="{legend_y}" '
        f'stroke="#a4161a" stroke-width="2" stroke-dasharray="6 3"/>'
        f'<text x="{legend_x + 82}" y="{legend_y + 4}">实际</text></g>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # built from numbers and fixed labels only


def grade_chart_svg(counts: dict[str, int], *, width: int = 360, height: int = 200) -> SafeString:
    """Bars of how many projects ended 优/良/中/差."""
    colours = {"优": "#2f7d32", "良": "#6aa84f", "中": "#e0a800", "差": "#d64545"}
    top, bottom, left = 20, 30, 20
    plot_h = height - top - bottom
    most = max(counts.values()) or 1
    bar = (width - 2 * left) / (len(counts) * 2)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="grade-chart" viewBox="0 0 {width} '
        f'{height}" width="{width}" height="{height}" role="img" aria-label="自评等级分布">'
    ]
    for i, (grade, count) in enumerate(counts.items()):
        h = round(plot_h * count / most, 1)
        x = round(left + bar * (2 * i + 0.5), 1)
        y = round(top + plot_h - h, 1)
        parts.append(
            f'<rect x="{x}" y="{y}" width="{round(bar, 1)}" height="{h}" fill="{colours[grade]}"/>'
            f'<text x="{x + bar / 2}" y="{y - 4}" font-size="12" '
            f'text-anchor="middle">{count}</text>'
            f'<text x="{x + bar / 2}" y="{height - 10}" font-size="13" text-anchor="middle">'
            f"{grade}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # numbers and fixed labels only
