"""绩效自评: the year-end self-evaluation of a project and the unit's summary."""

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_POST

from departments.access import get_department_year
from indicators.models import FUND_COLUMNS, Achievement
from perfbudget.lib.downloads import PDF, XLSX
from perfbudget.lib.grades import Grade
from perfbudget.lib.numbers import NotANumber, read_number
from projects import evaluation, monitoring
from projects.access import get_project, require_write
from projects.documents import evaluation_table, pdf, xlsx

EVALUATION_SAVED = "自评已保存。"
FUND_SOURCES = (("fiscal", "当年财政拨款"), ("carryover", "上年结转资金"))


def _evaluation_for(request, year: int, code: str):
    project, access = get_project(request, year, code)
    project = evaluation_table.for_evaluation().get(pk=project.pk)
    return project, access, evaluation_table.build_evaluation(project)


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


def _posted_evaluation(post, table) -> tuple[dict, dict]:
    """The amounts and each indicator's result as posted; a number that is no number refused."""
    amounts = {
        "initial_budget": _money_or_error(post.get("initial_budget", ""), "年初预算数"),
        "annual_budget": _money_or_error(post.get("annual_budget", ""), "全年预算数"),
        "executed": _money_or_error(post.get("executed", ""), "全年执行数"),
        "outcome": post.get("outcome", ""),
    }
    for source, source_label in FUND_SOURCES:
        for key, _, column in FUND_COLUMNS:
            label = f"{source_label}的{column}"
            value = _optional_decimal(post.get(f"{source}_{key}", ""), label)
            if value is not None and value < 0:
                raise evaluation.EvaluationRefused(f"{label}不能为负数")
            amounts[f"{source}_{key}"] = value
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
    return amounts, results


def _fund_inputs(ev) -> list:
    """The entry form's rows of 当年财政拨款 and 上年结转资金, with their values."""
    return [
        (
            source,
            label,
            [
                (key, column, getattr(ev, f"{source}_{key}") if ev else None)
                for key, _, column in FUND_COLUMNS
            ],
        )
        for source, label in FUND_SOURCES
    ]


@require_http_methods(["GET", "POST"])
def project_evaluation(request: HttpRequest, year: int, code: str) -> HttpResponse:
    """The 自评表 and, for finance staff, the form that fills it."""
    project, access, table = _evaluation_for(request, year, code)
    confirmed = bool(table.evaluation and table.evaluation.confirmed)
    if request.method == "POST":
        require_write(access)
        try:
            amounts, results = _posted_evaluation(request.POST, table)
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
            "grid": evaluation_table.grid(table),
            "editable": access.can_write and not confirmed,
            "confirmed": confirmed,
            "can_confirm": access.can_review(project.section_id) and not confirmed,
            "achievements": Achievement.choices,
            "fund_inputs": _fund_inputs(table.evaluation),
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
