"""The booklet's cheap content stamp: it changes with every kind of change the booklet shows,
stays when nothing of the unit-year changed, and lets a 304 or a re-download build no table."""

from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from departments.models import DepartmentYear, Section, SectionIndicator
from indicators.models import Indicator, SecondaryCategory
from perfbudget.lib.bulk import bulk_update_with_history
from projects.documents.stamp import unit_year_stamp
from projects.models import BudgetYear, Project, ScheduleEntry
from projects.views import unit_years

pytestmark = pytest.mark.django_db

CODE = "13081123P000182100018"


def _project() -> Project:
    return Project.objects.get(code=CODE, year=2024)


def _save(obj, **values):
    for name, value in values.items():
        setattr(obj, name, value)
    obj.save()


def _new_project(reference):
    template = _project()
    template.pk = None
    template.code, template.table_number, template.booklet_order = "NEW0001", 99, 99
    template.save()


CHANGES = {
    "project field": lambda ref: _save(_project(), target="新的年度绩效目标"),
    "project order": lambda ref: _save(_project(), booklet_order=77),
    "project status": lambda ref: _save(_project(), status="submitted"),
    "new project": _new_project,
    "project deleted": lambda ref: Project.objects.filter(code=CODE).first().delete(),
    "indicator value": lambda ref: _save(
        Indicator.objects.filter(project__code=CODE).first(), value_text="≥2个"
    ),
    "indicator deleted": lambda ref: Indicator.objects.filter(project__code=CODE).first().delete(),
    "indicators in bulk": lambda ref: bulk_update_with_history(
        [_save_less(i) for i in Indicator.objects.filter(project__code=CODE)],
        Indicator,
        ["basis"],
    ),
    "schedule": lambda ref: _save(
        ScheduleEntry.objects.filter(project__code=CODE).first(), planned_percent=Decimal(1)
    ),
    "第一部分": lambda ref: _save(ref, safeguards="新增保障措施"),
    "section renamed": lambda ref: _save(
        Section.objects.filter(department=ref.department)[0], name="改名科室"
    ),
    "rating indicator": lambda ref: _save(
        SectionIndicator.objects.filter(section__department=ref.department).first(), name="新指标"
    ),
    "unit renamed": lambda ref: _save(ref.department, name="改名单位"),
    "milestones": lambda ref: _save(BudgetYear.objects.get(year=2024), milestone_months=[6, 12]),
    "category renamed": lambda ref: _save(SecondaryCategory.objects.first(), name="数量指标（改）"),
    "version bumped without history": lambda ref: Project.objects.filter(code=CODE).update(
        version=F("version") + 1
    ),
}


def _save_less(indicator):
    indicator.basis = "批量修改"
    return indicator


@pytest.mark.parametrize("change", CHANGES)
def test_every_kind_of_change_changes_the_stamp(reference, change):
    before = unit_year_stamp(reference).key
    CHANGES[change](reference)
    assert unit_year_stamp(DepartmentYear.objects.get(pk=reference.pk)).key != before


def test_other_units_and_years_leave_the_stamp(reference, other_unit):
    before = unit_year_stamp(reference).key
    other = DepartmentYear.objects.create(department=other_unit, year=2024, safeguards="甲")
    _save(other, safeguards="乙")
    Section.objects.create(department=other_unit, name="他科")
    _save(other_unit, name="另一个单位（改名）")  # another unit's rename says nothing of this one
    later = DepartmentYear.objects.create(department=reference.department, year=2025)
    _save(later, overall_target="下一年")
    project = _project()
    project.pk, project.year = None, 2025
    project.save()
    assert unit_year_stamp(reference).key == before


def _downloaded_again(client, url: str, builder):
    """A download, then its 304 and a second download with `builder` watched: the first
    response, and whether `builder` was called and how many queries the 304 took."""
    first = client.get(url)
    assert first.status_code == 200
    with mock.patch.object(*builder) as built:
        with CaptureQueriesContext(connection) as queries:
            again = client.get(url, headers={"if-none-match": first["ETag"]})
        repeated = client.get(url)
    assert again.status_code == 304 and repeated.content == first.content
    return first, built.called, len(queries.captured_queries)


def test_a_revalidated_booklet_builds_no_table(client, auditor, reference):
    client.force_login(auditor)
    url = reverse("unit_year:booklet_xlsx", args=["136001", 2024])
    _, built, queries = _downloaded_again(client, url, (unit_years, "department_tables"))
    # Session, user, the unit and its year with 第一部分's sections, the access, the stamp.
    assert not built and queries <= 10


def test_a_change_under_a_project_written_without_history_changes_the_stamp(reference):
    # A script's bulk insert leaves no history row for the project; its indicators' edits,
    # which do leave one, still count.
    template = _project()
    template.pk, template.code, template.table_number = None, "BULK0001", 98
    (bulk,) = Project.objects.bulk_create([template])
    indicator = Indicator.objects.filter(project__code=CODE).first()
    Indicator.objects.bulk_create([Indicator(project=bulk, category=indicator.category, name="甲")])
    before = unit_year_stamp(reference).key
    _save(Indicator.objects.get(project=bulk), value_text="≥3个")
    assert unit_year_stamp(reference).key != before


def test_the_data_workbook_is_named_by_the_stamp_and_the_unit_years_version(
    client, auditor, reference
):
    """A re-download or a 304 of the data workbook builds no sheet; every change the stamp
    sees makes a new file, and so does the unit-year's version alone (the workbook shows it;
    an import bumps it without a history row)."""
    from projects.documents import data_workbook

    client.force_login(auditor)
    url = reverse("unit_year:data", args=["136001", 2024])
    first, built, queries = _downloaded_again(client, url, (data_workbook, "_unit_sheets"))
    assert not built and queries <= 10  # as the booklet's: no project read
    CHANGES["indicator value"](reference)
    changed = client.get(url)
    assert changed["ETag"] != first["ETag"] and changed.content != first.content
    DepartmentYear.objects.filter(pk=reference.pk).update(version=F("version") + 1)
    bumped = client.get(url)
    assert bumped["ETag"] != changed["ETag"] and bumped.content != changed.content
