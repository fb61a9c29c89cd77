"""Writes of a unit's own records that touch several rows. Each is atomic."""

import hashlib

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from departments.access import UnitAccess, access_for, manages_account
from departments.models import DepartmentYear, Membership, Role, SectionRating
from perfbudget.lib.changes import last_change
from perfbudget.lib.grades import Grade, Status


class StaleDepartmentYear(Exception):
    pass


STALE = (
    "保存被拒绝：{who}已于 {when} 修改并保存了本年度的部门绩效目标，您看到的是修改前的内容。"
    "您填写的内容仍在下方，未被保存；请重新打开页面核对后再修改。"
)


@transaction.atomic
def department_year_save(*, department_year: DepartmentYear, form, sections, indicators) -> None:
    """Save 第一部分: texts, sections with duties, rating indicators of the year."""
    claimed = DepartmentYear.objects.filter(
        pk=department_year.pk, version=form.cleaned_data.get("version"), status=Status.DRAFT
    ).update(version=F("version") + 1)
    if not claimed:
        who, when = last_change(department_year)
        raise StaleDepartmentYear(STALE.format(who=who, when=when))
    # The texts only, onto the row as it is now: status and review fields are not the page's.
    fresh = DepartmentYear.objects.get(pk=department_year.pk)
    for name in form.Meta.fields:
        setattr(fresh, name, form.cleaned_data[name])
    fresh.full_clean()
    fresh.save(update_fields=form.Meta.fields)
    department_year.version = fresh.version
    renamed = False
    for section in sections.save(commit=False):
        section.department = department_year.department
        section.full_clean()
        section.save()
        renamed = True
    if renamed:
        # Every year's 第一部分 prints the unit's sections: a page of another year opened
        # before this save holds the old ones and is refused on its save (as 单位管理's are).
        DepartmentYear.objects.filter(department=department_year.department).exclude(
            pk=department_year.pk
        ).update(version=F("version") + 1)
    changed = indicators.save(commit=False)
    confirmed_ratings_unchanged([*changed, *indicators.deleted_objects])
    for indicator in changed:
        indicator.year = department_year.year
        indicator.full_clean()
        indicator.save()
    for indicator in indicators.deleted_objects:
        indicator.delete()


RATING_CONFIRMED_LOCKS = "以下科室绩效指标的评级已确认，指标名称和评价标准不能再修改或删除：{names}"


def confirmed_ratings_unchanged(indicators) -> None:
    """A confirmed rating was graded on its indicator's scale: neither may change under it."""
    ids = [i.pk for i in indicators if i.pk]
    locked = set(
        SectionRating.objects.filter(indicator_id__in=ids, confirmed=True).values_list(
            "indicator_id", flat=True
        )
    )
    if locked:
        names = "、".join(i.name for i in indicators if i.pk in locked)
        raise ValidationError(RATING_CONFIRMED_LOCKS.format(names=names))


class RatingRefused(Exception):
    """A rating that cannot be recorded; the message says why, in Chinese."""


RATING_LOCKED = "该指标的评级已确认，不能再修改"
RATING_NOT_YOURS = "只有该科室的负责人或单位管理员可以评级"
RATING_HOLE = "完成值 {value}% 不在任何等级范围内（评价标准有空档或重叠），请选择等级并说明理由"
RATING_REASON = "人工选择的等级与按标准计算的等级（{computed}）不同，请说明理由"
RATING_VALUE = "实际完成值应为 0 以上的百分比"
RATING_TOO_LARGE = "实际完成值应小于 100000%"
RATING_GRADE = "请选择优、良、中、差之一"
RATING_PLACES = "实际完成值最多保留 4 位小数"


