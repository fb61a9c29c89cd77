"""One way in to a project: the project with everything its table shows, and what the user may
do with it. Unknown projects and projects of units the user holds no role in are both 404."""

from django.http import Http404, HttpRequest

from departments.access import (
    departments_for_user,
    unit_access,
)
from projects.models import Project


def get_project_for_user(request: HttpRequest, year: int, code: str) -> tuple[Project, bool]:
    """The project with everything its table shows, and whether the user may edit it.
    Unknown projects and projects of units the user holds no role in are both 404."""
    project, access = project_and_access(request, year, code)
    return project, access.can_write


def project_and_access(request: HttpRequest, year: int, code: str):
    try:
        project = (
            Project.objects.for_table()
            .filter(department__in=departments_for_user(request.user))
            .get(year=year, code=code)
        )
    except Project.DoesNotExist:
        raise Http404("没有找到该项目") from None
    return project, unit_access(request.user, project.department)
