"""A project's pages: the list, the table, its downloads, copying it into another year, its
review transitions and its history."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from departments.access import (
    departments_for_user,
    writable_departments,
)
from indicators.checks import review_aid
from perfbudget.lib.downloads import CONTENT_TYPES, cached_download, fingerprint
from perfbudget.lib.grades import Grade
from projects import history, workflow
from projects.access import get_project, get_rw_project
from projects.documents import docx, pdf, xlsx
from projects.documents.target_table import TargetTable, build_target_table
from projects.filters import ProjectFilter
from projects.models import BudgetYear, Project
from projects.services import project_copy_to_year
from projects.tables import ProjectTable
from projects.views.common import review_form, run_copy, run_transition, trail_response


class ProjectListView(SingleTableMixin, FilterView):
    table_class = ProjectTable
    filterset_class = ProjectFilter
    template_name = "projects/project_list.html"
    # The table pages the list (a page past the end shows the last one); the view itself does
    # not, or it would answer such a page with 404.
    table_pagination = {"per_page": 25}

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
    project, access = get_project(request, year, code)
    milestones = BudgetYear.milestones_of(project.year)
    table = build_target_table(project, milestones)
    aid = review_aid(project, milestones)
    return render(
        request,
        "projects/project_detail.html",
        {
            "project": project,
            "table": table,
            "editable": access.can_write,
            "actions": project.available_actions(access, request.user),
            "findings": aid.findings,
            "aid": aid,
            **review_form(request, project, aid),
            "reviews": project.reviews(),
            "grades": Grade.choices,
        },
    )


def _table_for(request: HttpRequest, year: int, code: str) -> TargetTable:
    project, _ = get_project(request, year, code)
    return build_target_table(project, BudgetYear.milestones_of(project.year))


# The 绩效目标表's downloads: how each format is drawn, and what its file holds beyond the
# table (the form workbook's 元数据 sheet).
TABLE_FORMATS = {
    "pdf": (lambda table: pdf.table_pdf(table), lambda table: ""),
    "xlsx": (lambda table: xlsx.table_workbook(table), lambda table: repr(xlsx.table_meta(table))),
    "docx": (lambda table: docx.table_docx(table), lambda table: ""),
}


def download_table(request: HttpRequest, year: int, code: str, kind: str) -> HttpResponse:
    table = _table_for(request, year, code)
    draw, extra = TABLE_FORMATS[kind]
    return cached_download(
        request,
        key=fingerprint(f"table.{kind}", table.content_key() + extra(table)),
        render=lambda: draw(table),
        filename=f"{table.heading}.{kind}",
        content_type=CONTENT_TYPES[kind],
    )


@require_POST
def project_copy(request: HttpRequest, year: int, code: str) -> HttpResponse:
    project, _ = get_rw_project(request, year, code)
    copy = run_copy(
        request,
        lambda target: project_copy_to_year(project=project, year=target),
        lambda made: made.heading,
    )
    if copy is not None:
        return redirect("projects:detail", copy.year, copy.code)
    return redirect("projects:detail", year, code)


TRANSITIONS = {
    "submit": workflow.project_submit,
    "review": workflow.project_review,
    "reopen": workflow.project_reopen,
}


@require_POST
def project_transition(request: HttpRequest, year: int, code: str, action: str) -> HttpResponse:
    project, access = get_project(request, year, code)
    done = run_transition(request, action, TRANSITIONS[action], project=project, access=access)
    if done and action == "submit" and project.section_id is None:
        # No chief's 待我审核 lists it, only the unit administrator's: say so.
        messages.warning(request, workflow.NO_SECTION)
    return redirect("projects:detail", year, code)


def project_history(request: HttpRequest, year: int, code: str) -> HttpResponse:
    project, _ = get_project(request, year, code)
    back = reverse("projects:detail", args=[year, code])
    return trail_response(request, project.heading, history.project_trail(project), back)