@transaction.atomic
def rating_record(
    *,
    indicator,
    user,
    actual_value,
    manual_grade: str = "",
    reason: str = "",
    comment: str = "",
    confirm: bool = False,
    access: UnitAccess | None = None,
):
    """Record a section indicator's actual value and grade. A value that no grade covers is
    never graded automatically: the chief chooses, with a reason. Confirming locks it."""
    department = indicator.section.department
    if not access_for(user, department, access).can_review(indicator.section_id):
        raise RatingRefused(RATING_NOT_YOURS)
    rating = SectionRating.objects.select_for_update().filter(indicator=indicator).first()
    if rating and rating.confirmed:
        raise RatingRefused(RATING_LOCKED)
    if actual_value is None or not actual_value.is_finite() or actual_value < 0:
        raise RatingRefused(RATING_VALUE)
    if actual_value >= 100000:
        raise RatingRefused(RATING_TOO_LARGE)
    if manual_grade and manual_grade not in Grade.values:
        raise RatingRefused(RATING_GRADE)
    if actual_value.as_tuple().exponent < -4:
        raise RatingRefused(RATING_PLACES)
    computed = indicator.grade_for(actual_value)
    reason = (reason or "").strip()
    if computed is None and not manual_grade:
        raise RatingRefused(RATING_HOLE.format(value=actual_value))
    if manual_grade and manual_grade != computed and not reason:
        if computed is None:
            raise RatingRefused(RATING_HOLE.format(value=actual_value))
        raise RatingRefused(RATING_REASON.format(computed=computed))
    rating = rating or SectionRating(indicator=indicator)
    rating.actual_value = actual_value
    rating.manual_grade = manual_grade if manual_grade != computed else ""
    rating.manual_reason = reason if rating.manual_grade else ""
    rating.comment = (comment or "").strip()
    rating.reviewed_by, rating.reviewed_at = user, timezone.now()
    rating.confirmed = bool(confirm)
    rating.full_clean()
    rating._change_reason = "确认评级" if confirm else "记录评级"
    rating.save()
    return rating


class RatingsRefused(Exception):
    """Some rows of the ratings page cannot be recorded: {indicator id: message}. Nothing of
    the page was saved."""

    def __init__(self, errors: dict[int, str]):
        self.errors = errors
        super().__init__("；".join(errors.values()))


@transaction.atomic
def ratings_record(*, user, rows: list[dict], access: UnitAccess | None = None) -> int:
    """Record several rows of the ratings page at once, all or nothing: each row is checked by
    `rating_record`'s rules; when any row is refused, none is saved and every refusal is
    reported by row. Each row: indicator, actual_value, manual_grade, reason, comment,
    confirm. Returns how many rows were saved."""
    errors: dict[int, str] = {}
    for row in rows:
        try:
            rating_record(user=user, access=access, **row)
        except RatingRefused as refused:
            errors[row["indicator"].pk] = str(refused)
    if errors:
        raise RatingsRefused(errors)  # rolls back the rows already written
    return len(rows)


# --- a unit administrator's people, sections and settings -----------------------------------


class UnitAdminRefused(Exception):
    """A change a unit administrator may not make; the message says why, in Chinese."""


NOT_YOUR_ACCOUNT = (
    "该账号只能由系统管理员修改姓名、重置密码或停用"
    "（系统管理员的账号，或在其他单位也有角色的账号）。"
)
NOT_YOURSELF = "不能对自己的账号执行此操作。"
KEEP_OWN_ADMIN = "不能取消自己的管理员角色；请由本单位的另一位管理员操作。"
USERNAME_TAKEN = "该用户名已被使用，请换一个。"
CHIEF_NEEDS_SECTIONS = "科室负责人须选择负责的科室。"


def _check_account(admin, person) -> None:
    if person.pk == admin.pk:
        raise UnitAdminRefused(NOT_YOURSELF)
    if not manages_account(admin, person):
        raise UnitAdminRefused(NOT_YOUR_ACCOUNT)


STALE_PAGE = (
    "打开本页之后，其他管理员已修改了这些内容。您填写的内容仍在下方；请重新打开页面核对后再修改。"
)


def _fingerprint(value) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()[:32]


def person_state(department, person) -> str:
    """What the person page shows of a person in a unit; a save is refused when it changed
    since the page was opened (the page carries it), instead of undoing another's change."""
    memberships = Membership.objects.filter(user=person, department=department)
    roles = sorted((m.role, sorted(s.pk for s in m.sections.all())) for m in memberships)
    return _fingerprint((person.first_name, person.is_active, roles))


def sections_state(department) -> str:
    rows = department.sections.order_by("pk").values_list("pk", "name", "order", "retired")
    return _fingerprint(list(rows))


