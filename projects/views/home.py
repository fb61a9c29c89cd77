"""The start page."""

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from departments.access import (
    departments_for_user,
    writable_departments,
)
from departments.models import Department, DepartmentYear, Membership, Role, SectionIndicator
from perfbudget.lib.grades import Status
from projects.models import Project


def home(request: HttpRequest) -> HttpResponse:
    """The start page: the user's units and roles, each unit's years, and what waits for them."""
    user = request.user
    readable = departments_for_user(user)
    department_years = (
        DepartmentYear.objects.filter(department__in=readable)
        .select_related("department")
        .order_by("department__code", "-year")
    )
    memberships = (
        Membership.objects.filter(user=user)
        .select_related("department")
        .prefetch_related("sections")
    )
    return render(
        request,
        "departments/home.html",
        {
            "department_years": department_years,
            "years": sorted({dy.year for dy in department_years}, reverse=True),
            "memberships": memberships,
            **_waiting(user, readable, memberships),
        },
    )


def _waiting(user, readable, memberships) -> dict:
    """待我审核, 被退回 and 待评级 for this user."""
    admin_units = [m.department_id for m in memberships if m.role == Role.ADMIN]
    chief_sections = [s.pk for m in memberships if m.role == Role.CHIEF for s in m.sections.all()]
    if user.is_superuser:
        admin_units = list(readable.values_list("pk", flat=True))
    # A submitter reviews their own submission only in a unit that is really one person
    # (`Department.is_one_person`): elsewhere it is not theirs to review.
    own = Q(submitted_by=user) & ~Q(department__in=Department.objects.one_person())
    to_review = (
        Project.objects.for_list()
        .filter(status=Status.SUBMITTED)
        .filter(Q(section__in=chief_sections) | Q(department__in=admin_units))
        .exclude(own)
        .order_by("-year", "booklet_order")
    )
    units_to_review = (
        DepartmentYear.objects.filter(status=Status.SUBMITTED, department__in=admin_units)
        .exclude(own)
        .select_related("department")
    )
    returned = (
        Project.objects.for_list()
        .filter(department__in=writable_departments(user), status=Status.DRAFT)
        .exclude(review_grade="")
        .order_by("-year", "booklet_order")
    )
    units_returned = (
        DepartmentYear.objects.filter(
            department__in=writable_departments(user), status=Status.DRAFT
        )
        .exclude(review_grade="")
        .exclude(review_comment="")
        .select_related("department")
    )
    to_rate = (
        SectionIndicator.objects.filter(section__in=chief_sections)
        .filter(Q(rating__isnull=True) | Q(rating__confirmed=False))
        .select_related("section__department")
        .order_by("-year", "section__order", "order")
    )
    return {
        "to_review": to_review,
        "units_to_review": units_to_review,
        "returned": returned,
        "units_returned": units_returned,
        "to_rate": to_rate,
    }
