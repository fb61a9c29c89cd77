from django.urls import path

from departments import views as part_one
from projects.documents.booklet import DRAWERS
from projects.views import (
    checks,
    editor,
    evaluation,
    imports,
    monitoring,
    projects,
    unit_years,
)

app_name = "projects"

urlpatterns = [
    path("", projects.ProjectListView.as_view(), name="list"),
    path("import/", imports.import_upload, name="import"),
    path("new/", editor.project_new, name="new"),
    path("check/", editor.project_check, name="check"),
    path("suggest/", editor.indicator_suggestions, name="suggest"),
    path("<int:year>/<str:code>/", projects.project_detail, name="detail"),
    path("<int:year>/<str:code>/edit/", editor.project_edit, name="edit"),
    path("<int:year>/<str:code>/copy/", projects.project_copy, name="copy"),
    path("<int:year>/<str:code>/history/", projects.project_history, name="history"),
    path("<int:year>/<str:code>/monitoring/", monitoring.project_monitoring, name="monitoring"),
    path("<int:year>/<str:code>/evaluation/", evaluation.project_evaluation, name="evaluation"),
    path(
        "<int:year>/<str:code>/evaluation/confirm/",
        evaluation.project_evaluation_confirm,
        name="evaluation_confirm",
    ),
    path(
        "<int:year>/<str:code>/evaluation.pdf",
        evaluation.project_evaluation_pdf,
        name="evaluation_pdf",
    ),
    path(
        "<int:year>/<str:code>/evaluation.xlsx",
        evaluation.project_evaluation_xlsx,
        name="evaluation_xlsx",
    ),
    *(
        path(
            f"<int:year>/<str:code>/{action}/",
            projects.project_transition,
            {"action": action},
            name=action,
        )
        for action in ("submit", "review", "reopen")
    ),
    *(
        path(
            f"<int:year>/<str:code>/table.{kind}",
            projects.download_table,
            {"kind": kind},
            name=f"table_{kind}",
        )
        for kind in projects.TABLE_FORMATS
    ),
    path("<int:year>/<str:code>/opinion.pdf", checks.project_opinion_pdf, name="opinion_pdf"),
]

# The unit-year pages, one family under /departments/<code>/<year>/ (mounted in
# perfbudget/urls.py as the `unit_year` namespace): 第一部分 and its ratings, the booklet and
# data workbook downloads, review checks, copy, order, history, monitoring, evaluations and the
# unit-year's own workflow.
unit_year_urlpatterns = [
    path("<str:code>/manage/years/", unit_years.unit_year_new, name="new"),
    path("<str:code>/<int:year>/", part_one.department_year_detail, name="detail"),
    path("<str:code>/<int:year>/edit/", part_one.department_year_edit, name="edit"),
    path("<str:code>/<int:year>/ratings/", part_one.section_ratings, name="ratings"),
    *(
        path(
            f"<str:code>/<int:year>/booklet.{kind}",
            unit_years.download_booklet,
            {"kind": kind},
            name=f"booklet_{kind}",
        )
        for kind in DRAWERS
    ),
    path("<str:code>/<int:year>/data.xlsx", unit_years.download_data_workbook, name="data"),
    path("<str:code>/<int:year>/checks/", checks.department_checks, name="checks"),
    path("<str:code>/<int:year>/copy/", unit_years.department_year_copy, name="copy"),
    path("<str:code>/<int:year>/order/", unit_years.booklet_order, name="order"),
    path("<str:code>/<int:year>/history/", unit_years.department_year_history, name="history"),
    path("<str:code>/<int:year>/monitoring/", monitoring.department_monitoring, name="monitoring"),
    path(
        "<str:code>/<int:year>/evaluations/", evaluation.department_evaluations, name="evaluations"
    ),
    *(
        path(
            f"<str:code>/<int:year>/{action}/",
            unit_years.department_year_transition,
            {"action": action},
            name=action,
        )
        for action in ("submit", "review", "reopen")
    ),
]
