from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from departments.access import can_write, departments_for_user
from projects.filters import ProjectFilter
from projects.models import Project
from projects.tables import ProjectTable
from projects.target_table import build_target_table, milestones_for_year


def get_project_for_user(request: HttpRequest, year: int, code: str) -> tuple[Project, bool]:
    """The project with everything its table shows, and whether the user may edit it.
    Unknown projects and projects of units the user holds no role in are both 404."""
    try:
        project = (
            Project.objects.for_table()
            .filter(department__in=departments_for_user(request.user))
            .get(year=year, code=code)
        )
    except Project.DoesNotExist:
        raise Http404("没有找到该项目") from None
    return project, can_write(request.user, project.department)


class ProjectListView(SingleTableMixin, FilterView):
    table_class = ProjectTable
    filterset_class = ProjectFilter
    template_name = "projects/project_list.html"
    paginate_by = 25

    def get_queryset(self):
        return Project.objects.for_list().filter(
            department__in=departments_for_user(self.request.user)
        )

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["departments"] = departments_for_user(self.request.user)
        return kwargs


def project_detail(request: HttpRequest, year: int, code: str) -> HttpResponse:
    project, editable = get_project_for_user(request, year, code)
    table = build_target_table(project, milestones_for_year(project.year))
    return render(
        request,
        "projects/project_detail.html",
        {"project": project, "table": table, "editable": editable},
    )
