from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from departments.access import departments_for_user, get_department_year_for_user
from departments.models import DepartmentYear, Membership


def home(request: HttpRequest) -> HttpResponse:
    """The start page: the user's units and years, and their roles."""
    department_years = (
        DepartmentYear.objects.filter(department__in=departments_for_user(request.user))
        .select_related("department")
        .order_by("department__code", "-year")
    )
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("department")
        .prefetch_related("sections")
    )
    return render(
        request,
        "departments/home.html",
        {"department_years": department_years, "memberships": memberships},
    )


def department_year_detail(request: HttpRequest, code: str, year: int) -> HttpResponse:
    department_year = get_department_year_for_user(request.user, code, year)
    projects = department_year.department.projects.filter(year=year).order_by(
        "booklet_order", "table_number"
    )
    return render(
        request,
        "departments/department_year_detail.html",
        {"department_year": department_year, "projects": projects},
    )
