"""A unit administrator opens a budget year for the unit (its 第一部分 as an empty draft)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from departments.access import get_department_for_admin
from perfbudget.lib.numbers import number_or_none
from projects.services import UnitYearRefused, unit_year_create


@require_POST
def unit_year_new(request: HttpRequest, code: str) -> HttpResponse:
    department, _ = get_department_for_admin(request.user, code)
    year = number_or_none(request.POST.get("year"))
    if year is None or year != int(year):
        messages.error(request, "请选择年度。")
        return redirect("departments:manage", code)
    try:
        department_year = unit_year_create(department=department, year=int(year))
    except UnitYearRefused as refused:
        messages.error(request, f"未创建：{refused}")
        return redirect("departments:manage", code)
    messages.success(request, f"已创建 {department_year.title}（草稿）。")
    return redirect("departments:year_detail", code, department_year.year)
