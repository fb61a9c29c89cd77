"""绩效自评: the year-end self-evaluation of a project and the unit's summary."""

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_POST

from departments.access import get_department_year
from indicators.models import FUND_COLUMNS, FUND_SOURCES, Achievement
from perfbudget.lib.downloads import PDF, XLSX
from perfbudget.lib.grades import Grade
from perfbudget.lib.numbers import NotANumber, format_number, read_number
from projects import evaluation, monitoring
from projects.access import get_project, require_write
from projects.documents import evaluation_table, pdf, xlsx

EVALUATION_SAVED = "自评已保存。"


def _evaluation_for(request, year: int, code: str):
    project, access = get_project(request, year, code)
    project = evaluation_table.for_evaluation().get(pk=project.pk)
    return project, access, evaluation_table.build_evaluation(project)


class Refused(evaluation.EvaluationRefused):
    """Posted input that is no number (or a negative amount), with the input it came from."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


def _money_or_error(post, field: str, label: str) -> Decimal:
    value = _optional_decimal(post, field, label)
    if value is None:
        raise Refused(f"{label}须为数字（万元）", field)
    if value < 0:
        raise Refused(f"{label}不能为负数", field)
    return value


def _optional_decimal(post, field: str, label: str) -> Decimal | None:
    try:
        return read_number(post.get(field, ""))
    except NotANumber:
        raise Refused(f"{label}须为数字", field) from None


def _posted_evaluation(post, table) -> tuple[dict, dict]:
    """The amounts and each indicator's result as posted; a number that is no number refused,
    naming the input (and the indicator) it is in."""
    amounts = {
        "initial_budget": _money_or_error(post, "initial_budget", "年初预算数"),
        "annual_budget": _money_or_error(post, "annual_budget", "全年预算数"),
        "executed": _money_or_error(post, "executed", "全年执行数"),
        "outcome": post.get("outcome", ""),
    }
    for source, source_label in FUND_SOURCES:
        for key, _, column in FUND_COLUMNS:
            field, label = f"{source}_{key}", f"{source_label}的{column}"
            value = _optional_decimal(post, field, label)
            if value is not None and value < 0:
                raise Refused(f"{label}不能为负数", field)
            amounts[field] = value
    results = {}
    for row in table.rows:
        pk = row.indicator.pk
        results[pk] = {
            "actual": post.get(f"actual_{pk}", ""),
            "achievement": post.get(f"achievement_{pk}", ""),
            "share": _optional_decimal(post, f"share_{pk}", f"{row.name}：得分比例"),
            "weight": _optional_decimal(post, f"weight_{pk}", f"{row.name}：权重"),
            "reason": post.get(f"reason_{pk}", ""),
        }
    return amounts, results


def _posted_version(post) -> int | None:
    """The version the page was opened at (NEW before the first save); None when the form
    carries none."""
    text = post.get("evaluation_version")
    if text is None:
        return None
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else evaluation.NEW


def _shown(value) -> str:
    if value is None:
        return ""
    return format_number(value) if isinstance(value, Decimal) else str(value)


def _entry(project, table, post=None, invalid: str = "") -> dict:
    """What the entry form shows: the stored self-evaluation (a new one starts from the
    project's budget), or after a refused save what was typed, so that nothing typed is lost,
    with the input at fault marked."""
    ev = table.evaluation
    stored = {"outcome": ev.outcome if ev else ""}
    for _, field, _ in FUND_COLUMNS:
        default = project.budget_total if field != "executed" else None
        stored[field] = getattr(ev, field) if ev else default
    for source, _ in FUND_SOURCES:
        for key, _, _ in FUND_COLUMNS:
            stored[f"{source}_{key}"] = getattr(ev, f"{source}_{key}") if ev else None
    for row in table.rows:
        pk, result = row.indicator.pk, getattr(row.indicator, "result", None)
        stored[f"actual_{pk}"] = row.actual
        stored[f"reason_{pk}"] = row.reason
        for key, attribute in (("achievement", "achievement"), ("share", "achievement_share")):
            stored[f"{key}_{pk}"] = getattr(result, attribute) if result else None
        stored[f"weight_{pk}"] = result.weight if result else None

    def shown(field: str) -> str:
        return post.get(field, "") if post is not None else _shown(stored[field])

    def cell(field: str, label: str) -> dict:
        return {"name": field, "label": label, "value": shown(field), "invalid": field == invalid}

    return {
        "version": post.get("evaluation_version", "")
        if post is not None
        else (ev.version if ev else ""),
        "totals": [cell(field, column) for _, field, column in FUND_COLUMNS],
        "funds": [
            (
                label,
                [cell(f"{source}_{key}", f"{label}的{column}") for key, _, column in FUND_COLUMNS],
            )
            for source, label in FUND_SOURCES
        ],
        "outcome": cell("outcome", "年度总体目标实际完成情况"),
        "rows": [
            {
                "row": row,
                **{
                    key: cell(f"{key}_{row.indicator.pk}", key)
                    for key in ("actual", "achievement", "share", "weight", "reason")
                },
            }
            for row in table.rows
        ],
    }


@require_http_methods(["GET", "POST"])
def project_evaluation(request: HttpRequest, year: int, code: str) -> HttpResponse:
    """The 自评表 and, for finance staff, the form that fills it."""
    project, access, table = _evaluation_for(request, year, code)
    confirmed = bool(table.evaluation and table.evaluation.confirmed)
    entry = None
    if request.method == "POST":
        require_write(access)
        try:
            amounts, results = _posted_evaluation(request.POST, table)
            evaluation.evaluation_save(
                project=project,
                amounts=amounts,
                results=results,
                expected_version=_posted_version(request.POST),
            )
        except evaluation.EvaluationRefused as refused:
            entry = _entry(project, table, request.POST, getattr(refused, "field", ""))
            entry["refused"] = f"未保存：{refused}"
            if confirmed:  # no form to show it in
                messages.error(request, entry["refused"])
        else:
            messages.success(request, EVALUATION_SAVED)
            return redirect("projects:evaluation", year, code)
    return render(
        request,
        "projects/evaluation.html",
        {
            "project": project,
            "table": table,
            "editable": access.can_write and not confirmed,
            "confirmed": confirmed,
            "can_confirm": access.can_review(project.section_id) and not confirmed,
            "achievements": Achievement.choices,
            "entry": entry or _entry(project, table),
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
    response = HttpResponse(pdf.evaluation_pdf(table), content_type=PDF)
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
    department_year, _ = get_department_year(request.user, code, year)
    projects = (
        evaluation_table.for_evaluation()
        .filter(department=department_year.department, year=year)
        .in_booklet_order()
    )
    tables = [evaluation_table.build_evaluation(p) for p in projects]
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
