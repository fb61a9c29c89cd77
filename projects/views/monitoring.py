"""执行监控: actual spending against the schedule, per project and per unit-year."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from departments.access import get_department_year
from perfbudget.lib.numbers import NotANumber, read_number
from projects import monitoring
from projects.access import get_project, require_write
from projects.models import BudgetYear, Project
from projects.services import (
    MonitoringRefused,
    monitoring_save,
)

MONITORING_SAVED = "实际支出已保存。"


@require_http_methods(["GET", "POST"])
def project_monitoring(request: HttpRequest, year: int, code: str) -> HttpResponse:
    """Plan against actual spending at each milestone, and the form to record the actual."""
    project, access = get_project(request, year, code)
    months = BudgetYear.milestones_of(year)
    if request.method == "POST":
        require_write(access)
        try:
            actual = {m: read_number(request.POST.get(f"actual_{m}")) for m in months}
            monitoring_save(project=project, actual=actual)
        except (MonitoringRefused, NotANumber) as refused:
            message = str(refused) if isinstance(refused, MonitoringRefused) else "请填写数字"
            messages.error(request, f"未保存：{message}")
        else:
            messages.success(request, MONITORING_SAVED)
        return redirect("projects:monitoring", year, code)
    points = monitoring.milestones(project, months)
    return render(
        request,
        "projects/monitoring.html",
        {
            "project": project,
            "points": points,
            "chart": monitoring.chart_svg(points),
            "editable": access.can_write,
        },
    )


def department_monitoring(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """Every project of the unit-year with its plan and actual, lagging ones first."""
    department_year, _ = get_department_year(request.user, code, year)
    months = BudgetYear.milestones_of(year)
    projects = (
        Project.objects.filter(department=department_year.department, year=year)
        .prefetch_related("schedule")
        .in_booklet_order()
    )
    rows = [(p, monitoring.milestones(p, months)) for p in projects]
    lagging = [(p, points) for p, points in rows if any(m.lagging for m in points)]
    return render(
        request,
        "projects/department_monitoring.html",
        {
            "department_year": department_year,
            "rows": rows,
            "lagging": lagging,
            "labels": [BudgetYear.milestone_label(m) for m in months],
        },
    )
