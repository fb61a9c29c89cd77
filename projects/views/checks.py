"""The reviewer's pages: a unit-year's 审核检查 (projects ranked by findings, counts per rule,
the workbook) and the printable 审核意见书 of a project."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import content_disposition_header

from departments.access import get_department_year
from indicators.checks import Severity, review_aid
from perfbudget.lib.downloads import PDF, XLSX
from projects.access import get_project
from projects.documents import pdf
from projects.documents.findings import findings_workbook
from projects.findings import department_findings, ranked_projects, rule_counts
from projects.models import BudgetYear


def department_checks(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """Every quality finding of a unit-year on one page, downloadable as a workbook."""
    department_year, _ = get_department_year(request.user, code, year)
    results = department_findings(department_year)
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(findings_workbook(department_year, results), content_type=XLSX)
        filename = f"{department_year.department.code}-{year}-审核结果.xlsx"
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response
    counts = {s.value: 0 for s in Severity}
    for _, findings in results:
        for finding in findings:
            counts[finding.severity] += 1
    return render(
        request,
        "projects/department_checks.html",
        {
            "department_year": department_year,
            "results": results,
            "counts": counts,
            "ranked": ranked_projects(results),
            "rule_counts": rule_counts(results),
        },
    )


def project_opinion_pdf(request: HttpRequest, year: int, code: str) -> HttpResponse:
    """审核意见书: the project's findings by row, with reasons and fixes, the suggested grade and
    the drafted opinion, or the opinion as the reviewer sent it once reviewed."""
    project, _ = get_project(request, year, code)
    aid = review_aid(project, BudgetYear.milestones_of(project.year))
    html = render_to_string(
        "pdf/opinion.html", {"project": project, "aid": aid, "today": timezone.localdate()}
    )
    response = HttpResponse(pdf.document_pdf(html), content_type=PDF)
    name = f"{project.table_number}.{project.table_name}审核意见书.pdf"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
