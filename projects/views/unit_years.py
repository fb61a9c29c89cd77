"""A unit-year's pages under /departments/<code>/<year>/: the booklet and data-workbook
downloads, copying the year, the booklet order, the review of 第一部分 and its history."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from departments.access import (
    get_department_for_admin,
    get_department_year,
    get_rw_department_year,
)
from jobs.models import Kind, State
from jobs.services import job_for
from jobs.views import serve_file, to_job_page
from perfbudget.lib.downloads import (
    CONTENT_TYPES,
    XLSX,
    browser_has,
    cached_download,
    not_modified,
)
from perfbudget.lib.numbers import number_or_none
from projects import history, workflow
from projects.documents.booklet import (
    DRAWERS,
    booklet_key,
    data_workbook_key,
    department_tables,
)
from projects.documents.data_workbook import data_workbook
from projects.documents.part_one import build_part_one
from projects.documents.stamp import unit_year_stamp
from projects.models import Project
from projects.services import (
    OrderRefused,
    UnitYearRefused,
    booklet_order_save,
    order_refusal,
    unit_year_copy,
    unit_year_create,
)
from projects.views.common import run_copy, run_transition, trail_response


def download_booklet(request: HttpRequest, code: str, year: int, kind: str) -> HttpResponse:
    """The whole booklet (第一部分 and every table in the booklet's order), cached by the
    unit-year's stamp: a re-download or a 304 builds no table."""
    department_year, _ = get_department_year(request.user, code, year)
    stamp = unit_year_stamp(department_year)
    if stamp.tables >= settings.JOB_MIN_TABLES:
        return _booklet_by_job(request, department_year, kind, stamp)
    draw = DRAWERS[kind]
    return cached_download(
        request,
        key=booklet_key(stamp.key, kind),
        render=lambda: draw(build_part_one(department_year), department_tables(department_year)),
        filename=f"{department_year.title}.{kind}",
        content_type=CONTENT_TYPES[kind],
    )


def _booklet_by_job(request, department_year, kind: str, stamp) -> HttpResponse:
    """A large unit's booklet is drawn by a background job."""
    key = booklet_key(stamp.key, kind)
    filename = f"{department_year.title}.{kind}"
    return _by_job(request, department_year, f"booklet_{kind}", key, filename)


def _by_job(request, department_year, kind: str, key: str, filename: str) -> HttpResponse:
    """A large unit's file drawn by a background job: the file when it is ready (or a 304),
    otherwise the job's page with its progress."""
    if browser_has(request, key):
        return not_modified(key)
    job = job_for(
        user=request.user,
        kind=kind,
        department_year=department_year,
        year=department_year.year,
        stamp=key,
        filename=filename,
    )
    if job.state == State.DONE:
        return serve_file(request, job)
    return to_job_page(job)


def download_data_workbook(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """The unit-year's data workbook, named by the unit-year's stamp as its booklet is (a
    re-download or a 304 builds no sheet); a large unit's by a background job."""
    department_year, _ = get_department_year(request.user, code, year)
    filename = f"{department_year.department.code}-{year}-数据工作簿.xlsx"
    stamp = unit_year_stamp(department_year)
    key = data_workbook_key(stamp.key, department_year.version)
    if stamp.tables >= settings.JOB_MIN_TABLES:
        return _by_job(request, department_year, Kind.DATA_XLSX, key, filename)
    return cached_download(
        request,
        key=key,
        render=lambda: data_workbook(department_year),
        filename=filename,
        content_type=XLSX,
    )


@require_POST
def department_year_copy(request: HttpRequest, code: str, year: int) -> HttpResponse:
    department_year, _ = get_rw_department_year(request.user, code, year)
    copy = run_copy(
        request,
        lambda target: unit_year_copy(department_year=department_year, year=target),
        lambda made: made.title,
    )
    if copy is not None:
        return redirect("unit_year:detail", code, copy.year)
    return redirect("unit_year:detail", code, year)


ORDER_SAVED = "目录顺序已保存。"


@require_http_methods(["GET", "POST"])
def booklet_order(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """The order of the project tables in the booklet (第二部分)."""
    department_year, _ = get_rw_department_year(request.user, code, year)
    if refusal := order_refusal(department_year):
        messages.error(request, refusal)
        return redirect("unit_year:detail", code, year)
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
            try:
                booklet_order_save(
                    department_year=department_year, projects=projects, positions=positions
                )
            except OrderRefused as refused:
                messages.error(request, str(refused))
            else:
                messages.success(request, ORDER_SAVED)
            return redirect("unit_year:detail", code, year)
    return render(
        request,
        "projects/booklet_order.html",
        {"department_year": department_year, "projects": projects, "error": error},
    )


TRANSITIONS = {
    "submit": workflow.department_year_submit,
    "review": workflow.department_year_review,
    "reopen": workflow.department_year_reopen,
}


@require_POST
def department_year_transition(
    request: HttpRequest, code: str, year: int, action: str
) -> HttpResponse:
    department_year, access = get_department_year(request.user, code, year)
    service = TRANSITIONS[action]
    run_transition(request, action, service, department_year=department_year, access=access)
    return redirect("unit_year:detail", code, year)


def department_year_history(request: HttpRequest, code: str, year: int) -> HttpResponse:
    department_year, _ = get_department_year(request.user, code, year)
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
