"""Writes of a unit's own records that touch several rows. Each is atomic."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from departments.access import can_review_section
from departments.models import DepartmentYear, SectionRating
from perfbudget.lib.changes import last_change
from perfbudget.lib.grades import Grade


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
        pk=department_year.pk, version=form.cleaned_data.get("version")
    ).update(version=F("version") + 1)
    if not claimed:
        who, when = last_change(department_year)
        raise StaleDepartmentYear(STALE.format(who=who, when=when))
    department_year.version = form.cleaned_data["version"] + 1
    form.save()
    for section in sections.save(commit=False):
        section.department = department_year.department
        section.full_clean()
        section.save()
    for indicator in indicators.save(commit=False):
        indicator.year = department_year.year
        indicator.full_clean()
        indicator.save()
    for indicator in indicators.deleted_objects:
        indicator.delete()


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
):
    """Record a section indicator's actual value and grade. A value that no grade covers is
    never graded automatically: the chief chooses, with a reason. Confirming locks it."""
    if not can_review_section(user, indicator.section.department, indicator.section_id):
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
    grades = indicator.grades_for(actual_value)
    computed = grades[0] if len(grades) == 1 else None
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
def ratings_record(*, user, rows: list[dict]) -> int:
    """Record several rows of the ratings page at once, all or nothing: each row is checked by
    `rating_record`'s rules; when any row is refused, none is saved and every refusal is
    reported by row. Each row: indicator, actual_value, manual_grade, reason, comment,
    confirm. Returns how many rows were saved."""
    errors: dict[int, str] = {}
    for row in rows:
        try:
            rating_record(user=user, **row)
        except RatingRefused as refused:
            errors[row["indicator"].pk] = str(refused)
    if errors:
        raise RatingsRefused(errors)  # rolls back the rows already written
    return len(rows)
