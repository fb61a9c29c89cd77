"""A unit-year's pages under /departments/<code>/<year>/: the booklet and data-workbook
downloads, copying the year, the booklet order, the review of 第一部分 and its history."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from departments.access import (
    can_write,
    get_department_for_admin,
    get_department_year_for_user,
)
from perfbudget.lib.downloads import PDF, XLSX, cached_download
from perfbudget.lib.numbers import number_or_none
from projects import history, pdf, workflow, xlsx
from projects.data_workbook import content_key as data_content_key
from projects.data_workbook import data_workbook, data_workbook_sheets
from projects.exports import booklet_key, department_tables
from projects.models import Project
from projects.services import (
    CopyRefused,
    UnitYearRefused,
    booklet_order_save,
    unit_year_copy,
    unit_year_create,
)
from projects.views.common import COPIED, trail_response, transition_response


def _booklet(request: HttpRequest, code: str, year: int):
    department_year = get_department_year_for_user(request.user, code, year)
    tables = department_tables(department_year)
    return department_year, tables, booklet_key(department_year, tables)


def download_booklet_pdf(request: HttpRequest, code: str, year: int) -> HttpResponse:
    department_year, tables, key = _booklet(request, code, year)
    return cached_download(
        request,
        kind="booklet.pdf",
        content_key=key,
        render=lambda: pdf.booklet_pdf(department_year, tables),
        filename=f"{department_year.title}.pdf",
        content_type=PDF,
    )


def download_booklet_xlsx(request: HttpRequest, code: str, year: int) -> HttpResponse:
    department_year, tables, key = _booklet(request, code, year)
    return cached_download(
        request,
        kind="booklet.xlsx",
        content_key=key,
        render=lambda: xlsx.booklet_workbook(department_year, tables),
        filename=f"{department_year.title}.xlsx",
        content_type=XLSX,
    )


def download_data_workbook(request: HttpRequest, code: str, year: int) -> HttpResponse:
    department_year = get_department_year_for_user(request.user, code, year)
    sheets = data_workbook_sheets(department_year)
    return cached_download(
        request,
        kind="data.xlsx",
        content_key=data_content_key(sheets),
        render=lambda: data_workbook(department_year, sheets),
        filename=f"{department_year.department.code}-{year}-数据工作簿.xlsx",
        content_type=XLSX,
    )


@require_POST
def department_year_copy(request: HttpRequest, code: str, year: int) -> HttpResponse:
    department_year = get_department_year_for_user(request.user, code, year)
    if not can_write(request.user, department_year.department):
        raise PermissionDenied("您没有修改该单位绩效目标的权限。")
    try:
        target = int(request.POST.get("year", ""))
        copy = unit_year_copy(department_year=department_year, year=target)
    except ValueError:
        messages.error(request, "请填写要结转到的年度")
    except CopyRefused as refused:
        messages.error(request, f"未结转：{refused}")
    else:
        messages.success(request, COPIED.format(year=target, what=copy.title))
        return redirect("unit_year:detail", code, target)
    return redirect("unit_year:detail", code, year)


ORDER_SAVED = "目录顺序已保存。"


@require_http_methods(["GET", "POST"])
def booklet_order(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """The order of the project tables in the booklet (第二部分)."""
    department_year = get_department_year_for_user(request.user, code, year)
    if not can_write(request.user, department_year.department):
        raise PermissionDenied("您没有修改该单位绩效目标的权限。")
    projects = list(
        Project.objects.filter(department=department_year.department, year=year).in_booklet_order()
    )
    error = None
    if request.method == "POST":
        try:
            positions = {p.pk: int(request.POST.get(f"order-{p.pk}", "")) for p in projects}
        except ValueError:
            error = "顺序须为整数，请检查后重新保存。"
        else:
            booklet_order_save(projects=projects, positions=positions)
            messages.success(request, ORDER_SAVED)
            return redirect("unit_year:detail", code, year)
    return render(
        request,
        "projects/booklet_order.html",
        {"department_year": department_year, "projects": projects, "error": error},
    )


@require_POST
def department_year_transition(
    request: HttpRequest, code: str, year: int, action: str
) -> HttpResponse:
    department_year = get_department_year_for_user(request.user, code, year)
    runs = {
        "submit": lambda: workflow.department_year_submit(
            department_year=department_year, user=request.user
        ),
        "review": lambda: workflow.department_year_review(
            department_year=department_year,
            user=request.user,
            grade=request.POST.get("grade", ""),
            comment=request.POST.get("comment", ""),
        ),
        "reopen": lambda: workflow.department_year_reopen(
            department_year=department_year,
            user=request.user,
            reason=request.POST.get("reason", ""),
        ),
    }
    if action not in runs:
        raise Http404("没有这个操作")
    back = redirect("unit_year:detail", code, year)
    return transition_response(request, action, runs[action], back)


def department_year_history(request: HttpRequest, code: str, year: int) -> HttpResponse:
    department_year = get_department_year_for_user(request.user, code, year)
    back = reverse("unit_year:detail", args=[code, year])
    entries = history.department_year_trail(department_year)
    return trail_response(request, department_year.title, entries, back)


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
    return redirect("unit_year:detail", code, department_year.year)