def _lock_and_compare(lock, state, expected: str | None) -> None:
    """Lock the row every writer of this page locks, then compare what is there with what the
    page showed."""
    type(lock).objects.select_for_update().filter(pk=lock.pk).first()
    if expected is not None and state() != expected:
        raise UnitAdminRefused(STALE_PAGE)


@transaction.atomic
def member_roles_set(
    *, department, person, roles: set[str], sections, admin, expected_state: str | None = None
) -> None:
    """Make the person's roles in the unit exactly `roles`, and the sections they answer for as
    科室负责人 exactly `sections` (of this unit: the model refuses any other). Unchanged
    memberships are not written; every change is kept in the history."""
    _lock_and_compare(person, lambda: person_state(department, person), expected_state)
    roles = set(roles)
    if person.pk == admin.pk and Role.ADMIN not in roles and not admin.is_superuser:
        raise UnitAdminRefused(KEEP_OWN_ADMIN)
    if Role.CHIEF in roles and not sections:
        raise UnitAdminRefused(CHIEF_NEEDS_SECTIONS)
    current = {m.role: m for m in Membership.objects.filter(user=person, department=department)}
    for role, membership in current.items():
        if role not in roles:
            membership.delete()
    for role in roles - set(current):
        current[role] = Membership.objects.create(user=person, department=department, role=role)
    if Role.CHIEF in roles:
        chief = current[Role.CHIEF]
        if set(chief.sections.values_list("pk", flat=True)) != {s.pk for s in sections}:
            chief.sections.set(sections)


@transaction.atomic
def member_create(
    *, department, username: str, full_name: str, password: str, roles, sections, admin
):
    """A new account with its roles in the unit; the password follows the site's rules."""
    users = get_user_model()
    username = users.normalize_username(username)  # NFKC, as logging in reads it
    if users.objects.filter(username__iexact=username).exists():
        raise UnitAdminRefused(USERNAME_TAKEN)
    person = users(username=username, first_name=full_name)
    validate_password(password, person)
    person.set_password(password)
    person.full_clean()
    person.save()
    member_roles_set(
        department=department, person=person, roles=roles, sections=sections, admin=admin
    )
    return person


@transaction.atomic
def member_remove(*, department, person, admin) -> None:
    """Take every role the person holds in the unit away; their account stays."""
    if person.pk == admin.pk:
        raise UnitAdminRefused(NOT_YOURSELF)
    for membership in Membership.objects.filter(user=person, department=department):
        membership.delete()


def account_name_set(*, person, full_name: str, admin) -> None:
    if full_name == person.first_name:
        return
    if not manages_account(admin, person):
        raise UnitAdminRefused(NOT_YOUR_ACCOUNT)
    person.first_name = full_name
    person.full_clean()
    person.save(update_fields=["first_name"])


def account_password_set(*, person, password: str, admin) -> None:
    """A new password set by the unit administrator (the person changes it after logging in).
    The person's other sessions end, as with any password change."""
    _check_account(admin, person)
    validate_password(password, person)
    person.set_password(password)
    person.save(update_fields=["password"])


def account_active_set(*, person, active: bool, admin) -> None:
    """停用 or 恢复 an account: a stopped account cannot log in; its records and history stay."""
    _check_account(admin, person)
    if person.is_active != active:
        person.is_active = active
        person.save(update_fields=["is_active"])


@transaction.atomic
def sections_save(*, department, formset, expected_state: str | None = None) -> None:
    """Add, rename, order and retire the unit's sections. Sections are never deleted: projects,
    ratings and other years point at them. Every year's 第一部分 prints them, so an editor page
    of 第一部分 opened before this save is refused on its own save."""
    _lock_and_compare(department, lambda: sections_state(department), expected_state)
    changed = False
    for section in formset.save(commit=False):
        section.department = department
        section.full_clean()
        section.save()
        changed = True
    if changed:
        DepartmentYear.objects.filter(department=department).update(version=F("version") + 1)


NOT_ONE_PERSON = "本单位现有 {count} 人，只有一名人员的单位才能设为单人单位。"


def unit_settings_save(*, department, single_person: bool) -> None:
    people = department.people_count()
    if single_person and people > 1:
        raise UnitAdminRefused(NOT_ONE_PERSON.format(count=people))
    if department.single_person != single_person:
        department.single_person = single_person
        department.save(update_fields=["single_person"])
