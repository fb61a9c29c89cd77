from django.urls import path

from projects import editor, review_views, unit_years, views

app_name = "projects"

urlpatterns = [
    path("", views.ProjectListView.as_view(), name="list"),
    path("import/", views.import_upload, name="import"),
    path("new/", editor.project_new, name="new"),
    path("check/", editor.project_check, name="check"),
    path("suggest/", editor.indicator_suggestions, name="suggest"),
    path("<int:year>/<str:code>/", views.project_detail, name="detail"),
    path("<int:year>/<str:code>/edit/", editor.project_edit, name="edit"),
    path("<int:year>/<str:code>/copy/", views.project_copy, name="copy"),
    path("<int:year>/<str:code>/history/", views.project_history, name="history"),
    path("<int:year>/<str:code>/monitoring/", views.project_monitoring, name="monitoring"),
    path("<int:year>/<str:code>/evaluation/", views.project_evaluation, name="evaluation"),
    path(
        "<int:year>/<str:code>/evaluation/confirm/",
        views.project_evaluation_confirm,
        name="evaluation_confirm",
    ),
    path(
        "<int:year>/<str:code>/evaluation.pdf", views.project_evaluation_pdf, name="evaluation_pdf"
    ),
    path(
        "<int:year>/<str:code>/evaluation.xlsx",
        views.project_evaluation_xlsx,
        name="evaluation_xlsx",
    ),
    *(
        path(
            f"<int:year>/<str:code>/{action}/",
            views.project_transition,
            {"action": action},
            name=action,
        )
        for action in ("submit", "review", "reopen")
    ),
    path("<int:year>/<str:code>/table.pdf", views.download_table_pdf, name="table_pdf"),
    path("<int:year>/<str:code>/table.xlsx", views.download_table_xlsx, name="table_xlsx"),
    path("<int:year>/<str:code>/opinion.pdf", review_views.project_opinion_pdf, name="opinion_pdf"),
]

# Downloads of a whole unit-year live under /departments/<code>/<year>/ (see perfbudget/urls.py).
booklet_urlpatterns = [
    path("<str:code>/manage/years/", unit_years.unit_year_new, name="year_new"),
    path("<str:code>/<int:year>/booklet.pdf", views.download_booklet_pdf, name="pdf"),
    path("<str:code>/<int:year>/booklet.xlsx", views.download_booklet_xlsx, name="xlsx"),
    path("<str:code>/<int:year>/data.xlsx", views.download_data_workbook, name="data"),
    path("<str:code>/<int:year>/checks/", review_views.department_checks, name="checks"),
    path("<str:code>/<int:year>/copy/", views.department_year_copy, name="copy"),
    path("<str:code>/<int:year>/order/", views.booklet_order, name="order"),
    path("<str:code>/<int:year>/history/", views.department_year_history, name="history"),
    path("<str:code>/<int:year>/monitoring/", views.department_monitoring, name="monitoring"),
    path("<str:code>/<int:year>/evaluations/", views.department_evaluations, name="evaluations"),
    *(
        path(
            f"<str:code>/<int:year>/{action}/",
            views.department_year_transition,
            {"action": action},
            name=action,
        )
        for action in ("submit", "review", "reopen")
    ),
]
