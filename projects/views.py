import secrets
from decimal import Decimal

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_POST
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from departments.access import (
    can_write,
    departments_for_user,
    get_department_year_for_user,
    unit_access,
    writable_departments,
)
from departments.models import DepartmentYear, Membership, Role, SectionIndicator
from indicators.checks import review_aid
from indicators.models import Achievement
from perfbudget.lib.downloads import PDF, XLSX, cached_download
from perfbudget.lib.grades import Grade, Status
from perfbudget.lib.numbers import NotANumber, read_number
from projects import evaluation, history, monitoring, pdf, workflow, xlsx
from projects.data_workbook import content_key as data_content_key
from projects.data_workbook import data_workbook, data_workbook_sheets
from projects.exports import booklet_key, department_tables
from projects.filters import ProjectFilter
from projects.forms import ImportUploadForm
from projects.import_findings import plan_findings
from projects.importer import ImportRejected, import_apply, import_prepare
from projects.models import BudgetYear, Project
from projects.services import (
    CopyRefused,
    MonitoringRefused,
    booklet_order_save,
    monitoring_save,
    project_copy_to_year,
    unit_year_copy,
)
from projects.tables import ProjectTable
from projects.target_table import TargetTable, build_target_table, milestones_for_year


def get_project_for_user(request: HttpRequest, year: int, code: str) -> tuple[Project, bool]:
    """The project with everything its table shows, and whether the user may edit it.
    Unknown projects and projects of units the user holds no role in are both 404."""
    project, access = _project_and_access(request, year, code)
    return project, access.can_write


def _project_and_access(request: HttpRequest, year: int, code: str):
    try:
        project = (
            Project.objects.for_table()
            .filter(department__in=departments_for_user(request.user))
            .get(year=year, code=code)
        )
    except Project.DoesNotExist:
        raise Http404("没有找到该项目") from None
    return project, unit_access(request.user, project.department)


