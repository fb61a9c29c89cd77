"""Who may see and change which unit. Every page and export asks these helpers."""

from django.db.models import QuerySet
from django.http import Http404

from departments.models import Department, DepartmentYear, Membership, Role

WRITE_ROLES = (Role.FINANCE, Role.ADMIN)


def departments_for_user(user) -> QuerySet[Department]:
    """The units a user may read: those they hold any role in (all of them for a superuser)."""
    if not user.is_authenticated:
        return Department.objects.none()
    if user.is_superuser:
        return Department.objects.all()
    return Department.objects.filter(members__user=user).distinct()


def roles_in(user, department: Department) -> set[str]:
    if not user.is_authenticated:
        return set()
    if user.is_superuser:
        return {Role.ADMIN}
    return set(
        Membership.objects.filter(user=user, department=department).values_list("role", flat=True)
    )


def can_write(user, department: Department) -> bool:
    return bool(roles_in(user, department) & set(WRITE_ROLES))


def get_department_for_user(user, code: str) -> Department:
    """The unit, or 404 for an unknown code and for a unit the user holds no role in."""
    try:
        return departments_for_user(user).get(code=code)
    except Department.DoesNotExist:
        raise Http404("没有找到该单位") from None


def get_department_year_for_user(user, code: str, year: int) -> DepartmentYear:
    department = get_department_for_user(user, code)
    try:
        return DepartmentYear.objects.with_part_one(year).get(department=department, year=year)
    except DepartmentYear.DoesNotExist:
        raise Http404("该单位没有这一年度的绩效目标") from None


def writable_departments(user) -> QuerySet[Department]:
    """Units where the user may enter and import targets."""
    if not user.is_authenticated:
        return Department.objects.none()
    if user.is_superuser:
        return Department.objects.all()
    return Department.objects.filter(members__user=user, members__role__in=WRITE_ROLES).distinct()
