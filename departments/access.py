"""Who may see and change which unit. Every page and export asks these helpers."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
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


@dataclass(frozen=True)
class UnitAccess:
    """A user's roles in one unit and the sections they answer for, read in one query. A
    service handed one uses it only for the unit it was read for (`for_unit`)."""

    roles: frozenset[str]
    sections: frozenset[int]
    department_id: int | None = None

    @property
    def can_write(self) -> bool:
        return bool(self.roles & set(WRITE_ROLES))

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    def can_review(self, section_id: int | None) -> bool:
        return self.is_admin or (section_id is not None and section_id in self.sections)


def unit_access(user, department: Department) -> UnitAccess:
    if not user.is_authenticated:
        return UnitAccess(frozenset(), frozenset(), department.pk)
    if user.is_superuser:
        return UnitAccess(frozenset({Role.ADMIN}), frozenset(), department.pk)
    rows = Membership.objects.filter(user=user, department=department).values_list(
        "role", "sections"
    )
    roles = frozenset(role for role, _ in rows)
    sections = frozenset(s for role, s in rows if role == Role.CHIEF and s is not None)
    return UnitAccess(roles, sections, department.pk)


def access_for(user, department: Department, access: UnitAccess | None) -> UnitAccess:
    """The caller's access when it was read for this unit; read now otherwise (a command, a
    script, or an access of another unit handed in by mistake)."""
    if access is not None and access.department_id == department.pk:
        return access
    return unit_access(user, department)


def can_write(user, department: Department) -> bool:
    return unit_access(user, department).can_write


def get_department_for_user(user, code: str) -> Department:
    """The unit, or 404 for an unknown code and for a unit the user holds no role in."""
    try:
        return departments_for_user(user).get(code=code)
    except Department.DoesNotExist:
        raise Http404("没有找到该单位") from None


# The one refusal of a write for a member who may only read (projects, 第一部分, imports).
NOT_WRITABLE = "您没有修改该单位绩效目标的权限。"


def require_write(access: UnitAccess) -> None:
    """403 for a member who may read the unit's targets but not change them."""
    if not access.can_write:
        raise PermissionDenied(NOT_WRITABLE)


def get_rw_department(user, code: str) -> tuple[Department, UnitAccess]:
    """The unit and the user's access, for entering its targets: 404 for a unit the user holds
    no role in, 403 for a member who may only read."""
    department = get_department_for_user(user, code)
    access = unit_access(user, department)
    require_write(access)
    return department, access


def get_department_year(user, code: str, year: int) -> tuple[DepartmentYear, UnitAccess]:
    """The unit-year with its 第一部分, and the user's access to the unit: 404 for an unknown
    unit or year and for a unit the user holds no role in."""
    department = get_department_for_user(user, code)
    try:
        department_year = DepartmentYear.objects.with_part_one(year).get(
            department=department, year=year
        )
    except DepartmentYear.DoesNotExist:
        raise Http404("该单位没有这一年度的绩效目标") from None
    return department_year, unit_access(user, department)


def get_rw_department_year(user, code: str, year: int) -> tuple[DepartmentYear, UnitAccess]:
    """As `get_department_year`, and 403 for a member who may not change the unit's targets."""
    department_year, access = get_department_year(user, code, year)
    require_write(access)
    return department_year, access


def writable_departments(user) -> QuerySet[Department]:
    """Units where the user may enter and import targets."""
    if not user.is_authenticated:
        return Department.objects.none()
    if user.is_superuser:
        return Department.objects.all()
    return Department.objects.filter(members__user=user, members__role__in=WRITE_ROLES).distinct()


NOT_UNIT_ADMIN = "只有本单位的管理员可以管理人员、科室和年度。"


def get_department_for_admin(user, code: str) -> tuple[Department, UnitAccess]:
    """The unit and the user's access, for its administration pages: 404 for a unit the user
    holds no role in (as everywhere), 403 for a member who is not its administrator."""
    department = get_department_for_user(user, code)
    access = unit_access(user, department)
    if not access.is_admin:
        raise PermissionDenied(NOT_UNIT_ADMIN)
    return department, access


def get_member_for_admin(department: Department, user_id: int):
    """A person who holds a role in the unit; anyone else is "not found", whoever they are."""
    try:
        return (
            get_user_model()
            .objects.filter(memberships__department=department)
            .distinct()
            .get(pk=user_id)
        )
    except get_user_model().DoesNotExist:
        raise Http404("没有找到该人员") from None


def manages_account(admin, person) -> bool:
    """A unit administrator changes a person's account itself (name, password, active) only
    when every unit the person holds a role in is one they administer, and the person is no
    superuser: an account shared with another unit is that unit's too."""
    if admin.is_superuser:
        return True
    if person.is_superuser:
        return False
    administered = Membership.objects.filter(user=admin, role=Role.ADMIN).values("department")
    return not person.memberships.exclude(department__in=administered).exists()