class ProjectListView(SingleTableMixin, FilterView):
    table_class = ProjectTable
    filterset_class = ProjectFilter
    template_name = "projects/project_list.html"
    paginate_by = 25

    def get_queryset(self):
        return Project.objects.for_list().filter(
            department__in=departments_for_user(self.request.user)
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_import"] = writable_departments(self.request.user).exists()
        return context

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["departments"] = departments_for_user(self.request.user)
        return kwargs


def project_detail(request: HttpRequest, year: int, code: str) -> HttpResponse:
    project, access = _project_and_access(request, year, code)
    milestones = milestones_for_year(project.year)
    table = build_target_table(project, milestones)
    aid = review_aid(project, milestones)
    return render(
        request,
        "projects/project_detail.html",
        {
            "project": project,
            "table": table,
            "editable": access.can_write,
            "findings": aid.findings,
            "aid": aid,
            "can_review": access.can_review(project.section_id),
            "own_submission": project.is_own_submission(request.user),
            "one_person": project.department.is_one_person(),
            "can_reopen": access.is_admin,
            "grades": Grade.choices,
        },
    )


def _table_for(request: HttpRequest, year: int, code: str) -> TargetTable:
    project, _ = get_project_for_user(request, year, code)
    return build_target_table(project, milestones_for_year(project.year))


def download_table_pdf(request: HttpRequest, year: int, code: str) -> HttpResponse:
    table = _table_for(request, year, code)
    return cached_download(
        request,
        kind="table.pdf",
        content_key=table.content_key(),
        render=lambda: pdf.table_pdf(table),
        filename=f"{table.heading}.pdf",
        content_type=PDF,
    )


def download_table_xlsx(request: HttpRequest, year: int, code: str) -> HttpResponse:
    table = _table_for(request, year, code)
    return cached_download(
        request,
        kind="table.xlsx",
        content_key=table.content_key() + repr(xlsx.table_meta(table)),
        render=lambda: xlsx.table_workbook(table),
        filename=f"{table.heading}.xlsx",
        content_type=XLSX,
    )


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


IMPORT_EXPIRED = "上传的文件已过期或不存在，请重新上传。"
IMPORT_DONE = "导入完成：{summary}。"


def _upload_key(request: HttpRequest) -> str:
    # One pending upload per user: a new upload replaces the last, so no one can fill the
    # cache with files by uploading again and again.
    return f"import-upload:{request.user.pk}"


@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    """Upload a workbook, see every problem or what would change, then confirm. The file is
    checked again on confirmation: nothing is written from a stale preview."""
    if not writable_departments(request.user).exists():
        raise PermissionDenied("只有财务人员和管理员可以导入")
    context: dict = {"form": ImportUploadForm()}
    if request.method == "POST" and "token" in request.POST:
        return _import_confirm(request)
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        context["form"] = form
        if form.is_valid():
            data, year = form.cleaned_data["file"].read(), form.cleaned_data["year"]
            try:
                plan = import_prepare(data, user=request.user, default_year=year)
            except ImportRejected as rejected:
                context["problems"] = rejected.problems
            else:
                token = secrets.token_urlsafe(16)
                seen = (plan.versions, plan.unit_versions)
                cache.set(_upload_key(request), (token, data, year, seen), timeout=3600)
                context.update(
                    plan=plan,
                    token=token,
                    filename=form.cleaned_data["file"].name,
                    plan_findings=plan_findings(plan),
                )
    return render(request, "projects/import.html", context)


def _import_confirm(request: HttpRequest) -> HttpResponse:
    key = _upload_key(request)
    stored = cache.get(key)
    if stored is None or not secrets.compare_digest(
        stored[0].encode(), request.POST["token"].encode()
    ):
        messages.error(request, IMPORT_EXPIRED)
        return redirect("projects:import")
    _, data, year, seen = stored
    try:
        plan = import_prepare(data, user=request.user, default_year=year, seen=seen)
    except ImportRejected as rejected:
        return render(
            request,
            "projects/import.html",
            {"form": ImportUploadForm(), "problems": rejected.problems},
        )
    try:
        import_apply(plan, user=request.user)
    except ImportRejected as rejected:
        return render(
            request,
            "projects/import.html",
            {"form": ImportUploadForm(), "problems": rejected.problems},
        )
    cache.delete(key)
    messages.success(request, IMPORT_DONE.format(summary=plan.summary))
    return redirect("projects:list")


COPIED = "已结转到 {year} 年（草稿）：{what}"


@require_POST
def project_copy(request: HttpRequest, year: int, code: str) -> HttpResponse:
    project, editable = get_project_for_user(request, year, code)
    if not editable:
        raise PermissionDenied("您没有修改该单位项目的权限。")
    try:
        target = int(request.POST.get("year", ""))
        copy = project_copy_to_year(project=project, year=target)
    except ValueError:
        messages.error(request, "请填写要结转到的年度")
    except CopyRefused as refused:
        messages.error(request, f"未结转：{refused}")
    else:
        messages.success(request, COPIED.format(year=target, what=copy.heading))
        return redirect("projects:detail", copy.year, copy.code)
    return redirect("projects:detail", year, code)


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
        return redirect("departments:year_detail", code, target)
    return redirect("departments:year_detail", code, year)


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
            return redirect("departments:year_detail", code, year)
    return render(
        request,
        "projects/booklet_order.html",
        {"department_year": department_year, "projects": projects, "error": error},
    )


# --- the review cycle --------------------------------------------------------------------------

TRANSITION_DONE = {
    "submit": "已提交，等待审核。",
    "review": "审核结果已保存。",
    "reopen": "已重新打开为草稿。",
}


def _transition(request, action: str, run, back) -> HttpResponse:
    try:
        run()
    except workflow.WorkflowRefused as refused:
        messages.error(request, f"操作未完成：{refused}")
    else:
        messages.success(request, TRANSITION_DONE[action])
    return back


@require_POST
def project_transition(request: HttpRequest, year: int, code: str, action: str) -> HttpResponse:
    project, _ = get_project_for_user(request, year, code)
    runs = {
        "submit": lambda: _submit_project(request, project),
        "review": lambda: workflow.project_review(
            project=project,
            user=request.user,
            grade=request.POST.get("grade", ""),
            comment=request.POST.get("comment", ""),
        ),
        "reopen": lambda: workflow.project_reopen(
            project=project, user=request.user, reason=request.POST.get("reason", "")
        ),
    }
    if action not in runs:
        raise Http404("没有这个操作")
    return _transition(request, action, runs[action], redirect("projects:detail", year, code))


def _submit_project(request: HttpRequest, project: Project) -> None:
    workflow.project_submit(project=project, user=request.user)
    if project.section_id is None:
        # No chief's 待我审核 lists it, only the unit administrator's: say so.
        messages.warning(request, workflow.NO_SECTION)


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
    back = redirect("departments:year_detail", code, year)
    return _transition(request, action, runs[action], back)


def _trail_response(request, title: str, entries, back_url: str) -> HttpResponse:
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(history.trail_workbook(title, entries), content_type=XLSX)
        response["Content-Disposition"] = content_disposition_header(True, f"{title}-修改记录.xlsx")
        return response
    return render(
        request, "projects/history.html", {"title": title, "entries": entries, "back_url": back_url}
    )


def project_history(request: HttpRequest, year: int, code: str) -> HttpResponse:
    project, _ = get_project_for_user(request, year, code)
    back = reverse("projects:detail", args=[year, code])
    return _trail_response(request, project.heading, history.project_trail(project), back)


def department_year_history(request: HttpRequest, code: str, year: int) -> HttpResponse:
    department_year = get_department_year_for_user(request.user, code, year)
    back = reverse("departments:year_detail", args=[code, year])
    entries = history.department_year_trail(department_year)
    return _trail_response(request, department_year.title, entries, back)


def home(request: HttpRequest) -> HttpResponse:
    """The start page: the user's units and roles, each unit's years, and what waits for them."""
    user = request.user
    readable = departments_for_user(user)
    department_years = (
        DepartmentYear.objects.filter(department__in=readable)
        .select_related("department")
        .order_by("department__code", "-year")
    )
    memberships = (
        Membership.objects.filter(user=user)
        .select_related("department")
        .prefetch_related("sections")
    )
    return render(
        request,
        "departments/home.html",
        {
            "department_years": department_years,
            "memberships": memberships,
            **_waiting(user, readable, memberships),
        },
    )


def _waiting(user, readable, memberships) -> dict:
    """待我审核, 被退回 and 待评级 for this user."""
    admin_units = [m.department_id for m in memberships if m.role == Role.ADMIN]
    chief_sections = [s.pk for m in memberships if m.role == Role.CHIEF for s in m.sections.all()]
    if user.is_superuser:
        admin_units = list(readable.values_list("pk", flat=True))
    to_review = (
        Project.objects.for_list()
        .filter(status=Status.SUBMITTED)
        .filter(Q(section__in=chief_sections) | Q(department__in=admin_units))
        .exclude(submitted_by=user, department__single_person=False)
        .order_by("-year", "booklet_order")
    )
    units_to_review = (
        DepartmentYear.objects.filter(status=Status.SUBMITTED, department__in=admin_units)
        .exclude(submitted_by=user, department__single_person=False)
        .select_related("department")
    )
    returned = (
        Project.objects.for_list()
        .filter(department__in=writable_departments(user), status=Status.DRAFT)
        .exclude(review_grade="")
        .order_by("-year", "booklet_order")
    )
    to_rate = (
        SectionIndicator.objects.filter(section__in=chief_sections)
        .filter(Q(rating__isnull=True) | Q(rating__confirmed=False))
        .select_related("section__department")
        .order_by("-year", "section__order", "order")
    )
    return {
        "to_review": to_review,
        "units_to_review": units_to_review,
        "returned": returned,
        "to_rate": to_rate,
    }


# --- monitoring ------------------------------------------------------------------------------

MONITORING_SAVED = "实际支出已保存。"


@require_http_methods(["GET", "POST"])
def project_monitoring(request: HttpRequest, year: int, code: str) -> HttpResponse:
    """Plan against actual spending at each milestone, and the form to record the actual."""
    project, access = _project_and_access(request, year, code)
    months = milestones_for_year(year)
    if request.method == "POST":
        if not access.can_write:
            raise PermissionDenied("您没有记录该项目执行情况的权限。")
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
    department_year = get_department_year_for_user(request.user, code, year)
    months = milestones_for_year(year)
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


# --- year-end self-evaluation --------------------------------------------------------------

EVALUATION_SAVED = "自评已保存。"


def _evaluation_for(request, year: int, code: str):
    project, access = _project_and_access(request, year, code)
    project = evaluation.for_evaluation().get(pk=project.pk)
    return project, access, evaluation.build_evaluation(project)


def _money_or_error(text: str, label: str) -> Decimal:
    value = _optional_decimal(text, label)
    if value is None:
        raise evaluation.EvaluationRefused(f"{label}须为数字（万元）")
    if value < 0:
        raise evaluation.EvaluationRefused(f"{label}不能为负数")
    return value


def _optional_decimal(text: str, label: str) -> Decimal | None:
    try:
        return read_number(text)
    except NotANumber:
        raise evaluation.EvaluationRefused(f"{label}须为数字") from None


@require_http_methods(["GET", "POST"])
def project_evaluation(request: HttpRequest, year: int, code: str) -> HttpResponse:
    """The 自评表 and, for finance staff, the form that fills it."""
    project, access, table = _evaluation_for(request, year, code)
    confirmed = bool(table.evaluation and table.evaluation.status == "confirmed")
    if request.method == "POST":
        if not access.can_write:
            raise PermissionDenied("您没有填写该项目自评的权限。")
        post = request.POST
        try:
            amounts = {
                "initial_budget": _money_or_error(post.get("initial_budget", ""), "年初预算数"),
                "annual_budget": _money_or_error(post.get("annual_budget", ""), "全年预算数"),
                "executed": _money_or_error(post.get("executed", ""), "全年执行数"),
            }
            results = {
                row.indicator.pk: {
                    "actual": post.get(f"actual_{row.indicator.pk}", ""),
                    "achievement": post.get(f"achievement_{row.indicator.pk}", ""),
                    "share": _optional_decimal(post.get(f"share_{row.indicator.pk}"), "得分比例"),
                    "weight": _optional_decimal(post.get(f"weight_{row.indicator.pk}"), "权重"),
                    "reason": post.get(f"reason_{row.indicator.pk}", ""),
                }
                for row in table.rows
            }
            evaluation.evaluation_save(project=project, amounts=amounts, results=results)
        except (evaluation.EvaluationRefused, ValidationError) as refused:
            text = (
                "；".join(refused.messages)
                if isinstance(refused, ValidationError)
                else str(refused)
            )
            messages.error(request, f"未保存：{text}")
        else:
            messages.success(request, EVALUATION_SAVED)
        return redirect("projects:evaluation", year, code)
    return render(
        request,
        "projects/evaluation.html",
        {
            "project": project,
            "table": table,
            "grid": evaluation.grid(table),
            "editable": access.can_write and not confirmed,
            "confirmed": confirmed,
            "can_confirm": access.can_review(project.section_id) and not confirmed,
            "achievements": Achievement.choices,
        },
    )


@require_POST
def project_evaluation_confirm(request: HttpRequest, year: int, code: str) -> HttpResponse:
    project, access, _ = _evaluation_for(request, year, code)
    if not access.can_review(project.section_id):
        raise PermissionDenied("只有该项目责任科室的负责人或单位管理员可以确认自评。")
    try:
        evaluation.evaluation_confirm(project=project)
    except evaluation.EvaluationRefused as refused:
        messages.error(request, f"未确认：{refused}")
    else:
        messages.success(request, "自评已确认。")
    return redirect("projects:evaluation", year, code)


def project_evaluation_pdf(request: HttpRequest, year: int, code: str) -> HttpResponse:
    project, _, table = _evaluation_for(request, year, code)
    html = render_to_string("pdf/evaluation.html", {"table": table, "grid": evaluation.grid(table)})
    response = HttpResponse(pdf.document_pdf(html), content_type=PDF)
    name = f"{project.table_number}.{project.table_name}绩效自评表.pdf"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


def project_evaluation_xlsx(request: HttpRequest, year: int, code: str) -> HttpResponse:
    project, _, table = _evaluation_for(request, year, code)
    response = HttpResponse(xlsx.evaluation_workbook(table), content_type=XLSX)
    name = f"{project.table_number}.{project.table_name}绩效自评表.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


def department_evaluations(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """The unit's self-evaluation summary: budget, executed, rate, score and grade per project,
    and how the grades are spread."""
    department_year = get_department_year_for_user(request.user, code, year)
    projects = (
        evaluation.for_evaluation()
        .filter(department=department_year.department, year=year)
        .in_booklet_order()
    )
    tables = [evaluation.build_evaluation(p) for p in projects]
    order = request.GET.get("sort", "")
    if order == "score":
        tables.sort(key=lambda t: (t.total_score is None, -(t.total_score or 0)))
    counts = {grade: 0 for grade in Grade.values}
    for table in tables:
        if table.grade:
            counts[table.grade] += 1
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(xlsx.evaluation_summary_workbook(tables), content_type=XLSX)
        name = f"{code}-{year}-绩效自评汇总.xlsx"
        response["Content-Disposition"] = content_disposition_header(True, name)
        return response
    return render(
        request,
        "projects/department_evaluations.html",
        {
            "department_year": department_year,
            "tables": tables,
            "counts": counts,
            "chart": monitoring.grade_chart_svg(counts),
        },
    )
