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
    """A user's roles in one unit and the sections they answer for, read in one query."""

    roles: frozenset[str]
    sections: frozenset[int]

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
        return UnitAccess(frozenset(), frozenset())
    if user.is_superuser:
        return UnitAccess(frozenset({Role.ADMIN}), frozenset())
    rows = Membership.objects.filter(user=user, department=department).values_list(
        "role", "sections"
    )
    roles = frozenset(role for role, _ in rows)
    sections = frozenset(s for role, s in rows if role == Role.CHIEF and s is not None)
    return UnitAccess(roles, sections)


def roles_in(user, department: Department) -> set[str]:
    return set(unit_access(user, department).roles)


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


def chief_sections(user, department: Department) -> set[int]:
    """Ids of the sections the user answers for as 科室负责人 in the unit."""
    return set(unit_access(user, department).sections)


def is_unit_admin(user, department: Department) -> bool:
    return unit_access(user, department).is_admin


def can_review_section(user, department: Department, section_id: int | None) -> bool:
    """The chief of the section reviews; a unit administrator may too."""
    return unit_access(user, department).can_review(section_id)


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
