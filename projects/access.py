"""One way in to a project: the project with everything its table shows, and the user's access
to its unit (`UnitAccess`: roles and sections, read once). Unknown projects and projects of units
the user holds no role in are both 404; a member who may not change it gets 403 with one message
from `get_rw_project` (`departments.access.NOT_WRITABLE`)."""

from django.http import Http404, HttpRequest

from departments.access import UnitAccess, departments_for_user, require_write, unit_access
from projects.models import Project


def get_project(request: HttpRequest, year: int, code: str) -> tuple[Project, UnitAccess]:
    try:
        project = (
            Project.objects.for_table()
            .filter(department__in=departments_for_user(request.user))
            .get(year=year, code=code)
        )
    except Project.DoesNotExist:
        raise Http404("没有找到该项目") from None
    return project, unit_access(request.user, project.department)


def get_rw_project(request: HttpRequest, year: int, code: str) -> tuple[Project, UnitAccess]:
    project, access = get_project(request, year, code)
    require_write(access)
    return project, access
