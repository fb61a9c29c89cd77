"""Writes of a unit's own records that touch several rows. Each is atomic."""

from django.db import transaction
from django.db.models import F

from departments.models import DepartmentYear


class StaleDepartmentYear(Exception):
    pass


STALE = (
    "保存被拒绝：其他用户已修改并保存了本年度的部门绩效目标。"
    "您填写的内容仍在下方，未被保存；请重新打开页面核对后再修改。"
)


@transaction.atomic
def department_year_save(*, department_year: DepartmentYear, form, sections, indicators) -> None:
    """Save 第一部分: texts, sections with duties, rating indicators of the year."""
    claimed = DepartmentYear.objects.filter(
        pk=department_year.pk, version=form.cleaned_data.get("version")
    ).update(version=F("version") + 1)
    if not claimed:
        raise StaleDepartmentYear(STALE)
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
