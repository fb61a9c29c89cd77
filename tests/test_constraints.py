"""Rules that must always hold are enforced by the database, not only by forms."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from departments.models import SectionIndicator, SectionRating
from indicators.models import FrameworkVersion, Indicator, SecondaryCategory
from projects.models import Project, ScheduleEntry

pytestmark = pytest.mark.django_db


def _project(reference, **overrides) -> Project:
    fields = {
        "department": reference.department,
        "year": 2024,
        "table_number": 99,
        "table_name": "测试",
        "code": "TEST-001",
        "name": "测试项目",
        "budget_total": Decimal(10),
        "fiscal_funds": Decimal(10),
        "framework": FrameworkVersion.objects.get(code="2020"),
    }
    fields.update(overrides)
    return Project(**fields)


def _refused(obj) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        obj.save()


def test_duplicate_year_and_code_is_refused(reference):
    _refused(_project(reference, code="13081123P000182100018"))


def test_same_code_in_another_year_is_allowed(reference):
    _project(reference, code="13081123P000182100018", year=2025).save()


@pytest.mark.parametrize("field", ["budget_total", "fiscal_funds", "other_funds"])
def test_negative_amount_is_refused(reference, field):
    _refused(_project(reference, **{field: Decimal("-0.01")}))


def test_schedule_percent_above_100_is_refused(reference):
    project = Project.objects.get(code="13081123P000182100018")
    _refused(ScheduleEntry(project=project, month=3, planned_percent=Decimal("100.01")))


def test_schedule_month_outside_the_year_is_refused(reference):
    project = Project.objects.get(code="13081123P000182100018")
    _refused(ScheduleEntry(project=project, month=13, planned_percent=Decimal(10)))


def test_rating_bound_above_100_is_refused(reference):
    indicator = SectionIndicator.objects.first()
    indicator.good_bound = Decimal(101)
    _refused(indicator)


def test_manual_grade_without_reason_is_refused(reference):
    indicator = SectionIndicator.objects.first()
    _refused(SectionRating(indicator=indicator, actual_value=Decimal(70), manual_grade="中"))


def test_structured_value_needs_a_number(reference):
    project = Project.objects.get(code="13081123P000182100018")
    category = SecondaryCategory.objects.filter(primary__framework__code="2020").first()
    _refused(Indicator(project=project, category=category, name="x", operator="≥"))


def test_money_is_exact_to_one_fen(reference):
    project = _project(
        reference, budget_total=Decimal("0.000001"), fiscal_funds=Decimal("0.000001")
    )
    project.save()
    project.refresh_from_db()
    assert project.budget_total == Decimal("0.000001")
